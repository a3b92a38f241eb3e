// `apply -f` / `delete -f`: multi-document YAML or JSON (and `kind: List`) of the kinds
// the sandbox serves. Parsing and checking are pure and happen before anything is sent,
// so a bad file changes nothing. Objects go in by server-side apply (create or update);
// Node documents only merge their labels and annotations into the sandbox's node.
import { ConfigError } from '@kr/errors';
import { parseAllDocuments } from 'yaml';
import { KINDS, resourcePath, type KindInfo, type KubeObj, type SimulatorClient } from './api.js';

export interface ManifestObject {
  readonly info: KindInfo;
  readonly namespace?: string;
  readonly name: string;
  readonly body: KubeObj;
  /** Where it came from, for messages: `file.yaml#2`. */
  readonly origin: string;
}

const SUPPORTED = Object.keys(KINDS).join(', ');

function flatten(doc: unknown, origin: string): Array<{ value: unknown; origin: string }> {
  if (doc && typeof doc === 'object' && (doc as KubeObj).kind === 'List' && Array.isArray((doc as { items?: unknown }).items)) {
    return ((doc as { items: unknown[] }).items).map((value, i) => ({ value, origin: `${origin} item ${i + 1}` }));
  }
  return [{ value: doc, origin }];
}

/** Parses a file's text into checked objects; ConfigError names the document and the problem. */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const docs = parseAllDocuments(text);
  const out: ManifestObject[] = [];
  docs.forEach((doc, index) => {
    const origin = `${source}#${index + 1}`;
    if (doc.errors.length) throw new ConfigError(origin, `not valid YAML: ${doc.errors[0]!.message}`);
    for (const { value, origin: where } of flatten(doc.toJS(), origin)) {
      if (value === null || value === undefined) continue;
      out.push(checkObject(value, where));
    }
  });
  return out;
}

function checkObject(value: unknown, origin: string): ManifestObject {
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(origin, 'a document must be a Kubernetes object');
  const obj = value as KubeObj;
  const info = typeof obj.kind === 'string' ? KINDS[obj.kind] : undefined;
  if (!info) throw new ConfigError(origin, `kind ${JSON.stringify(obj.kind ?? '')} is not served by the sandbox (it serves ${SUPPORTED})`);
  if (obj.apiVersion !== info.apiVersion) throw new ConfigError(origin, `${info.kind} needs apiVersion ${info.apiVersion}, not ${JSON.stringify(obj.apiVersion ?? '')}`);
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || !name) throw new ConfigError(origin, `${info.kind} has no metadata.name`);
  if (!info.namespaced && obj.metadata?.namespace) throw new ConfigError(origin, `${info.kind} ${name} is not namespaced but has metadata.namespace`);
  const namespace = info.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
  const body: KubeObj = { ...obj, metadata: { ...obj.metadata, name, ...(namespace ? { namespace } : {}) } };
  return { info, name, body, origin, ...(namespace ? { namespace } : {}) };
}

/** Namespaces first (their content needs them), then the rest in file order. */
export function applyOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  return [...objects.filter((o) => o.info.kind === 'Namespace'), ...objects.filter((o) => o.info.kind !== 'Namespace')];
}

/** The reverse: content before its namespace. */
export function deleteOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  return applyOrder(objects).reverse();
}

/** `pod/default/a`, `namespace/a`: how results name objects. */
export function displayName(o: { info: KindInfo; namespace?: string; name: string }): string {
  return `${o.info.kind.toLowerCase()}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged' | 'labeled' | 'deleted' | 'not found' | 'failed';

export interface ObjectResult {
  readonly object: string;
  readonly outcome: ApplyOutcome;
  readonly error?: string;
}

/** The merge patch that gives a node a Node document's labels and annotations (or, to delete, removes them). */
export function nodeMetadataPatch(body: KubeObj, remove: boolean): { metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } } {
  const pick = (m: Record<string, string> | undefined) =>
    m && Object.keys(m).length ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, remove ? null : String(v)])) : undefined;
  const labels = pick(body.metadata?.labels);
  const annotations = pick(body.metadata?.annotations);
  return { metadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } };
}

async function applyOne(api: SimulatorClient, o: ManifestObject): Promise<ApplyOutcome> {
  const path = resourcePath(o.info, o.namespace, o.name);
  if (o.info.kind === 'Node') {
    const node = await api.find(path);
    if (!node) throw new ConfigError(o.origin, `node ${o.name} is not a node of the sandbox (only labels and annotations of existing nodes can be applied)`);
    const after = await api.mergePatch(path, nodeMetadataPatch(o.body, false));
    return after.metadata?.resourceVersion === node.metadata?.resourceVersion ? 'unchanged' : 'labeled';
  }
  const before = await api.find(path);
  const after = await api.apply(path, o.body);
  if (!before) return 'created';
  return after.metadata?.resourceVersion === before.metadata?.resourceVersion ? 'unchanged' : 'configured';
}

/** Applies in order; a rejected object is reported and the rest still go in (as kubectl does). */
export async function applyManifests(api: SimulatorClient, objects: readonly ManifestObject[]): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  for (const o of applyOrder(objects)) {
    try {
      results.push({ object: displayName(o), outcome: await applyOne(api, o) });
    } catch (err) {
      results.push({ object: displayName(o), outcome: 'failed', error: (err as Error).message });
    }
  }
  return results;
}

async function deleteOne(api: SimulatorClient, o: ManifestObject): Promise<ApplyOutcome> {
  const path = resourcePath(o.info, o.namespace, o.name);
  if (o.info.kind === 'Node') {
    // Nodes belong to the sandbox: deleting a Node document takes back what applying it gave.
    if (!(await api.find(path))) return 'not found';
    await api.mergePatch(path, nodeMetadataPatch(o.body, true));
    return 'labeled';
  }
  return (await api.delete(path)) ? 'deleted' : 'not found';
}

/**
 * Deletes in reverse order, then waits (up to waitMs) until the objects are gone, as
 * `kubectl delete` does: pods linger until their kubelet has torn them down.
 */
export async function deleteManifests(api: SimulatorClient, objects: readonly ManifestObject[], waitMs: number): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  const pending: ManifestObject[] = [];
  for (const o of deleteOrder(objects)) {
    try {
      const outcome = await deleteOne(api, o);
      results.push({ object: displayName(o), outcome });
      if (outcome === 'deleted') pending.push(o);
    } catch (err) {
      results.push({ object: displayName(o), outcome: 'failed', error: (err as Error).message });
    }
  }
  const deadline = Date.now() + waitMs;
  let left = pending;
  while (left.length && waitMs > 0) {
    const still = await Promise.all(left.map(async (o) => ((await api.find(resourcePath(o.info, o.namespace, o.name))) ? o : undefined)));
    left = still.filter((o): o is ManifestObject => !!o);
    if (!left.length) break;
    if (Date.now() > deadline) {
      for (const o of left) {
        const i = results.findIndex((r) => r.object === displayName(o));
        results[i] = { object: displayName(o), outcome: 'failed', error: `still there after ${waitMs} ms (its node's kubelet has not finished it)` };
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return results;
}

export function formatResults(results: readonly ObjectResult[]): string {
  return results.map((r) => `${r.object} ${r.outcome}${r.error ? `: ${r.error}` : ''}\n`).join('');
}
