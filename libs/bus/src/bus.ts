// The node-local bus as a controller sees it: a connection that is kept up in the
// background, its own sections published into the node-state bucket, other sections
// watched, and typed subjects. No method throws because the bus is down; `status` and
// `onStatus` say how it is doing so the controller can report degraded health.
import { BusError, errorMessage } from '@kr/errors';
import type { Logger } from '@kr/observability';
import type { BackoffOptions } from '@kr/runner';
import { Connection } from './connection.js';
import type { BusStatus } from './connection.js';
import { SectionPublisher } from './section-publisher.js';
import { SectionWatcher } from './section-watcher.js';
import type { SectionWatch } from './section-watcher.js';
import { ensureNodestateBucket } from './bucket.js';
import { SECTION_CODECS } from './sections.js';
import type { SectionArgs, SectionName, SectionTypes } from './sections.js';
import { Subscriptions } from './subscriptions.js';
import type { BusSubscription } from './subscriptions.js';
import type { Subject } from './subjects.js';

export interface BusOptions {
  /** nats-server URLs; `127.0.0.1:4222` when omitted. */
  servers?: string | string[];
  /** Client name, e.g. `kr-router`. */
  name: string;
  log: Logger;
  /** Retry delays for connecting, publishing and watching (default 250ms doubling to 10s). */
  backoff?: BackoffOptions;
  /** Delay between nats.js's reconnect attempts of an established connection (default 1s). */
  reconnectWaitMs?: number;
}

export class Bus {
  readonly #log: Logger;
  readonly #backoff: BackoffOptions | undefined;
  readonly #connection: Connection;
  readonly #stop = new AbortController();
  readonly #publisher: SectionPublisher;
  readonly #subscriptions: Subscriptions;
  readonly #watches = new Set<SectionWatcher<SectionName>>();

  constructor(options: BusOptions) {
    this.#log = options.log;
    this.#backoff = options.backoff;
    this.#connection = new Connection(options);
    this.#publisher = new SectionPublisher(options.log, options.backoff, this.#stop.signal);
    this.#subscriptions = new Subscriptions(options.log);
    this.#connection.addListener(this.#publisher);
    this.#connection.addListener(this.#subscriptions);
  }

  /** Connects in the background and keeps connecting until stop(); returns at once. */
  start(): void {
    this.#connection.start();
  }

  /** Stops watches and retries, then drains and closes the connection. */
  async stop(): Promise<void> {
    this.#stop.abort();
    for (const watch of this.#watches) watch.stop();
    this.#watches.clear();
    await this.#connection.stop();
  }

  get status(): BusStatus {
    return this.#connection.status;
  }

  /** Called on every change of `connected` or `lastError`; returns an unsubscribe. */
  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#connection.onStatus(listener);
  }

  /**
   * Makes `message` the value of this process's section. Written now when the bus is up,
   * otherwise as soon as it is; written again after every reconnect.
   */
  publishSection<S extends SectionName>(section: S, message: SectionTypes[S]): void {
    this.#publisher.publish(section, SECTION_CODECS[section].encode(message));
  }

  /**
   * Calls `callback` with the current value of each section, then with every change
   * (`undefined` when a section is deleted), across reconnects and server restarts. After
   * a reconnect the current values are delivered again.
   */
  watchSections<S extends SectionName>(sections: readonly S[], callback: (...args: SectionArgs<S>) => void): SectionWatch {
    const watcher = new SectionWatcher<S>(sections, callback, this.#log, this.#backoff);
    if (this.#stop.signal.aborted) return watcher;
    this.#watches.add(watcher);
    const removeListener = this.#connection.addListener(watcher);
    return {
      stop: () => {
        removeListener();
        this.#watches.delete(watcher);
        watcher.stop();
      },
    };
  }

  /**
   * One-shot read of sections (for `kr` and tests): waits up to `timeoutMs` for the
   * connection, then returns the current value of each section that exists. Rejects
   * with BusError when the bus cannot be reached in time.
   */
  async readSections<S extends SectionName>(sections: readonly S[], timeoutMs = 3_000): Promise<Partial<{ [K in S]: SectionTypes[K] }>> {
    const deadline = Date.now() + timeoutMs;
    let nc = this.#connection.currentConnection;
    while (!nc) {
      if (Date.now() >= deadline || this.#stop.signal.aborted) {
        throw new BusError(`bus not reachable within ${timeoutMs} ms${this.status.lastError ? `: ${errorMessage(this.status.lastError)}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
      nc = this.#connection.currentConnection;
    }
    const kv = await ensureNodestateBucket(nc);
    const out: Partial<{ [K in S]: SectionTypes[K] }> = {};
    for (const section of sections) {
      const entry = await kv.get(section);
      if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) continue;
      try {
        out[section] = SECTION_CODECS[section].decode(entry.value) as SectionTypes[S];
      } catch (err) {
        this.#log.warn({ err, section }, 'undecodable section skipped');
      }
    }
    return out;
  }

  subscribe<T>(subject: Subject<T>, handler: (value: T) => void): BusSubscription {
    return this.#subscriptions.add(subject, handler);
  }

  /**
   * Sends a message on a subject; false when there is no connection to hand it to (it is
   * dropped: subjects carry requests and events, not state). While nats.js is
   * reconnecting an established connection, it buffers the message and returns true.
   */
  publish<T>(subject: Subject<T>, value: T): boolean {
    const nc = this.#connection.currentConnection;
    if (!nc) {
      this.#log.debug({ subject: subject.name }, 'bus down, message dropped');
      return false;
    }
    try {
      nc.publish(subject.name, subject.codec.encode(value));
      return true;
    } catch (err) {
      // Closing under our feet (stop() racing a publish) is the only way to get here.
      this.#log.debug({ err, subject: subject.name }, 'bus closing, message dropped');
      return false;
    }
  }
}
