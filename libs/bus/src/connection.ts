// The connection to the node-local nats-server, kept up for the life of the process.
//
// nats.js reconnects an established connection by itself (we ask it to retry forever),
// but `connect()` rejects when the server is down at the first attempt, and a connection
// can still end for good (e.g. the server rejects it). Both cases land in the outer loop
// here, which retries with backoff until stop(). Nothing here throws or rejects into the
// process: the bus is an improvement for a controller, never a precondition.
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusError, errorMessage } from '@kr/errors';
import type { Logger } from '@kr/observability';
import { Backoff, abortableSleep as delay, type BackoffOptions } from '@kr/runner';
import { BUS_BACKOFF } from './retry.js';

export const DEFAULT_SERVERS = ['127.0.0.1:4222'];
const DRAIN_TIMEOUT_MS = 2_000;

export interface ConnectionOptions {
  servers?: string | string[];
  /** Client name shown by the server (`nats-server` monitoring, logs). */
  name: string;
  log: Logger;
  /** Delay between attempts to establish a new connection. */
  backoff?: BackoffOptions;
  /** Delay between nats.js's own reconnect attempts of an established connection. */
  reconnectWaitMs?: number;
}

export interface BusStatus {
  connected: boolean;
  /** When `connected` last changed (or the bus was created). */
  since: Date;
  /** The last connection problem, kept after recovery for status reports. */
  lastError?: string;
  /** The server of the current connection. */
  server?: string;
}

export interface ConnectionListener {
  /**
   * The connection is usable: `fresh` when it is a new NatsConnection (core
   * subscriptions must be made on it), false when nats.js reconnected the existing one
   * (it restores core subscriptions itself, but server-side state may be gone).
   */
  up(nc: NatsConnection, fresh: boolean): void;
  down(): void;
}

export class Connection {
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #stop = new AbortController();
  readonly #listeners = new Set<ConnectionListener>();
  readonly #statusListeners = new Set<(status: BusStatus) => void>();
  #status: BusStatus = { connected: false, since: new Date() };
  #nc: NatsConnection | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#backoff = new Backoff({ ...BUS_BACKOFF, ...options.backoff });
  }

  get status(): BusStatus {
    return { ...this.#status };
  }

  /** The current connection while it is usable. */
  get nc(): NatsConnection | undefined {
    return this.#status.connected ? this.#nc : undefined;
  }

  /** The current connection, also while nats.js is reconnecting it (it buffers writes). */
  get currentConnection(): NatsConnection | undefined {
    const nc = this.#nc;
    return nc && !nc.isClosed() && !nc.isDraining() ? nc : undefined;
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Listeners are told about the current connection right away if there is one. */
  addListener(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    const nc = this.nc;
    if (nc) this.#notify(listener, 'up', nc, true);
    return () => this.#listeners.delete(listener);
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  start(): void {
    if (this.#loop || this.stopped) return;
    this.#loop = this.#run().catch((err: unknown) => {
      // #run handles every error it expects; reaching this is a bug, reported loudly
      // but without taking the controller down with it.
      this.#log.error({ err }, 'bus connection loop ended unexpectedly');
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    const nc = this.#nc;
    if (nc && !nc.isClosed()) {
      // drain() hands over what is in flight, then closes; it waits for the server, so it
      // is only worth trying while connected, and only for a moment.
      if (this.#status.connected) {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
        await Promise.race([nc.drain().catch(() => undefined), timedOut]);
        clearTimeout(timer);
      }
      await nc.close().catch(() => undefined);
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.#options.servers ?? DEFAULT_SERVERS,
          name: this.#options.name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.#options.reconnectWaitMs ?? 1_000,
          timeout: 5_000,
          // A hung server on loopback is noticed within ~30s instead of nats.js's 4 minutes.
          pingInterval: 10_000,
          maxPingOut: 3,
        });
      } catch (err) {
        this.#failed(new BusError('cannot connect to the bus', { cause: err }));
        await delay(this.#backoff.next(), signal);
        continue;
      }
      if (signal.aborted) {
        await nc.close().catch(() => undefined);
        break;
      }
      this.#backoff.reset();
      this.#nc = nc;
      const watching = this.#watchStatus(nc);
      this.#setStatus({ connected: true, server: nc.getServer() });
      this.#log.info({ server: nc.getServer() }, 'bus connected');
      this.#emit('up', nc, true);

      const closedWith = await nc.closed();
      await watching;
      this.#nc = undefined;
      if (this.#status.connected) {
        this.#setStatus({ connected: false });
        this.#emit('down');
      }
      if (signal.aborted) break;
      this.#failed(new BusError('bus connection closed', { cause: closedWith ?? undefined }));
      await delay(this.#backoff.next(), signal);
    }
    if (this.#status.connected) this.#setStatus({ connected: false });
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        switch (s.type) {
          case 'disconnect':
            if (this.stopped) break;
            this.#log.warn({ server: s.server }, 'bus disconnected, reconnecting');
            this.#setStatus({ connected: false, lastError: `disconnected from ${s.server}` });
            this.#emit('down');
            break;
          case 'reconnect':
            this.#log.info({ server: s.server }, 'bus reconnected');
            this.#setStatus({ connected: true, server: s.server });
            this.#emit('up', nc, false);
            break;
          case 'error':
            this.#log.warn({ err: s.error }, 'bus error');
            this.#status.lastError = errorMessage(s.error);
            break;
          default:
            break;
        }
      }
    } catch (err) {
      this.#log.warn({ err }, 'bus status stream failed');
    }
  }

  #failed(err: BusError): void {
    const message = `${err.message}: ${errorMessage(err.cause)}`;
    // Log each new reason once at warn; repeats of the same reason (the server is still
    // down) at debug, so a long outage does not flood the log.
    if (message !== this.#status.lastError) this.#log.warn({ err }, 'bus unavailable, retrying');
    else this.#log.debug({ err }, 'bus still unavailable');
    this.#setStatus({ connected: false, lastError: message });
  }

  #setStatus(change: Partial<BusStatus>): void {
    const before = this.#status;
    const next: BusStatus = { ...before, ...change };
    if (change.connected !== undefined && change.connected !== before.connected) next.since = new Date();
    if (!next.connected) delete next.server;
    this.#status = next;
    if (next.connected === before.connected && next.lastError === before.lastError) return;
    for (const listener of this.#statusListeners) {
      try {
        listener(this.status);
      } catch (err) {
        this.#log.error({ err }, 'bus status listener failed');
      }
    }
  }

  #emit(event: 'up', nc: NatsConnection, fresh: boolean): void;
  #emit(event: 'down'): void;
  #emit(event: 'up' | 'down', nc?: NatsConnection, fresh?: boolean): void {
    for (const listener of this.#listeners) this.#notify(listener, event, nc, fresh);
  }

  #notify(listener: ConnectionListener, event: 'up' | 'down', nc?: NatsConnection, fresh?: boolean): void {
    try {
      if (event === 'up' && nc) listener.up(nc, fresh ?? true);
      else if (event === 'down') listener.down();
    } catch (err) {
      this.#log.error({ err, event }, 'bus connection listener failed');
    }
  }
}
