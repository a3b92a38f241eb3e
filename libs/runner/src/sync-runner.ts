// The coalescing sync runner behind every controller's reconcile loop (CONVENTIONS 2-3).
// Handlers call trigger(); the runner turns any number of triggers into one sync call at
// a bounded rate, retries failures with backoff (always as a full sync, since a failed
// apply leaves the applied state unknown), and runs a periodic full sync to repair drift.
// Inspired by kube-proxy's BoundedFrequencyRunner, but event-driven per key, and with
// the retry/full-after-failure rules the proxier implements itself moved in here.

import { ConfigError, errorMessage } from '@kr/errors';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface SyncRequest {
  /** Rebuild everything; `keys` is then informative only. */
  readonly full: boolean;
  /** Keys (e.g. "namespace/name") whose objects changed since the last successful sync. */
  readonly keys: ReadonlySet<string>;
  /** Why this sync runs, deduplicated, in the order first seen. */
  readonly reasons: readonly string[];
  /** Time of the oldest event coalesced into this sync, for network-programming latency. */
  readonly oldestEventAt?: number;
}

export interface SyncResult {
  readonly ok: boolean;
  readonly full: boolean;
  readonly durationMs: number;
  /** The rejection reason of a failed sync. */
  readonly error?: unknown;
  readonly startedAt: number;
  readonly keys: ReadonlySet<string>;
  readonly reasons: readonly string[];
  readonly oldestEventAt: number | undefined;
}

export interface SyncRunnerOptions {
  /** Used in error messages and by callers for metric labels. */
  readonly name: string;
  /** Minimum time between the starts of two syncs. 0 allows back-to-back syncs. */
  readonly minIntervalMs: number;
  /** Delay before retrying a failed sync; doubles per consecutive failure. */
  readonly retryIntervalMs: number;
  /** Cap of the retry backoff. */
  readonly maxRetryIntervalMs: number;
  /**
   * A full sync runs when this long has passed since the last sync ended (the drift
   * repair round). `Infinity` disables it.
   */
  readonly maxIntervalMs: number;
  readonly clock?: Clock;
  readonly sync: (request: SyncRequest) => Promise<void>;
  /**
   * Called after every sync, for metrics and health. It must not throw; if it does, the
   * error is reported with process.emitWarning and the runner carries on.
   */
  readonly onResult?: (result: SyncResult) => void;
}

export interface SyncRunnerStatus {
  readonly started: boolean;
  readonly stopped: boolean;
  readonly inFlight: boolean;
  /** Requests are waiting for the next sync. */
  readonly pending: boolean;
  readonly consecutiveFailures: number;
  /** When the next sync is scheduled to start, if a timer is armed. */
  readonly nextSyncAt: number | undefined;
  readonly lastResult: SyncResult | undefined;
}

/** Requests accumulated since the last sync started. */
class PendingRequest {
  full = false;
  readonly keys = new Set<string>();
  readonly reasons = new Set<string>();
  oldestEventAt: number | undefined;

  add(reason: string, full: boolean, keys: Iterable<string> | undefined, eventAt: number | undefined): void {
    this.full ||= full;
    this.reasons.add(reason);
    if (keys) for (const key of keys) this.keys.add(key);
    if (eventAt !== undefined && (this.oldestEventAt === undefined || eventAt < this.oldestEventAt)) {
      this.oldestEventAt = eventAt;
    }
  }

  toRequest(): SyncRequest {
    const request = { full: this.full, keys: this.keys, reasons: [...this.reasons] };
    return this.oldestEventAt === undefined ? request : { ...request, oldestEventAt: this.oldestEventAt };
  }
}

export class SyncRunner {
  readonly name: string;
  private readonly options: SyncRunnerOptions;
  private readonly clock: Clock;

  private started = false;
  private stopped = false;
  private pending: PendingRequest | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  private lastStartAt: number | undefined;
  private lastEndAt: number | undefined;
  /** Earliest start of the next sync while failing; undefined when healthy. */
  private retryNotBefore: number | undefined;
  private failures = 0;
  private lastResult: SyncResult | undefined;

  constructor(options: SyncRunnerOptions) {
    validate(options);
    this.options = options;
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
  }

  /** Begin syncing: the first sync is full and runs as soon as the clock allows. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.request('initial', true, undefined, undefined);
  }

  /**
   * Ask for a partial sync of `keys`. Triggers before start() are kept (the first sync is
   * full anyway); triggers after stop() are ignored.
   */
  trigger(reason: string, keys?: Iterable<string>, eventTimeMs?: number): void {
    this.request(reason, false, keys, eventTimeMs ?? this.clock.now());
  }

  /** Ask for a full sync. */
  triggerFull(reason: string): void {
    this.request(reason, true, undefined, this.clock.now());
  }

