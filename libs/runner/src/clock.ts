// The runner asks a Clock for the time and for timers, so tests can drive time by hand
// instead of sleeping. Production code uses `systemClock`.

/** An opaque timer handle; only the clock that issued it understands it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch (or since the clock's own origin for test clocks). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface ManualTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due timers in time order, with
 * `now()` set to each timer's due time, and lets promise callbacks settle between timers
 * so async code driven by those timers (a sync that resolves, a `.then` that schedules
 * the next timer) behaves as it would in real time.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, dueAt: this.current + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.dueAt;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way (including
   * timers scheduled by fired callbacks, if they are due before the target time).
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`ManualClock cannot go back in time (${ms} ms)`);
    const target = this.current + ms;
    await settle();
    for (;;) {
      const timer = this.earliest();
      if (!timer || timer.dueAt > target) break;
      this.timers.delete(timer.id);
      this.current = timer.dueAt;
      timer.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** Advance to an absolute time. */
  async advanceTo(timeMs: number): Promise<void> {
    await this.advance(timeMs - this.current);
  }

  private earliest(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers.values()) {
      // Ties fire in creation order, like real timers.
      if (!best || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.id < best.id)) best = timer;
    }
    return best;
  }
}

/**
 * Let queued promise callbacks run. A macrotask boundary drains the whole microtask
 * queue, including microtasks queued by microtasks, which a fixed number of
 * `await Promise.resolve()` would not guarantee.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
