import { describe, expect, it } from 'vitest';
import { HealthTracker } from './health.js';
import type { Clock, LoopSpec } from './health.js';

// No addresses in this file: loop liveness is family-agnostic.

class ManualClock implements Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

describe('HealthTracker', () => {
  // Each row: one loop, a list of steps (advance ms, then maybe beat), expected health after.
  const table: { name: string; loop: LoopSpec; steps: { advance: number; beat?: boolean }[]; healthy: boolean }[] = [
    { name: 'fresh loop within its first period', loop: { name: 'sync', periodMs: 60_000, graceMs: 5_000 }, steps: [{ advance: 30_000 }], healthy: true },
    { name: 'exactly at period + grace', loop: { name: 'sync', periodMs: 60_000, graceMs: 5_000 }, steps: [{ advance: 65_000 }], healthy: true },
    { name: 'one ms past period + grace', loop: { name: 'sync', periodMs: 60_000, graceMs: 5_000 }, steps: [{ advance: 65_001 }], healthy: false },
    {
      name: 'beats keep it alive',
      loop: { name: 'sync', periodMs: 60_000, graceMs: 5_000 },
      steps: [{ advance: 50_000, beat: true }, { advance: 50_000, beat: true }, { advance: 60_000 }],
      healthy: true,
    },
    {
      name: 'stalls after beating',
      loop: { name: 'sync', periodMs: 60_000, graceMs: 5_000 },
      steps: [{ advance: 10_000, beat: true }, { advance: 70_000 }],
      healthy: false,
    },
    { name: 'default grace is 5s', loop: { name: 'sync', periodMs: 1_000 }, steps: [{ advance: 6_000 }], healthy: true },
    { name: 'default grace exceeded', loop: { name: 'sync', periodMs: 1_000 }, steps: [{ advance: 6_001 }], healthy: false },
    {
      name: 'startup grace before the first beat',
      loop: { name: 'sync', periodMs: 1_000, graceMs: 0, startupGraceMs: 30_000 },
      steps: [{ advance: 31_000 }],
      healthy: true,
    },
    {
      name: 'startup grace is granted once',
      loop: { name: 'sync', periodMs: 1_000, graceMs: 0, startupGraceMs: 30_000 },
      steps: [{ advance: 20_000, beat: true }, { advance: 1_001 }],
      healthy: false,
    },
  ];

  it.each(table)('$name', ({ loop, steps, healthy }) => {
    const clock = new ManualClock();
    const tracker = new HealthTracker(clock);
    tracker.register(loop);
    for (const step of steps) {
      clock.advance(step.advance);
      if (step.beat) expect(tracker.beat(loop.name)).toBe(true);
    }
    expect(tracker.healthy()).toBe(healthy);
    expect(tracker.stale().map((l) => l.name)).toEqual(healthy ? [] : [loop.name]);
  });

  it('is healthy with no loops, and only while every loop beats', () => {
    const clock = new ManualClock();
    const tracker = new HealthTracker(clock);
    expect(tracker.healthy()).toBe(true);
    tracker.register({ name: 'informers', periodMs: 10_000, graceMs: 0 });
    tracker.register({ name: 'sync', periodMs: 60_000, graceMs: 0 });
    clock.advance(9_000);
    tracker.beat('informers');
    clock.advance(9_000);
    expect(tracker.healthy()).toBe(true);
    clock.advance(2_000);
    expect(tracker.healthy()).toBe(false);
    expect(tracker.status()).toEqual([
      { name: 'informers', periodMs: 10_000, graceMs: 0, registeredAt: 1_000_000, lastBeat: 1_009_000, ageMs: 11_000, deadlineMs: 10_000, healthy: false },
      { name: 'sync', periodMs: 60_000, graceMs: 0, registeredAt: 1_000_000, ageMs: 20_000, deadlineMs: 60_000, healthy: true },
    ]);
    // Switching the stalled loop off makes the process healthy again.
    expect(tracker.unregister('informers')).toBe(true);
    expect(tracker.healthy()).toBe(true);
    expect(tracker.beat('informers')).toBe(false);
    expect(tracker.unregister('informers')).toBe(false);
  });

  it('starts a re-registered loop over', () => {
    const clock = new ManualClock();
    const tracker = new HealthTracker(clock);
    tracker.register({ name: 'sync', periodMs: 1_000, graceMs: 0 });
    clock.advance(5_000);
    expect(tracker.healthy()).toBe(false);
    tracker.register({ name: 'sync', periodMs: 1_000, graceMs: 0 });
    expect(tracker.healthy()).toBe(true);
  });

  it('rejects a non-positive period', () => {
    expect(() => new HealthTracker().register({ name: 'x', periodMs: 0 })).toThrow(RangeError);
  });
});