  /** Prevent further syncs and wait for the one in flight, if any, to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    this.pending = undefined;
    await this.inFlight;
  }

  status(): SyncRunnerStatus {
    return {
      started: this.started,
      stopped: this.stopped,
      inFlight: this.inFlight !== undefined,
      pending: this.pending !== undefined,
      consecutiveFailures: this.failures,
      nextSyncAt: this.timerAt,
      lastResult: this.lastResult,
    };
  }

  private request(reason: string, full: boolean, keys: Iterable<string> | undefined, eventAt: number | undefined): void {
    if (this.stopped) return;
    this.pending ??= new PendingRequest();
    this.pending.add(reason, full, keys, eventAt);
    this.schedule();
  }

  /** Arm one timer for the earliest moment the next sync may start. */
  private schedule(): void {
    if (!this.started || this.stopped || this.inFlight !== undefined) return;
    const dueAt = this.nextDueAt();
    if (dueAt === undefined) return;
    if (this.timerAt !== undefined && this.timerAt <= dueAt) return;
    this.disarm();
    this.timerAt = dueAt;
    this.timer = this.clock.setTimeout(() => this.fire(), dueAt - this.clock.now());
  }

  private nextDueAt(): number | undefined {
    const now = this.clock.now();
    if (this.pending) {
      let dueAt = now;
      if (this.lastStartAt !== undefined) dueAt = Math.max(dueAt, this.lastStartAt + this.options.minIntervalMs);
      if (this.retryNotBefore !== undefined) dueAt = Math.max(dueAt, this.retryNotBefore);
      return dueAt;
    }
    if (this.lastEndAt !== undefined && Number.isFinite(this.options.maxIntervalMs)) {
      return Math.max(now, this.lastEndAt + this.options.maxIntervalMs);
    }
    return undefined;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    if (this.stopped || this.inFlight !== undefined) return;
    // No pending request means the periodic timer fired: the drift repair round.
    const pending = this.pending ?? periodicRequest();
    this.pending = undefined;
    const request = pending.toRequest();
    // Mark the sync in flight before calling into it, so triggers it makes synchronously
    // are queued for the next round instead of arming a timer.
    let settled!: () => void;
    this.inFlight = new Promise<void>((resolve) => (settled = resolve));
    void this.run(request, pending).finally(settled);
  }

  private async run(request: SyncRequest, pending: PendingRequest): Promise<void> {
    const startedAt = this.clock.now();
    this.lastStartAt = startedAt;
    let error: unknown;
    let ok = true;
    try {
      await this.options.sync(request);
    } catch (err) {
      ok = false;
      error = err;
    }
    const endedAt = this.clock.now();
    this.lastEndAt = endedAt;
    if (ok) {
      this.failures = 0;
      this.retryNotBefore = undefined;
    } else {
      this.failures++;
      this.retryNotBefore = endedAt + this.backoffMs();
      // The failed request's keys and event times are still not programmed: carry them
      // into the retry, which is full because the kernel state is now unknown.
      this.pending ??= new PendingRequest();
      this.pending.add('retry after failure', true, pending.keys, pending.oldestEventAt);
      for (const reason of pending.reasons) this.pending.reasons.add(reason);
    }
    const result: SyncResult = {
      ok,
      full: request.full,
      durationMs: endedAt - startedAt,
      ...(ok ? {} : { error }),
      startedAt,
      keys: request.keys,
      reasons: request.reasons,
      oldestEventAt: request.oldestEventAt,
    };
    this.lastResult = result;
    this.report(result);
    this.inFlight = undefined;
    this.schedule();
  }

  private backoffMs(): number {
    const { retryIntervalMs, maxRetryIntervalMs } = this.options;
    // 2^30 already exceeds any sane cap; bounding the exponent avoids Infinity * 0 games.
    const factor = 2 ** Math.min(this.failures - 1, 30);
    return Math.min(retryIntervalMs * factor, maxRetryIntervalMs);
  }

  private report(result: SyncResult): void {
    if (!this.options.onResult) return;
    try {
      this.options.onResult(result);
    } catch (err) {
      const warning = new Error(`sync runner ${this.name}: onResult threw: ${errorMessage(err)}`, { cause: err });
      process.emitWarning(warning);
    }
  }
}

function periodicRequest(): PendingRequest {
  const pending = new PendingRequest();
  pending.add('periodic', true, undefined, undefined);
  return pending;
}

function validate(options: SyncRunnerOptions): void {
  const where = (field: string) => `SyncRunner(${options.name}).${field}`;
  const nonNegative = (field: keyof SyncRunnerOptions, value: number) => {
    if (!(value >= 0)) throw new ConfigError(where(field), `must be a number >= 0, got ${value}`);
  };
  nonNegative('minIntervalMs', options.minIntervalMs);
  nonNegative('retryIntervalMs', options.retryIntervalMs);
  nonNegative('maxRetryIntervalMs', options.maxRetryIntervalMs);
  if (options.retryIntervalMs <= 0) throw new ConfigError(where('retryIntervalMs'), 'must be > 0');
  if (options.maxRetryIntervalMs < options.retryIntervalMs) {
    throw new ConfigError(where('maxRetryIntervalMs'), 'must be >= retryIntervalMs');
  }
  if (!(options.maxIntervalMs > 0)) throw new ConfigError(where('maxIntervalMs'), 'must be > 0 (Infinity disables it)');
  if (options.maxIntervalMs < options.minIntervalMs) {
    throw new ConfigError(where('maxIntervalMs'), 'must be >= minIntervalMs');
  }
}
