// Per-object work, one at a time per key: events only mark a key dirty; a worker runs the
// handler with the latest state, again if the key was marked while it ran, and retries a
// failed key with exponential back-off (a later event retries it at once).
import { Backoff, type BackoffOptions } from '@kr/k8s';

/** What a handler may ask for besides success: to be run again later (polling). */
export type WorkResult = void | { readonly retryAfterMs: number };

export interface KeyedQueueOptions {
  readonly backoff?: BackoffOptions;
  /** A failed run; the key is retried after `retryInMs`. */
  readonly onError: (key: string, err: unknown, retryInMs: number) => void;
}

interface KeyState {
  running: boolean;
  dirty: boolean;
  timer?: NodeJS.Timeout;
  backoff: Backoff;
}

export class KeyedQueue {
  private readonly keys = new Map<string, KeyState>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<WorkResult>,
    private readonly options: KeyedQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    let state = this.keys.get(key);
    if (!state) {
      state = { running: false, dirty: false, backoff: new Backoff({ initialMs: 500, maxMs: 30_000, ...this.options.backoff }) };
      this.keys.set(key, state);
    }
    clearTimeout(state.timer);
    state.timer = undefined;
    state.dirty = true;
    if (!state.running) this.spawn(key, state);
  }

  /** No new runs; resolves when the running ones are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.keys.values()) clearTimeout(state.timer);
    await Promise.all(this.inFlight);
  }

  private spawn(key: string, state: KeyState): void {
    const run = this.drain(key, state).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async drain(key: string, state: KeyState): Promise<void> {
    state.running = true;
    let retryInMs: number | undefined;
    while (state.dirty && !this.stopped) {
      state.dirty = false;
      try {
        const result = await this.handler(key);
        state.backoff.reset();
        retryInMs = result ? result.retryAfterMs : undefined;
      } catch (err) {
        retryInMs = state.backoff.next();
        this.options.onError(key, err, retryInMs);
      }
    }
    state.running = false;
    if (this.stopped) return;
    if (retryInMs !== undefined) {
      state.timer = setTimeout(() => this.add(key), retryInMs);
    } else if (state.backoff.attempts === 0) {
      // Done and healthy: forget the key (a deleted pod must not leave state behind).
      this.keys.delete(key);
    }
  }
}
