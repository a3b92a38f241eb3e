// The three PATCH formats kube-apiserver accepts for built-in kinds: JSON merge patch
// (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, whose list handling comes
// from the Go types' patchStrategy/patchMergeKey tags; the table below carries those tags
// for the fields of the kinds the simulator serves (lists not listed are atomic).
import { badRequest, invalid, type StatusError } from './simulator-status.js';
import type { ResourceType } from './simulator-resources.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const clone = <T>(value: T): T => structuredClone(value);

// ---------------------------------------------------------------- merge patch

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value) as Json;
  }
  return result;
}

// ---------------------------------------------------------------- JSON patch

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], op: string): { parent: Json; last: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (next === undefined) throw new Error(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
    node = next;
  }
  return { parent: node, last: tokens[tokens.length - 1] as string };
}

function getAt(doc: Json, tokens: string[], op: string): Json {
  if (!tokens.length) return doc;
  const { parent, last } = parentOf(doc, tokens, op);
  const value = Array.isArray(parent) ? parent[Number(last)] : isObject(parent) ? parent[last] : undefined;
  if (value === undefined) throw new Error(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
  return value;
}

function arrayIndex(parent: Json[], last: string, allowEnd: boolean, op: string): number {
  if (allowEnd && last === '-') return parent.length;
  if (!/^(0|[1-9][0-9]*)$/.test(last)) throw new Error(`${op} operation: invalid array index ${JSON.stringify(last)}`);
  const index = Number(last);
  if (index > parent.length - (allowEnd ? 0 : 1)) throw new Error(`${op} operation: index ${index} out of bounds`);
  return index;
}

function removeAt(doc: Json, tokens: string[], op: string): Json {
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, op), 1)[0] as Json;
  if (isObject(parent) && last in parent) {
    const value = parent[last] as Json;
    delete parent[last];
    return value;
  }
  throw new Error(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
}

