// Server-side apply (application/apply-patch+yaml), as far as `kubectl apply
// --server-side` needs: the applied configuration is merged like a strategic merge patch,
// the manager's field set is recorded in metadata.managedFields (FieldsV1 format), and
// fields the same manager applied before but left out now are removed. Conflicts between
// managers are not detected (every apply behaves as if forced).
import { isObject, listStrategiesOf, applyStrategicMergePatch, type ListStrategy } from './simulator-patch.js';
import { groupVersion, type KObject, type ResourceType } from './simulator-resources.js';
import { badRequest } from './simulator-status.js';
import { timestamp } from './simulator-store.js';

type FieldSet = { [key: string]: FieldSet };

/** The FieldsV1 set of a configuration: every leaf and list element it sets. */
function fieldSetOf(value: unknown, path: string, lists: Record<string, ListStrategy>): FieldSet {
  const set: FieldSet = {};
  if (!isObject(value)) return set;
  for (const [key, child] of Object.entries(value)) {
    if (path === '' && (key === 'apiVersion' || key === 'kind')) continue;
    if (path === 'metadata' && ['name', 'namespace', 'managedFields', 'resourceVersion', 'uid'].includes(key)) continue;
    const here = path ? `${path}.${key}` : key;
    const strategy = lists[here];
    if (Array.isArray(child) && strategy) {
      const items: FieldSet = {};
      for (const item of child) {
        if ('mergeKey' in strategy && isObject(item)) {
          items[`k:${JSON.stringify({ [strategy.mergeKey]: item[strategy.mergeKey] })}`] = { '.': {}, ...fieldSetOf(item, here, lists) };
        } else {
          items[`v:${JSON.stringify(item)}`] = {};
        }
      }
      set[`f:${key}`] = items;
    } else if (isObject(child) && Object.keys(child).length) {
      set[`f:${key}`] = fieldSetOf(child, here, lists);
    } else {
      set[`f:${key}`] = {};
    }
  }
  return set;
}

/** Removes from `target` what `before` owned and `after` no longer does. */
function prune(target: unknown, before: FieldSet, after: FieldSet): void {
  for (const [key, child] of Object.entries(before)) {
    if (key === '.') continue;
    const kept = after[key];
    const [kind, name] = [key.slice(0, 2), key.slice(2)];
    if (kind === 'f:' && isObject(target)) {
      if (!kept) delete target[name];
      else if (Object.keys(child).length) prune(target[name], child, kept);
    } else if (Array.isArray(target)) {
      const index = target.findIndex((item) =>
        kind === 'v:' ? JSON.stringify(item) === name : isObject(item) && Object.entries(JSON.parse(name) as object).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)),
      );
      if (index < 0) continue;
      if (!kept) target.splice(index, 1);
      else if (Object.keys(child).length) prune(target[index], child, kept);
    }
  }
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldSet;
  subresource?: string;
}

export function applyServerSideApply(
  type: ResourceType,
  existing: KObject | undefined,
  config: unknown,
  manager: string,
  name: string,
  namespace: string | undefined,
): { object: KObject; created: boolean } {
  if (!isObject(config)) throw badRequest('apply patch must be a YAML or JSON object');
  const applied = structuredClone(config) as unknown as KObject;
  if (!applied.apiVersion || !applied.kind) throw badRequest('apiVersion and kind must be set in an applied configuration');
  applied.metadata = isObject(applied.metadata) ? applied.metadata : {};
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
  }
  applied.metadata.name = name;
  if (namespace && type.namespaced) applied.metadata.namespace = namespace;
  const lists = listStrategiesOf(type.kind);
  const fields = fieldSetOf(applied, '', lists);
  const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion: groupVersion(type), time: timestamp(), fieldsType: 'FieldsV1', fieldsV1: fields };
  if (!existing) {
    applied.metadata.managedFields = [entry];
    return { object: applied, created: true };
  }
  const entries = ((existing.metadata.managedFields ?? []) as ManagedFieldsEntry[]).filter((e) => isObject(e));
  const previous = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const merged = structuredClone(existing);
  if (previous) prune(merged, previous.fieldsV1, fields);
  const { metadata: appliedMeta, ...appliedRest } = applied;
  const result = applyStrategicMergePatch(type.kind, merged, { ...appliedRest, metadata: { ...appliedMeta, managedFields: null } }) as KObject;
  result.metadata.managedFields = [...entries.filter((e) => e !== previous), entry];
  delete result.metadata.resourceVersion;
  return { object: result, created: false };
}
