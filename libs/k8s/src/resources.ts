import type {
  V1EndpointSlice,
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';

/**
 * Objects are the JSON the API server sends, typed with client-node's model types.
 * Note: client-node types timestamps as Date; here they stay the RFC 3339 strings of the
 * wire format (nothing deserialises them).
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
}

/**
 * Where a kind lives in the REST API. The type parameter ties the descriptor to the
 * object type so `informer(client, NODES)` yields V1Node without casts.
 */
export interface ResourceDescriptor<T extends KubeObject = KubeObject> {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural used in paths, e.g. `endpointslices`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Phantom field carrying T; never set. */
  readonly __type?: T;
}

function resource<T extends KubeObject>(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
): ResourceDescriptor<T> {
  return Object.freeze({ group, version, plural, kind, namespaced });
}

export const NODES = resource<V1Node>('', 'v1', 'nodes', 'Node', false);
export const PODS = resource<V1Pod>('', 'v1', 'pods', 'Pod', true);
export const SERVICES = resource<V1Service>('', 'v1', 'services', 'Service', true);
export const NAMESPACES = resource<V1Namespace>('', 'v1', 'namespaces', 'Namespace', false);
export const ENDPOINT_SLICES = resource<V1EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true);
export const NETWORK_POLICIES = resource<V1NetworkPolicy>('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true);

/** `v1` or `discovery.k8s.io/v1`, as in an object's apiVersion. */
export function apiVersionOf(res: ResourceDescriptor): string {
  return res.group === '' ? res.version : `${res.group}/${res.version}`;
}

/**
 * The REST path of a collection or, with a name, of one object. A namespaced kind
 * without a namespace addresses all namespaces (list/watch only).
 */
export function resourcePath(res: ResourceDescriptor, target: { namespace?: string; name?: string } = {}): string {
  const base = res.group === '' ? `/api/${res.version}` : `/apis/${res.group}/${res.version}`;
  const ns = res.namespaced && target.namespace ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  const name = target.name === undefined ? '' : `/${encodeURIComponent(target.name)}`;
  return `${base}${ns}/${res.plural}${name}`;
}

/** Cache key: `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKey). */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function keyOf(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** How errors name an object: `Node node-1`, `Service default/web`. */
export function describeObject(obj: KubeObject, fallbackKind = 'object'): { kind: string; name: string } {
  return { kind: obj.kind ?? fallbackKind, name: objectKey(obj) || '<unnamed>' };
}
