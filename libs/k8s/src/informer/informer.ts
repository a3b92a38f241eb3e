import { ApiError, errorMessage } from '@kr/errors';
import type { KubeClient } from '../client/client.js';
import { keyOf, objectKey, type KubeObject, type ResourceDescriptor } from '../resources.js';
import { Backoff, abortableSleep, type BackoffOptions } from '@kr/runner';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerStatus {
  /** The last list or watch request reached the API server. */
  readonly connected: boolean;
  /** The first complete list has been delivered to handlers. */
  readonly synced: boolean;
  readonly resourceVersion?: string;
  readonly lastError?: Error;
  readonly lastErrorAt?: Date;
  /** Failed attempts since the last success; drives the backoff. */
  readonly consecutiveFailures: number;
  /** Complete lists so far: 1 after the initial sync, +1 per relist (410 Gone). */
  readonly lists: number;
  /** Watch requests opened so far. */
  readonly watches: number;
}

export interface InformerOptions<T> {
  /** Only this namespace (namespaced kinds); default all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Server-side watch timeout. Each watch asks for a random value in [t, 2t), like
   * client-go, so the processes on all nodes do not reconnect in lockstep. Default 300.
   */
  readonly watchTimeoutSeconds?: number;
  /** List page size (default 500). */
  readonly pageSize?: number;
  readonly backoff?: BackoffOptions;
  /** Injectable sleep for tests; must resolve early when the signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /**
   * Applied to every object before it is cached. The default drops
   * metadata.managedFields, which no controller reads and which is often half of an
   * object's size (pods!): memory matters at 85 MB per process.
   */
  readonly transform?: (obj: T) => T;
  /** Handler exceptions go here (default: process.emitWarning); they never stop the informer. */
  readonly onHandlerError?: (err: unknown, event: 'add' | 'update' | 'delete', obj: T) => void;
}

function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

// A watch that ends this fast without delivering anything counts as a failure for
// backoff purposes, so a server that keeps closing streams cannot spin us in a hot loop.
const MIN_USEFUL_WATCH_MS = 1000;

