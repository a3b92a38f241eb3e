// The kinds the simulator serves, described once: REST location, discovery facts
// (verbs, short names, categories), which subresources exist, which field selectors a
// real API server accepts for the kind, and whether metadata.generation tracks the spec.

/** A stored API object. Bodies are plain JSON; the typed views live where they are used. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Has a /status subresource: the main resource ignores status, /status ignores the rest. */
  readonly statusSubresource: boolean;
  /** metadata.generation starts at 1 and increments on every change outside metadata/status. */
  readonly generation: boolean;
  /** Field selectors beyond metadata.name/metadata.namespace, with how to read them. */
  readonly fields: Readonly<Record<string, (obj: KObject) => string | undefined>>;
}

type Path = readonly string[];

function read(obj: unknown, path: Path): unknown {
  let value = obj;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Field selector values are strings; absent fields compare as "" as in Kubernetes. */
function field(...path: string[]): (obj: KObject) => string {
  return (obj) => {
    const value = read(obj, path);
    return value === undefined || value === null ? '' : String(value);
  };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const RESOURCE_VERBS: readonly string[] = ALL_VERBS;
export const STATUS_VERBS: readonly string[] = ['get', 'patch', 'update'];

function type(spec: Omit<ResourceType, 'shortNames' | 'categories' | 'statusSubresource' | 'generation' | 'fields'> & Partial<ResourceType>): ResourceType {
  return Object.freeze({
    shortNames: [],
    categories: [],
    statusSubresource: false,
    generation: false,
    fields: {},
    ...spec,
  });
}

export const NAMESPACE = type({
  group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
  shortNames: ['ns'], statusSubresource: true, fields: { 'status.phase': field('status', 'phase') },
});
export const NODE = type({
  group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false,
  shortNames: ['no'], statusSubresource: true, fields: { 'spec.unschedulable': field('spec', 'unschedulable') },
});
export const POD = type({
  group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true,
  shortNames: ['po'], categories: ['all'], statusSubresource: true,
  fields: {
    'spec.nodeName': field('spec', 'nodeName'),
    'spec.restartPolicy': field('spec', 'restartPolicy'),
    'spec.schedulerName': field('spec', 'schedulerName'),
    'spec.serviceAccountName': field('spec', 'serviceAccountName'),
    'spec.hostNetwork': (obj) => String(read(obj, ['spec', 'hostNetwork']) === true),
    'status.phase': field('status', 'phase'),
    'status.podIP': field('status', 'podIP'),
    'status.nominatedNodeName': field('status', 'nominatedNodeName'),
  },
});
export const SERVICE = type({
  group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true,
  shortNames: ['svc'], categories: ['all'], statusSubresource: true,
  fields: { 'spec.clusterIP': field('spec', 'clusterIP'), 'spec.type': field('spec', 'type') },
});
export const EVENT = type({
  group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'],
  fields: {
    'involvedObject.kind': field('involvedObject', 'kind'),
    'involvedObject.namespace': field('involvedObject', 'namespace'),
    'involvedObject.name': field('involvedObject', 'name'),
    'involvedObject.uid': field('involvedObject', 'uid'),
    'involvedObject.apiVersion': field('involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': field('involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': field('involvedObject', 'fieldPath'),
    reason: field('reason'),
    reportingComponent: field('reportingComponent'),
    source: field('source', 'component'),
    type: field('type'),
  },
});
export const ENDPOINT_SLICE = type({
  group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice',
  namespaced: true, generation: true, fields: { addressType: field('addressType') },
});
export const NETWORK_POLICY = type({
  group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy',
  namespaced: true, shortNames: ['netpol'], generation: true,
});
export const LEASE = type({
  group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true,
});

export const RESOURCE_TYPES: readonly ResourceType[] = [NAMESPACE, NODE, POD, SERVICE, EVENT, ENDPOINT_SLICE, NETWORK_POLICY, LEASE];

/** `v1` or `discovery.k8s.io/v1`. */
export function groupVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `pods` or `endpointslices.discovery.k8s.io`: how errors name the resource, and the store's key. */
export function qualifiedResource(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function findResourceType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function fieldValue(type: ResourceType, obj: KObject, name: string): string | undefined {
  if (name === 'metadata.name') return obj.metadata.name ?? '';
  if (name === 'metadata.namespace') return type.namespaced ? (obj.metadata.namespace ?? '') : '';
  const reader = type.fields[name];
  return reader ? reader(obj) : undefined;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function objectKeyOf(obj: KObject): string {
  return keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
}

export function getPath(obj: unknown, path: Path): unknown {
  return read(obj, path);
}
