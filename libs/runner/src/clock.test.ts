import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';

describe('ManualClock', () => {
  it('fires due timers in time order, at their due time, including timers they schedule', async () => {
    const clock = new ManualClock(1000);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => {
      fired.push(['a', clock.now()]);
      clock.setTimeout(() => fired.push(['a2', clock.now()]), 50);
    }, 100);
    clock.setTimeout(() => fired.push(['b-tie', clock.now()]), 200);
    const late = clock.setTimeout(() => fired.push(['late', clock.now()]), 1000);
    await clock.advance(500);
    expect(fired).toEqual([
      ['a', 1100],
      ['a2', 1150],
      ['b', 1200],
      ['b-tie', 1200],
    ]);
    expect(clock.now()).toBe(1500);
    expect(clock.nextTimerAt()).toBe(2000);
    clock.clearTimeout(late);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5000);
    expect(fired).toHaveLength(4);
  });

  it('lets promise chains started by a timer settle before the next timer fires', async () => {
    const clock = new ManualClock();
    const order: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => order.push('chain done'));
    }, 10);
    clock.setTimeout(() => order.push('second timer'), 10);
    await clock.advance(10);
    expect(order).toEqual(['chain done', 'second timer']);
  });

  it('refuses to go back in time', async () => {
    await expect(new ManualClock(10).advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('runs a real timer', async () => {
    const start = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now() - start).toBeGreaterThanOrEqual(4);
    const handle = systemClock.setTimeout(() => expect.unreachable('cleared timer fired'), 1);
    systemClock.clearTimeout(handle);
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
