// Writes this process's sections into the bucket. The latest value of every section is
// kept in memory, so a write that cannot happen now (bus down, bucket gone) is simply
// retried later, and everything is written again whenever the connection comes back:
// a restarted in-memory server has lost the bucket and its values.
import type { NatsConnection } from '@nats-io/transport-node';
import { BusError } from '@kr/errors';
import type { Logger } from '@kr/observability';
import { Backoff, abortableSleep as delay, type BackoffOptions } from '@kr/runner';
import { BUS_BACKOFF } from './retry.js';
import { ensureNodestateBucket } from './bucket.js';
import type { KV } from './bucket.js';
import type { ConnectionListener } from './connection.js';
import type { SectionName } from './sections.js';

export class SectionPublisher implements ConnectionListener {
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #stop: AbortSignal;
  readonly #latest = new Map<SectionName, Uint8Array>();
  readonly #dirty = new Set<SectionName>();
  #nc: NatsConnection | undefined;
  /** The bucket handle of the current connection; dropped on reconnect and after any failed write. */
  #kv: { nc: NatsConnection; kv: KV } | undefined;
  #flushing = false;
  #retrying = false;

  constructor(log: Logger, backoff: BackoffOptions | undefined, stop: AbortSignal) {
    this.#log = log;
    this.#backoff = new Backoff({ ...BUS_BACKOFF, ...backoff });
    this.#stop = stop;
  }

  publish(section: SectionName, bytes: Uint8Array): void {
    this.#latest.set(section, bytes);
    this.#dirty.add(section);
    this.#kick();
  }

  up(nc: NatsConnection): void {
    this.#nc = nc;
    this.#kv = undefined;
    for (const section of this.#latest.keys()) this.#dirty.add(section);
    this.#kick();
  }

  down(): void {
    this.#nc = undefined;
    this.#kv = undefined;
  }

  #kick(): void {
    if (this.#flushing || this.#retrying || this.#stop.aborted || !this.#nc || this.#dirty.size === 0) return;
    this.#flushing = true;
    void this.#flush().finally(() => {
      this.#flushing = false;
      // A connection that came back while the flush was ending found it still running.
      this.#kick();
    });
  }

  async #flush(): Promise<void> {
    while (this.#dirty.size > 0 && !this.#stop.aborted) {
      const nc = this.#nc;
      if (!nc) return;
      const [section] = this.#dirty;
      if (section === undefined) return;
      const bytes = this.#latest.get(section);
      this.#dirty.delete(section);
      if (!bytes) continue;
      try {
        // A handle opened on a connection that has since been replaced or reconnected is
        // not trusted: the bucket may be gone.
        const kv = this.#kv?.nc === nc ? this.#kv.kv : await ensureNodestateBucket(nc);
        this.#kv = { nc, kv };
        await kv.put(section, bytes);
        this.#backoff.reset();
        this.#log.trace({ section, bytes: bytes.length }, 'section published');
      } catch (err) {
        // Keep the value pending; a newer publish() meanwhile just replaces it.
        this.#dirty.add(section);
        this.#kv = undefined;
        if (this.#stop.aborted) return;
        this.#log.warn({ err: new BusError(`cannot publish section ${section}`, { cause: err }) }, 'section publish failed, retrying');
        void this.#retryLater();
        return;
      }
    }
  }

  async #retryLater(): Promise<void> {
    this.#retrying = true;
    await delay(this.#backoff.next(), this.#stop);
    this.#retrying = false;
    this.#kick();
  }
}
