// Discovery documents (/api, /apis, /apis/<group>/<version>), /version, and the OpenAPI
// v3 index and per-group documents kubectl reads. The OpenAPI documents are deliberately
// small: they list every path and operation with the query parameters a real server
// declares (kubectl checks that PATCH accepts `fieldValidation` to decide whether the
// server validates fields itself), and no schemas, so kubectl computes strategic merge
// patches from its compiled-in Go types, which know every built-in kind.
import { createHash } from 'node:crypto';
import { RESOURCE_TYPES, RESOURCE_VERBS, STATUS_VERBS, groupVersion, type ResourceType } from './simulator-resources.js';

export const SIMULATED_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kr-simulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function groups(): Map<string, ResourceType[]> {
  const byGroup = new Map<string, ResourceType[]>();
  for (const type of RESOURCE_TYPES) {
    if (type.group === '') continue;
    byGroup.set(type.group, [...(byGroup.get(type.group) ?? []), type]);
  }
  return byGroup;
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, types: ResourceType[]): unknown {
  const version = (types[0] as ResourceType).version;
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

export function apiGroupList(): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups()].map(([name, types]) => apiGroup(name, types)) };
}

export function apiGroupOf(name: string): unknown | undefined {
  const types = groups().get(name);
  return types ? { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(name, types) as object) } : undefined;
}

export function apiResourceList(group: string, version: string): unknown | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (!types.length) return undefined;
  const resources: unknown[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t === RESOURCE_TYPES.find((r) => r.kind === 'Namespace') ? RESOURCE_VERBS.filter((v) => v !== 'deletecollection') : RESOURCE_VERBS,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
      storageVersionHash: createHash('sha256').update(`${groupVersion(t)}/${t.kind}`).digest('base64').slice(0, 11),
    });
    if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: STATUS_VERBS });
    if (t.kind === 'Pod') resources.push({ name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
    if (t.kind === 'Namespace') resources.push({ name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

// ---------------------------------------------------------------- OpenAPI v3

function openApiPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function documentHash(path: string): string {
  return createHash('sha512').update(`${SIMULATED_VERSION.gitVersion}/${path}`).digest('hex').toUpperCase().slice(0, 128);
}

export function openApiV3Index(): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const type of RESOURCE_TYPES) {
    const path = openApiPath(type.group, type.version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${documentHash(path)}` };
  }
  return { paths };
}

const queryParameter = (name: string, type = 'string') => ({ name, in: 'query', schema: { type, uniqueItems: true } });
const WRITE_PARAMETERS = [queryParameter('dryRun'), queryParameter('fieldManager'), queryParameter('fieldValidation')];

function operation(id: string, parameters: unknown[], gvk: object): unknown {
  return {
    operationId: id,
    parameters,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': id.replace(/^(\w+?)[A-Z].*$/, '$1'),
    'x-kubernetes-group-version-kind': gvk,
  };
}

/** One group-version's document: paths and operations, no schemas. */
export function openApiV3Document(group: string, version: string): unknown | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (!types.length) return undefined;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group, version, kind: t.kind };
    const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
    const item = `${collection}/{name}`;
    paths[collection] = {
      get: operation(`list${t.kind}`, [queryParameter('labelSelector'), queryParameter('fieldSelector'), queryParameter('watch', 'boolean')], gvk),
      post: operation(`create${t.kind}`, WRITE_PARAMETERS, gvk),
    };
    paths[item] = {
      get: operation(`read${t.kind}`, [], gvk),
      put: operation(`replace${t.kind}`, WRITE_PARAMETERS, gvk),
      patch: operation(`patch${t.kind}`, [...WRITE_PARAMETERS, queryParameter('force', 'boolean')], gvk),
      delete: operation(`delete${t.kind}`, [queryParameter('dryRun'), queryParameter('gracePeriodSeconds', 'integer')], gvk),
    };
    if (t.statusSubresource) {
      paths[`${item}/status`] = {
        get: operation(`read${t.kind}Status`, [], gvk),
        put: operation(`replace${t.kind}Status`, WRITE_PARAMETERS, gvk),
        patch: operation(`patch${t.kind}Status`, [...WRITE_PARAMETERS, queryParameter('force', 'boolean')], gvk),
      };
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (kr API server simulator)', version: SIMULATED_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}