function addAt(doc: Json, tokens: string[], value: Json, op: string): Json {
  if (!tokens.length) return value;
  const { parent, last } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, op), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new Error(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`);
  return doc;
}

/** Applies an RFC 6902 patch; malformed patches are 400, operations that fail are 422. */
export function applyJsonPatch(target: unknown, patch: unknown, type: ResourceType, name: string): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target) as Json;
  for (const raw of patch as JsonPatchOp[]) {
    try {
      if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new Error('operation missing op or path');
      const tokens = pointer(raw.path);
      switch (raw.op) {
        case 'add':
          doc = addAt(doc, tokens, clone(raw.value ?? null), 'add');
          break;
        case 'remove':
          removeAt(doc, tokens, 'remove');
          break;
        case 'replace':
          getAt(doc, tokens, 'replace');
          if (!tokens.length) doc = clone(raw.value ?? null);
          else {
            removeAt(doc, tokens, 'replace');
            doc = addAt(doc, tokens, clone(raw.value ?? null), 'replace');
          }
          break;
        case 'move':
        case 'copy': {
          const from = pointer(raw.from ?? '');
          const value = raw.op === 'move' ? removeAt(doc, from, raw.op) : clone(getAt(doc, from, raw.op));
          doc = addAt(doc, tokens, value, raw.op);
          break;
        }
        case 'test':
          if (JSON.stringify(getAt(doc, tokens, 'test')) !== JSON.stringify(raw.value)) {
            throw new Error(`testing value /${tokens.join('/')} failed: test failed`);
          }
          break;
        default:
          throw new Error(`Unexpected kind: ${raw.op}`);
      }
    } catch (err) {
      if ((err as StatusError).status) throw err;
      throw invalid(type, name, [{ type: 'Invalid', field: 'patch', value: JSON.stringify(patch), detail: (err as Error).message }]);
    }
  }
  return doc;
}

// ---------------------------------------------------------------- strategic merge patch

/** How a list field merges: by a key field, as a set of primitives, or replaced whole. */
type ListStrategy = { readonly mergeKey: string } | { readonly primitiveSet: true };

const CONTAINER_LISTS: Record<string, ListStrategy> = {
  ports: { mergeKey: 'containerPort' },
  env: { mergeKey: 'name' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
  resizePolicy: { mergeKey: 'resourceName' },
};

function prefixed(prefix: string, table: Record<string, ListStrategy>): Record<string, ListStrategy> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [`${prefix}.${k}`, v]));
}

const METADATA_LISTS: Record<string, ListStrategy> = {
  'metadata.finalizers': { primitiveSet: true },
  'metadata.ownerReferences': { mergeKey: 'uid' },
};

const POD_LISTS: Record<string, ListStrategy> = {
  'spec.containers': { mergeKey: 'name' },
  ...prefixed('spec.containers', CONTAINER_LISTS),
  'spec.initContainers': { mergeKey: 'name' },
  ...prefixed('spec.initContainers', CONTAINER_LISTS),
  'spec.ephemeralContainers': { mergeKey: 'name' },
  ...prefixed('spec.ephemeralContainers', CONTAINER_LISTS),
  'spec.volumes': { mergeKey: 'name' },
  'spec.imagePullSecrets': { mergeKey: 'name' },
  'spec.hostAliases': { mergeKey: 'ip' },
  'spec.schedulingGates': { mergeKey: 'name' },
  'spec.resourceClaims': { mergeKey: 'name' },
  'status.conditions': { mergeKey: 'type' },
  'status.podIPs': { mergeKey: 'ip' },
  'status.hostIPs': { mergeKey: 'ip' },
};

const LIST_STRATEGIES: Readonly<Record<string, Record<string, ListStrategy>>> = {
  Pod: POD_LISTS,
  Service: { 'spec.ports': { mergeKey: 'port' }, 'status.conditions': { mergeKey: 'type' } },
  Node: { 'spec.podCIDRs': { primitiveSet: true }, 'status.conditions': { mergeKey: 'type' }, 'status.addresses': { mergeKey: 'type' } },
  Namespace: { 'status.conditions': { mergeKey: 'type' } },
};

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch to an object of the given kind. */
export function applyStrategicMergePatch(kind: string, target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const lists = { ...METADATA_LISTS, ...(LIST_STRATEGIES[kind] ?? {}) };
  return mergeMap(isObject(target) ? target : {}, patch, '', lists) ?? {};
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Drops directives from a value that is added as is (no original to merge into). */
function strip(value: Json, path: string, lists: Record<string, ListStrategy>): Json {
  if (isObject(value)) return mergeMap({}, value, path, lists) ?? {};
  if (Array.isArray(value)) return value.filter((v) => !(isObject(v) && v[DIRECTIVE] !== undefined)).map((v) => strip(v, path, lists));
  return value;
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string, lists: Record<string, ListStrategy>): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { [DIRECTIVE]: _d, ...rest } = patch;
    return strip(rest, path, lists) as JsonObject;
  }
  const result: JsonObject = clone(original);
  const orders: Array<[string, Json[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ORDER)) {
      if (Array.isArray(value)) orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) {
        const drop = new Set(value.map((v) => JSON.stringify(v)));
        result[field] = current.filter((v) => !drop.has(JSON.stringify(v)));
      }
      continue;
    }
    const here = childPath(path, key);
    if (value === null) delete result[key];
    else if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, here, lists);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) result[key] = mergeList(result[key], value, here, lists);
    else result[key] = value;
  }
  for (const [field, order] of orders) {
    const current = result[field];
    if (Array.isArray(current)) result[field] = applyOrder(current, order, lists[childPath(path, field)]);
  }
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(original: Json | undefined, patch: Json[], path: string, lists: Record<string, ListStrategy>): Json[] {
  const strategy = lists[path];
  const current = Array.isArray(original) ? original : [];
  if (!strategy) return strip(patch, path, lists) as Json[];
  if ('primitiveSet' in strategy) {
    const seen = new Set(current.map((v) => JSON.stringify(v)));
    return [...current, ...patch.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  const key = strategy.mergeKey;
  if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'replace')).map((item) => strip(item, path, lists));
  }
  const result = clone(current);
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = result.findIndex((existing) => isObject(existing) && JSON.stringify(existing[key]) === JSON.stringify(item[key]));
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeMap(result[index] as JsonObject, item, path, lists);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      result.push(strip(item, path, lists));
    }
  }
  return result;
}

/** `$setElementOrder`: listed elements first, in the given order; others keep theirs. */
function applyOrder(list: Json[], order: Json[], strategy: ListStrategy | undefined): Json[] {
  const identity = (v: Json): string =>
    strategy && 'mergeKey' in strategy && isObject(v) ? JSON.stringify(v[strategy.mergeKey]) : JSON.stringify(v);
  const rank = new Map(order.map((v, i) => [identity(v), i] as const));
  const ranked = list.filter((v) => rank.has(identity(v))).sort((a, b) => (rank.get(identity(a)) ?? 0) - (rank.get(identity(b)) ?? 0));
  const rest = list.filter((v) => !rank.has(identity(v)));
  return [...ranked, ...rest];
}

/** The list strategies of a kind (server-side apply merges lists the same way). */
export function listStrategiesOf(kind: string): Record<string, ListStrategy> {
  return { ...METADATA_LISTS, ...(LIST_STRATEGIES[kind] ?? {}) };
}

export type { ListStrategy };
