// Core-NATS subscriptions on typed subjects that outlive any one connection: nats.js
// restores them when it reconnects a connection, and they are made again on every new
// connection the bus opens.
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '@kr/observability';
import type { ConnectionListener } from './connection.js';
import type { Subject } from './subjects.js';

export interface BusSubscription {
  unsubscribe(): void;
}

interface Entry {
  subject: Subject<unknown>;
  handler: (value: unknown) => void;
  sub?: Subscription;
}

export class Subscriptions implements ConnectionListener {
  readonly #log: Logger;
  readonly #entries = new Set<Entry>();
  #nc: NatsConnection | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  add<T>(subject: Subject<T>, handler: (value: T) => void): BusSubscription {
    const entry: Entry = { subject: subject as Subject<unknown>, handler: handler as (value: unknown) => void };
    this.#entries.add(entry);
    if (this.#nc) this.#subscribe(this.#nc, entry);
    return {
      unsubscribe: () => {
        this.#entries.delete(entry);
        entry.sub?.unsubscribe();
        delete entry.sub;
      },
    };
  }

  up(nc: NatsConnection, fresh: boolean): void {
    if (!fresh && nc === this.#nc) return;
    this.#nc = nc;
    for (const entry of this.#entries) this.#subscribe(nc, entry);
  }

  down(): void {
    // Subscriptions stay attached: nats.js replays them if this connection comes back.
  }

  #subscribe(nc: NatsConnection, entry: Entry): void {
    const { subject } = entry;
    entry.sub = nc.subscribe(subject.name, {
      callback: (err: Error | null, msg: Msg) => {
        if (err) {
          this.#log.warn({ err, subject: subject.name }, 'subscription failed');
          return;
        }
        let value: unknown;
        try {
          value = subject.codec.decode(msg.data);
        } catch (err) {
          this.#log.warn({ err, subject: subject.name }, 'undecodable message skipped');
          return;
        }
        try {
          entry.handler(value);
        } catch (err) {
          this.#log.error({ err, subject: subject.name }, 'subscription handler failed');
        }
      },
    });
  }
}