/**
 * List-then-watch cache of one kind, with client-go's reflector semantics:
 * - list (paged), then watch from the list's resourceVersion with bookmarks;
 * - a watch that ends is reopened from the last resourceVersion seen (events and
 *   bookmarks advance it);
 * - 410 Gone (HTTP status or ERROR event) means our resourceVersion is compacted away:
 *   relist and emit the difference against the cache (adds, updates, deletes), so
 *   handlers see every object that vanished while we were not watching;
 * - any other failure is retried with exponential backoff and shows in status().
 * Handlers run synchronously in the informer's loop and must be cheap (record the
 * change and return).
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly statusListeners = new Set<(status: InformerStatus) => void>();
  private readonly abort = new AbortController();
  private readonly syncedSignal = Promise.withResolvers<void>();
  private loop: Promise<void> | undefined;
  private state: {
    connected: boolean;
    synced: boolean;
    resourceVersion?: string;
    lastError?: Error;
    lastErrorAt?: Date;
    consecutiveFailures: number;
    lists: number;
    watches: number;
  } = { connected: false, synced: false, consecutiveFailures: 0, lists: 0, watches: 0 };

  /** Resolves after the first complete list; rejects if stopped before that. */
  readonly synced: Promise<void> = this.syncedSignal.promise;

  constructor(
    private readonly client: KubeClient,
    readonly resource: ResourceDescriptor<T>,
    private readonly options: InformerOptions<T> = {},
  ) {
    // Callers that never await `synced` must not get an unhandled rejection on stop().
    this.synced.catch(() => undefined);
  }

  /** Starts listing and watching; idempotent. */
  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Aborts in-flight requests and waits for the loop to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (!this.state.synced) {
      this.syncedSignal.reject(new ApiError(`${this.resource.kind} informer stopped before its first list completed`));
    }
    await this.loop;
  }

  hasSynced(): boolean {
    return this.state.synced;
  }

  status(): InformerStatus {
    return { ...this.state };
  }

  /** Called on every status change (connection, sync, error). */
  onStatusChange(listener: (status: InformerStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Registers handlers; returns a function that removes them. Handlers added after
   * objects are cached first get an add for each of them, so every subscriber sees a
   * consistent stream.
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (handlers.onAdd) for (const obj of this.cache.values()) this.call(handlers, 'add', obj);
    return () => this.handlers.delete(handlers);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(keyOf(name, this.resource.namespaced ? namespace : undefined));
  }

  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  get size(): number {
    return this.cache.size;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const backoff = new Backoff({ ...(this.options.random ? { random: this.options.random } : {}), ...this.options.backoff });
    const sleep = this.options.sleep ?? abortableSleep;
    let needList = true;
    let goneInARow = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const started = Date.now();
        const delivered = await this.watchOnce(signal);
        goneInARow = 0;
        if (delivered === 0 && Date.now() - started < MIN_USEFUL_WATCH_MS) {
          await sleep(backoff.next(), signal);
        } else {
          backoff.reset();
        }
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof ApiError && err.status === 410) {
          // Relist at once; only a second Gone in a row (a server that expires even a
          // fresh resourceVersion) waits.
          needList = true;
          goneInARow += 1;
          if (goneInARow > 1) await sleep(backoff.next(), signal);
          continue;
        }
        this.recordFailure(err);
        await sleep(backoff.next(), signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const list = await this.client.listAll(this.resource, {
      ...this.selectors(),
      pageSize: this.options.pageSize ?? 500,
      signal,
    });
    if (signal.aborted) return;
    this.replace(list.items.map((obj) => this.transform(obj)));
    this.state.resourceVersion = list.resourceVersion;
    this.state.lists += 1;
    this.recordSuccess();
    if (!this.state.synced) {
      this.state.synced = true;
      this.syncedSignal.resolve();
      this.notifyStatus();
    }
  }

  /** One watch from the current resourceVersion; returns how many events it delivered. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    const base = this.options.watchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(base * (1 + (this.options.random ?? Math.random)()));
    this.state.watches += 1;
    let delivered = 0;
    const events = this.client.watch(this.resource, {
      ...this.selectors(),
      ...(this.state.resourceVersion ? { resourceVersion: this.state.resourceVersion } : {}),
      allowWatchBookmarks: true,
      timeoutSeconds,
      clientTimeoutMs: (timeoutSeconds + 30) * 1000,
      signal,
      onOpen: () => this.recordSuccess(),
    });
    for await (const event of events) {
      delivered += 1;
      const rv = event.object.metadata?.resourceVersion;
      switch (event.type) {
        case 'BOOKMARK':
          break;
        case 'ADDED':
        case 'MODIFIED':
          this.upsert(this.transform(event.object));
          break;
        case 'DELETED':
          this.remove(this.transform(event.object));
          break;
      }
      if (rv) this.state.resourceVersion = rv;
    }
    return delivered;
  }

  private selectors(): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
    const { namespace, labelSelector, fieldSelector } = this.options;
    return {
      ...(namespace && this.resource.namespaced ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
    };
  }

  private transform(obj: T): T {
    return (this.options.transform ?? stripManagedFields)(obj);
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    if (!old) this.emit('add', obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    if (!this.cache.has(key)) return; // deleting what is absent is not news
    this.cache.delete(key);
    this.emit('delete', obj);
  }

  /** Replaces the cache with a fresh list, emitting what changed. */
  private replace(items: T[]): void {
    const fresh = new Map(items.map((obj) => [objectKey(obj), obj] as const));
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    for (const obj of fresh.values()) this.upsert(obj);
  }

  private emit(event: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const handlers of this.handlers) this.call(handlers, event, obj, old);
  }

  private call(handlers: InformerHandlers<T>, event: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    try {
      if (event === 'add') handlers.onAdd?.(obj);
      else if (event === 'update') handlers.onUpdate?.(old as T, obj);
      else handlers.onDelete?.(obj);
    } catch (err) {
      if (this.options.onHandlerError) this.options.onHandlerError(err, event, obj);
      else process.emitWarning(`${this.resource.kind} informer ${event} handler failed for ${objectKey(obj)}: ${errorMessage(err)}`);
    }
  }

  private recordSuccess(): void {
    const changed = !this.state.connected || this.state.consecutiveFailures > 0;
    this.state.connected = true;
    this.state.consecutiveFailures = 0;
    if (changed) this.notifyStatus();
  }

  private recordFailure(err: unknown): void {
    this.state.connected = false;
    this.state.consecutiveFailures += 1;
    this.state.lastError = err instanceof Error ? err : new ApiError(errorMessage(err), undefined, { cause: err });
    this.state.lastErrorAt = new Date();
    this.notifyStatus();
  }

  private notifyStatus(): void {
    const snapshot = this.status();
    for (const listener of this.statusListeners) {
      try {
        listener(snapshot);
      } catch (err) {
        process.emitWarning(`${this.resource.kind} informer status listener failed: ${errorMessage(err)}`);
      }
    }
  }
}

/** Resolves when all informers have synced. */
export async function waitForSync(informers: readonly { readonly synced: Promise<void> }[]): Promise<void> {
  await Promise.all(informers.map((informer) => informer.synced));
}
