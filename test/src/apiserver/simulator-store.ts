// The simulator's etcd: objects of every kind under one resourceVersion counter, a
// bounded history of changes that watches replay from, and compaction (a watch from a
// compacted resourceVersion is told 410 Gone, as etcd's compaction makes kube-apiserver do).
import { randomUUID } from 'node:crypto';
import { gone } from './simulator-status.js';
import { keyOf, objectKeyOf, qualifiedResource, type KObject, type ResourceType } from './simulator-resources.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  readonly type: EventType;
  readonly resource: ResourceType;
  /** The object after the change (for DELETED: its last state, with the deletion's resourceVersion). */
  readonly object: KObject;
  /** The object before the change (MODIFIED, DELETED). */
  readonly old?: KObject;
  readonly rv: number;
}

export interface WatchFilter {
  readonly namespace?: string;
  readonly matches: (obj: KObject) => boolean;
}

export type WatchSink = (type: EventType, object: KObject) => void;

interface Watcher {
  readonly resource: ResourceType;
  readonly filter: WatchFilter;
  readonly sink: WatchSink;
}

export interface StoreDump {
  readonly resourceVersion: number;
  readonly objects: Record<string, KObject[]>;
}

export interface StoreOptions {
  /** Changes kept for watches to replay; older ones are compacted away (default 10000). */
  readonly historyLimit?: number;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const clone = <T>(value: T): T => structuredClone(value);

function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutMetaAndStatus(obj: KObject): unknown {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

export class SimulatorStore {
  private rv = 0;
  /** Watches must start at or after this resourceVersion. */
  private compactedRv = 0;
  private readonly tables = new Map<ResourceType, Map<string, KObject>>();
  private readonly history: ChangeEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly listeners = new Set<(event: ChangeEvent) => void>();
  private readonly historyLimit: number;

  constructor(options: StoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get compactedResourceVersion(): number {
    return this.compactedRv;
  }

  private table(resource: ResourceType): Map<string, KObject> {
    let table = this.tables.get(resource);
    if (!table) {
      table = new Map();
      this.tables.set(resource, table);
    }
    return table;
  }

  /** A copy of the stored object (callers may change it). */
  get(resource: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    const obj = this.peek(resource, namespace, name);
    return obj ? clone(obj) : undefined;
  }

  /** The stored object itself: read-only by contract, for controllers and serialisation. */
  peek(resource: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    return this.table(resource).get(keyOf(resource.namespaced ? namespace : undefined, name));
  }

  /** Stored objects (read-only by contract), in key order as etcd lists them. */
  list(resource: ResourceType, namespace?: string): KObject[] {
    const items = [...this.table(resource).values()].filter((obj) => !namespace || obj.metadata.namespace === namespace);
    return items.sort((a, b) => (objectKeyOf(a) < objectKeyOf(b) ? -1 : objectKeyOf(a) > objectKeyOf(b) ? 1 : 0));
  }

  /** Stores a new object; the caller has checked it does not exist. Sets uid, creationTimestamp, generation. */
  create(resource: ResourceType, input: KObject): KObject {
    const obj = clone(input);
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = timestamp();
    if (resource.generation) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    return this.commit('ADDED', resource, obj);
  }

  /**
   * Replaces an existing object. Identity fields are kept from the stored version;
   * generation moves when anything but metadata and status changed. A write that changes
   * nothing is not a write (no new resourceVersion, no event), as in kube-apiserver.
   */
  update(resource: ResourceType, input: KObject): KObject {
    const old = this.peek(resource, input.metadata.namespace, input.metadata.name ?? '');
    if (!old) throw new Error(`store: update of missing ${qualifiedResource(resource)} ${objectKeyOf(input)}`);
    const obj = clone(input);
    obj.metadata.uid = old.metadata.uid;
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (resource.generation) {
      const generation = old.metadata.generation ?? 1;
      obj.metadata.generation = sameContent(withoutMetaAndStatus(obj), withoutMetaAndStatus(old)) ? generation : generation + 1;
    } else {
      delete obj.metadata.generation;
    }
    obj.metadata.resourceVersion = old.metadata.resourceVersion;
    if (sameContent(obj, old)) return clone(old);
    return this.commit('MODIFIED', resource, obj, old);
  }

  delete(resource: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    const old = this.peek(resource, namespace, name);
    if (!old) return undefined;
    return this.commit('DELETED', resource, clone(old), old);
  }

  private commit(type: EventType, resource: ResourceType, obj: KObject, old?: KObject): KObject {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const table = this.table(resource);
    if (type === 'DELETED') table.delete(objectKeyOf(obj));
    else table.set(objectKeyOf(obj), obj);
    const event: ChangeEvent = { type, resource, object: obj, ...(old ? { old } : {}), rv: this.rv };
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.compactTo(this.history[this.history.length - this.historyLimit - 1]?.rv ?? 0);
    for (const watcher of this.watchers) if (watcher.resource === resource) deliver(watcher, event);
    for (const listener of this.listeners) listener(event);
    return clone(obj);
  }

  /**
   * Forgets history up to and including `rv` (default: everything so far), like etcd's
   * compaction: watches from an older resourceVersion then get 410 Gone.
   */
  compact(rv = this.rv): void {
    this.compactTo(Math.min(rv, this.rv));
  }

  private compactTo(rv: number): void {
    if (rv <= this.compactedRv) return;
    this.compactedRv = rv;
    let drop = 0;
    while (drop < this.history.length && (this.history[drop]?.rv ?? Infinity) <= rv) drop += 1;
    this.history.splice(0, drop);
  }

  /**
   * Starts a watch. With a resourceVersion, replays every change after it (410 Gone when
   * compacted away); without one (or "0"), first sends the current objects as ADDED.
   * Returns the function that ends the watch.
   */
  watch(resource: ResourceType, fromRv: number | undefined, filter: WatchFilter, sink: WatchSink): () => void {
    const watcher: Watcher = { resource, filter, sink };
    if (fromRv === undefined) {
      for (const obj of this.list(resource, filter.namespace)) if (filter.matches(obj)) sink('ADDED', obj);
    } else {
      if (fromRv < this.compactedRv) throw gone(`too old resource version: ${fromRv} (${this.compactedRv})`);
      for (const event of this.history) if (event.rv > fromRv && event.resource === resource) deliver(watcher, event);
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  get watchCount(): number {
    return this.watchers.size;
  }

  /** Called synchronously after every change (controllers queue work from here). */
  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dump(): StoreDump {
    const objects: Record<string, KObject[]> = {};
    for (const [resource, table] of this.tables) if (table.size) objects[qualifiedResource(resource)] = [...table.values()];
    return { resourceVersion: this.rv, objects };
  }

  /**
   * Loads a dump into an empty store. The counter continues from the dump's value so
   * resourceVersions stay monotonic across restarts; history starts empty, so watches
   * from before the restart get 410 and their informers relist, as after an etcd restore.
   */
  load(dump: StoreDump, resources: readonly ResourceType[]): void {
    for (const resource of resources) {
      for (const obj of dump.objects[qualifiedResource(resource)] ?? []) this.table(resource).set(objectKeyOf(obj), obj);
    }
    this.rv = Math.max(this.rv, dump.resourceVersion);
    this.compactedRv = this.rv;
  }
}

/** Delivers one change to a watch, as the watch cache does for selector-filtered watches. */
function deliver(watcher: Watcher, event: ChangeEvent): void {
  const { filter, sink } = watcher;
  if (filter.namespace && event.object.metadata.namespace !== filter.namespace) return;
  const now = event.type !== 'DELETED' && filter.matches(event.object);
  const before = event.old !== undefined && filter.matches(event.old);
  switch (event.type) {
    case 'ADDED':
      if (now) sink('ADDED', event.object);
      break;
    case 'MODIFIED':
      // An object that starts or stops matching the selector appears or disappears.
      if (now && before) sink('MODIFIED', event.object);
      else if (now) sink('ADDED', event.object);
      else if (before) sink('DELETED', event.object);
      break;
    case 'DELETED':
      if (before) sink('DELETED', event.object);
      break;
  }
}
