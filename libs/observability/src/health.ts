// Liveness of a controller's loops, decided the way kube-router's health controller does:
// every loop sends a heartbeat when it completes a round, and the process is healthy only
// while every loop has beaten within its period plus a grace time. A loop that is stuck
// (deadlocked, blocked on a hung command) stops beating and turns /healthz red, which is
// what the kubelet's liveness probe acts on.

export interface Clock {
  /** Milliseconds; only differences matter, but status() reports them as wall-clock times. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** kube-router allows "sync period + 5 seconds" before it flags a controller. */
export const DEFAULT_GRACE_MS = 5_000;

export interface LoopSpec {
  name: string;
  /** The longest a healthy loop goes between beats (its maximum/periodic sync interval). */
  periodMs: number;
  graceMs?: number;
  /**
   * Extra allowance before the first beat, for a first round that waits for informers to
   * list everything. kube-router gets the same effect by adding the time to the first
   * heartbeat to every later deadline; we only grant it once.
   */
  startupGraceMs?: number;
}

export interface LoopStatus {
  name: string;
  periodMs: number;
  graceMs: number;
  registeredAt: number;
  /** Clock time of the last beat; absent until the loop beats once. */
  lastBeat?: number;
  /** Time since the last beat, or since registration when it never beat. */
  ageMs: number;
  /** The age this loop may reach and still count as healthy. */
  deadlineMs: number;
  healthy: boolean;
}

interface Loop {
  spec: Required<LoopSpec>;
  registeredAt: number;
  lastBeat?: number;
}

export class HealthTracker {
  readonly #clock: Clock;
  readonly #loops = new Map<string, Loop>();

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Starts tracking a loop; registering a name again starts it over (a restarted loop). */
  register(spec: LoopSpec): void {
    if (!(spec.periodMs > 0)) throw new RangeError(`loop ${spec.name}: periodMs must be positive`);
    this.#loops.set(spec.name, {
      spec: {
        name: spec.name,
        periodMs: spec.periodMs,
        graceMs: spec.graceMs ?? DEFAULT_GRACE_MS,
        startupGraceMs: spec.startupGraceMs ?? 0,
      },
      registeredAt: this.#clock.now(),
    });
  }

  /** Stops tracking a loop (it was switched off, or the process is shutting down). */
  unregister(name: string): boolean {
    return this.#loops.delete(name);
  }

  /**
   * Records a heartbeat. Returns false for a loop that is not registered: a stopping loop
   * may still finish a round after it was unregistered, which is not an error.
   */
  beat(name: string): boolean {
    const loop = this.#loops.get(name);
    if (!loop) return false;
    loop.lastBeat = this.#clock.now();
    return true;
  }

  /** True while every registered loop beat in time; true with no loops registered. */
  healthy(): boolean {
    return this.status().every((loop) => loop.healthy);
  }

  /** The loops that missed their deadline. */
  stale(): LoopStatus[] {
    return this.status().filter((loop) => !loop.healthy);
  }

  status(): LoopStatus[] {
    const now = this.#clock.now();
    return [...this.#loops.values()].map(({ spec, registeredAt, lastBeat }) => {
      const ageMs = now - (lastBeat ?? registeredAt);
      const deadlineMs = spec.periodMs + spec.graceMs + (lastBeat === undefined ? spec.startupGraceMs : 0);
      return {
        name: spec.name,
        periodMs: spec.periodMs,
        graceMs: spec.graceMs,
        registeredAt,
        ...(lastBeat === undefined ? {} : { lastBeat }),
        ageMs,
        deadlineMs,
        healthy: ageMs <= deadlineMs,
      };
    });
  }
}
