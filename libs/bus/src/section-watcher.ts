// Follows sections of the bucket and hands every value to a callback.
//
// A KV watch that includes the last value of each key is "read the current value, then
// follow changes" in one atomic step, so there is no separate read and nothing is
// delivered twice within one watch. The watch is set up again from scratch whenever the
// connection comes back, because a restarted in-memory server has lost the consumer and
// possibly the bucket (nats.js's ordered consumer would resume at a stream sequence that
// no longer means anything). Each re-established watch delivers the current values again;
// a reader must treat a repeated value as a no-op.
import type { NatsConnection } from '@nats-io/transport-node';
import { BusError } from '@kr/errors';
import type { Logger } from '@kr/observability';
import { Backoff, abortableSleep as delay, type BackoffOptions } from '@kr/runner';
import { BUS_BACKOFF } from './retry.js';
import { ensureNodestateBucket } from './bucket.js';
import type { KvWatchEntry } from './bucket.js';
import type { ConnectionListener } from './connection.js';
import { isSectionName, SECTION_CODECS } from './sections.js';
import type { SectionArgs, SectionName } from './sections.js';

export interface SectionWatch {
  stop(): void;
}

type AnySectionCallback = (section: SectionName, value: unknown) => void;

export class SectionWatcher<S extends SectionName> implements ConnectionListener, SectionWatch {
  readonly #sections: ReadonlySet<SectionName>;
  readonly #callback: AnySectionCallback;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  /** Bumped on every (re)connect and disconnect: an older attach loop sees it and quits. */
  #epoch = 0;
  #current: { stop(): void } | undefined;

  constructor(sections: readonly S[], callback: (...args: SectionArgs<S>) => void, log: Logger, backoff?: BackoffOptions) {
    this.#sections = new Set(sections);
    this.#callback = callback as AnySectionCallback;
    this.#log = log;
    this.#backoff = new Backoff({ ...BUS_BACKOFF, ...backoff });
  }

  up(nc: NatsConnection): void {
    if (this.#stop.signal.aborted) return;
    const epoch = this.#reset();
    void this.#attach(nc, epoch);
  }

  down(): void {
    this.#reset();
  }

  stop(): void {
    this.#stop.abort();
    this.#reset();
  }

  #reset(): number {
    this.#current?.stop();
    this.#current = undefined;
    return ++this.#epoch;
  }

  async #attach(nc: NatsConnection, epoch: number): Promise<void> {
    const live = (): boolean => epoch === this.#epoch && !this.#stop.signal.aborted;
    while (live()) {
      try {
        const kv = await ensureNodestateBucket(nc);
        const entries = await kv.watch({ key: '>' });
        if (!live()) {
          entries.stop();
          return;
        }
        this.#current = entries;
        this.#backoff.reset();
        for await (const entry of entries) this.#handle(entry);
        if (!live()) return;
        this.#log.warn({ sections: [...this.#sections] }, 'section watch ended, watching again');
      } catch (err) {
        if (!live()) return;
        this.#log.warn({ err: new BusError('cannot watch node-state sections', { cause: err }) }, 'section watch failed, retrying');
      }
      await delay(this.#backoff.next(), this.#stop.signal);
    }
  }

  #handle(entry: KvWatchEntry): void {
    const key = entry.key;
    if (!isSectionName(key) || !this.#sections.has(key)) return;
    let value: unknown;
    if (entry.operation === 'PUT') {
      try {
        value = SECTION_CODECS[key].decode(entry.value);
      } catch (err) {
        // A writer of another version, or garbage: skip it, keep the last good value.
        this.#log.warn({ err, section: key, revision: entry.revision }, 'undecodable section value skipped');
        return;
      }
    }
    try {
      this.#callback(key, value);
    } catch (err) {
      this.#log.error({ err, section: key }, 'section callback failed');
    }
  }
}
