import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { ManualClock } from './clock.js';
import { SyncRunner, type SyncRequest, type SyncResult, type SyncRunnerOptions } from './sync-runner.js';

// Timing plan used by every scenario unless it says otherwise (ms on the manual clock):
//   minInterval 1000, retry 1000 doubling to a 5000 cap, periodic full every 60000.
const timing = { minIntervalMs: 1000, retryIntervalMs: 1000, maxRetryIntervalMs: 5000, maxIntervalMs: 60_000 };

type Outcome = 'ok' | 'fail' | { holdMs: number; fail?: boolean };

type Action =
  | { at: number; start: true }
  | { at: number; trigger: string; keys?: string[]; eventAt?: number }
  | { at: number; full: string };

interface ExpectedSync {
  at: number;
  full: boolean;
  keys?: string[];
  reasons?: string[];
  oldestEventAt?: number;
}

interface Scenario {
  name: string;
  actions: Action[];
  /** Outcome of the n-th sync; syncs beyond the list succeed at once. */
  outcomes?: Outcome[];
  until: number;
  expected: ExpectedSync[];
  options?: Partial<SyncRunnerOptions>;
}

interface Harness {
  clock: ManualClock;
  runner: SyncRunner;
  calls: { at: number; request: SyncRequest }[];
  results: SyncResult[];
}

function harness(outcomes: Outcome[] = [], options: Partial<SyncRunnerOptions> = {}): Harness {
  const clock = new ManualClock(0);
  const calls: Harness['calls'] = [];
  const results: SyncResult[] = [];
  const runner = new SyncRunner({
    name: 'test',
    ...timing,
    clock,
    sync: (request) => {
      const outcome = outcomes[calls.length] ?? 'ok';
      // Snapshot the request: the runner hands over its own Set.
      calls.push({ at: clock.now(), request: { ...request, keys: new Set(request.keys) } });
      if (outcome === 'ok') return Promise.resolve();
      if (outcome === 'fail') return Promise.reject(new Error(`sync ${calls.length} failed`));
      return new Promise<void>((resolve, reject) => {
        clock.setTimeout(() => (outcome.fail ? reject(new Error('held sync failed')) : resolve()), outcome.holdMs);
      });
    },
    onResult: (result) => results.push(result),
    ...options,
  });
  return { clock, runner, calls, results };
}

async function play(h: Harness, actions: Action[], until: number): Promise<void> {
  for (const action of [...actions].sort((a, b) => a.at - b.at)) {
    await h.clock.advanceTo(action.at);
    if ('start' in action) h.runner.start();
    else if ('trigger' in action) h.runner.trigger(action.trigger, action.keys, action.eventAt);
    else h.runner.triggerFull(action.full);
  }
  await h.clock.advanceTo(until);
}

const scenarios: Scenario[] = [
  {
    name: 'nothing runs before start, however many triggers arrive',
    actions: [
      { at: 0, trigger: 'svc', keys: ['default/a'] },
      { at: 10, full: 'resync' },
    ],
    until: 600_000,
    expected: [],
  },
  {
    name: 'the first sync is full and runs right at start, carrying early triggers',
    actions: [
      { at: 0, trigger: 'svc', keys: ['default/a'], eventAt: 0 },
      { at: 500, start: true },
    ],
    until: 1000,
    expected: [{ at: 500, full: true, keys: ['default/a'], reasons: ['svc', 'initial'], oldestEventAt: 0 }],
  },
  {
    name: 'many triggers coalesce into one partial sync: keys unioned, oldest event kept',
    actions: [
      { at: 0, start: true },
      { at: 100, trigger: 'svc', keys: ['ns/a', 'ns/b'], eventAt: 90 },
      { at: 200, trigger: 'eps', keys: ['ns/b', 'ns/c'], eventAt: 150 },
      { at: 300, trigger: 'svc', keys: ['ns/d'], eventAt: 80 },
    ],
    until: 2000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: false, keys: ['ns/a', 'ns/b', 'ns/c', 'ns/d'], reasons: ['svc', 'eps'], oldestEventAt: 80 },
    ],
  },
  {
    name: 'the event time defaults to the trigger time',
    actions: [
      { at: 0, start: true },
      { at: 250, trigger: 'svc', keys: ['ns/a'] },
      { at: 700, trigger: 'svc', keys: ['ns/b'] },
    ],
    until: 2000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: false, keys: ['ns/a', 'ns/b'], oldestEventAt: 250 },
    ],
  },
  {
    name: 'a trigger after a quiet period runs at once (min interval already elapsed)',
    actions: [
      { at: 0, start: true },
      { at: 5000, trigger: 'svc', keys: ['ns/a'] },
    ],
    until: 6000,
    expected: [
      { at: 0, full: true },
      { at: 5000, full: false, keys: ['ns/a'] },
    ],
  },
  {
    name: 'syncs never start closer than the min interval',
    actions: [
      { at: 0, start: true },
      { at: 1000, trigger: 'a', keys: ['k1'] },
      { at: 1001, trigger: 'b', keys: ['k2'] },
      { at: 1500, trigger: 'c', keys: ['k3'] },
    ],
    until: 5000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: false, keys: ['k1'] },
      { at: 2000, full: false, keys: ['k2', 'k3'] },
    ],
  },
  {
    name: 'a full trigger makes the coalesced sync full and keeps its keys',
    actions: [
      { at: 0, start: true },
      { at: 100, trigger: 'svc', keys: ['ns/a'] },
      { at: 200, full: 'admin resync' },
    ],
    until: 2000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: true, keys: ['ns/a'], reasons: ['svc', 'admin resync'] },
    ],
  },
  {
    name: 'at most one sync in flight: triggers during a slow sync wait for it',
    actions: [
      { at: 0, start: true },
      { at: 100, trigger: 'a', keys: ['k1'] },
      { at: 2500, trigger: 'b', keys: ['k2'] },
    ],
    outcomes: ['ok', { holdMs: 3000 }],
    until: 10_000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: false, keys: ['k1'] },
      // The second sync ends at 4000 and started at 1000, so the min interval is over.
      { at: 4000, full: false, keys: ['k2'] },
    ],
  },
  {
    name: 'a failure makes the next sync full, retried after the retry interval',
    actions: [
      { at: 0, start: true },
      { at: 1000, trigger: 'a', keys: ['k1'], eventAt: 1000 },
    ],
    outcomes: ['ok', 'fail'],
    until: 5000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: false, keys: ['k1'] },
      { at: 2000, full: true, keys: ['k1'], reasons: ['retry after failure', 'a'], oldestEventAt: 1000 },
    ],
  },
  {
    name: 'retry backoff doubles up to its cap and resets after a success',
    actions: [{ at: 0, start: true }],
    outcomes: ['fail', 'fail', 'fail', 'fail', 'fail', 'ok', 'fail'],
    until: 40_000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: true },
      { at: 3000, full: true },
      { at: 7000, full: true },
      { at: 12_000, full: true },
      { at: 17_000, full: true },
      // success at 17000; nothing pending, the next sync is the periodic one
    ],
  },
  {
    name: 'backoff reset: a failure after a success waits the base retry interval again',
    actions: [
      { at: 0, start: true },
      { at: 10_000, trigger: 'a', keys: ['k1'] },
    ],
    outcomes: ['fail', 'fail', 'ok', 'fail'],
    until: 20_000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: true },
      { at: 3000, full: true },
      { at: 10_000, full: false, keys: ['k1'] },
      { at: 11_000, full: true, keys: ['k1'] },
    ],
  },
  {
    name: 'triggers while failing coalesce into the retry instead of running early',
    actions: [
      { at: 0, start: true },
      { at: 100, trigger: 'a', keys: ['k1'], eventAt: 100 },
      { at: 200, trigger: 'b', keys: ['k2'], eventAt: 50 },
      { at: 1500, trigger: 'c', keys: ['k3'] },
    ],
    outcomes: ['fail', 'fail'],
    until: 10_000,
    expected: [
      { at: 0, full: true },
      { at: 1000, full: true, keys: ['k1', 'k2'], oldestEventAt: 50 },
      { at: 3000, full: true, keys: ['k1', 'k2', 'k3'], oldestEventAt: 50 },
    ],
  },
  {
    name: 'a periodic full sync repairs drift when nothing happens for maxInterval',
    actions: [{ at: 0, start: true }],
    until: 130_000,
    expected: [
      { at: 0, full: true, reasons: ['initial'] },
      { at: 60_000, full: true, keys: [], reasons: ['periodic'] },
      { at: 120_000, full: true, keys: [], reasons: ['periodic'] },
    ],
  },
  {
    name: 'the periodic timer counts from the end of the last sync, of any kind',
    actions: [
      { at: 0, start: true },
      { at: 30_000, trigger: 'a', keys: ['k1'] },
    ],
    outcomes: ['ok', { holdMs: 500 }],
    until: 100_000,
    expected: [
      { at: 0, full: true },
      { at: 30_000, full: false, keys: ['k1'] },
      { at: 90_500, full: true, reasons: ['periodic'] },
    ],
  },
  {
    name: 'maxInterval Infinity disables the periodic sync',
    actions: [{ at: 0, start: true }],
    options: { maxIntervalMs: Infinity },
    until: 10_000_000,
    expected: [{ at: 0, full: true }],
  },
  {
    name: 'min interval 0 allows back-to-back syncs',
    actions: [
      { at: 0, start: true },
      { at: 0, trigger: 'a', keys: ['k1'] },
    ],
    options: { minIntervalMs: 0 },
    until: 10,
    expected: [
      { at: 0, full: true, keys: [] },
      { at: 0, full: false, keys: ['k1'] },
    ],
  },
];

describe('SyncRunner scenarios', () => {
  it.each(scenarios)('$name', async ({ actions, outcomes, until, expected, options }) => {
    const h = harness(outcomes, options);
    await play(h, actions, until);
    await h.runner.stop();
    const actual = h.calls.map(({ at, request }) => ({ at, full: request.full }));
    expect(actual).toEqual(expected.map(({ at, full }) => ({ at, full })));
    expected.forEach((want, i) => {
      const got = h.calls[i]!.request;
      if (want.keys) expect([...got.keys].sort(), `keys of sync ${i}`).toEqual([...want.keys].sort());
      if (want.reasons) expect(got.reasons, `reasons of sync ${i}`).toEqual(want.reasons);
      if ('oldestEventAt' in want) expect(got.oldestEventAt, `oldestEventAt of sync ${i}`).toBe(want.oldestEventAt);
    });
    // Every sync is reported once, in order, with the same request it was given.
    expect(h.results.map((r) => r.startedAt)).toEqual(expected.map((e) => e.at));
  });
});

describe('SyncRunner details', () => {
  it('reports results with duration, error and the latency inputs', async () => {
    const h = harness(['ok', { holdMs: 250, fail: true }]);
    h.runner.start();
    await h.clock.advance(0);
    h.runner.trigger('eps', ['ns/a'], -40);
    await h.clock.advance(1500);
    await h.runner.stop();
    expect(h.results).toHaveLength(2);
    const [first, second] = h.results as [SyncResult, SyncResult];
    expect(first).toMatchObject({ ok: true, full: true, durationMs: 0, startedAt: 0, reasons: ['initial'] });
    expect(first.error).toBeUndefined();
    expect(second).toMatchObject({ ok: false, full: false, durationMs: 250, startedAt: 1000, oldestEventAt: -40 });
    expect([...second.keys]).toEqual(['ns/a']);
    expect(second.error).toBeInstanceOf(Error);
    expect(h.runner.status()).toMatchObject({ consecutiveFailures: 1, stopped: true, inFlight: false });
  });

  it('stop() waits for the sync in flight and prevents further syncs', async () => {
    const h = harness(['ok', { holdMs: 5000 }]);
    h.runner.start();
    await h.clock.advance(0);
    h.runner.trigger('a', ['k1']);
    await h.clock.advance(1000);
    expect(h.calls).toHaveLength(2);
    expect(h.runner.status().inFlight).toBe(true);

    let stopped = false;
    const stopping = h.runner.stop().then(() => (stopped = true));
    h.runner.trigger('b', ['k2']);
    h.runner.triggerFull('c');
    await h.clock.advance(4999);
    expect(stopped).toBe(false);
    await h.clock.advance(1);
    await stopping;
    expect(stopped).toBe(true);
    await h.clock.advance(600_000);
    expect(h.calls).toHaveLength(2);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('stop() before start() leaves nothing scheduled', async () => {
    const h = harness();
    h.runner.trigger('a');
    await h.runner.stop();
    h.runner.start();
    await h.clock.advance(600_000);
    expect(h.calls).toHaveLength(0);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('a sync that throws synchronously counts as a failure, not a crash', async () => {
    const clock = new ManualClock();
    const results: SyncResult[] = [];
    let calls = 0;
    const runner = new SyncRunner({
      name: 'sync-throws',
      ...timing,
      clock,
      sync: () => {
        calls++;
        if (calls === 1) throw new Error('not even a promise');
        return Promise.resolve();
      },
      onResult: (r) => results.push(r),
    });
    runner.start();
    await clock.advance(1000);
    await runner.stop();
    expect(results.map((r) => [r.ok, r.full, r.startedAt])).toEqual([
      [false, true, 0],
      [true, true, 1000],
    ]);
  });

  it('triggers made from inside a sync are queued for the next round', async () => {
    const clock = new ManualClock();
    const seen: SyncRequest[] = [];
    const runner: SyncRunner = new SyncRunner({
      name: 'reentrant',
      ...timing,
      clock,
      sync: (request) => {
        seen.push({ ...request, keys: new Set(request.keys) });
        if (seen.length === 1) runner.trigger('from inside', ['k1']);
        return Promise.resolve();
      },
    });
    runner.start();
    await clock.advance(0);
    expect(seen).toHaveLength(1);
    await clock.advance(1000);
    await runner.stop();
    expect(seen.map((r) => [r.full, [...r.keys]])).toEqual([
      [true, []],
      [false, ['k1']],
    ]);
  });

  it('an onResult that throws is reported as a process warning and the loop continues', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const runner = new SyncRunner({
        name: 'bad-observer',
        ...timing,
        clock,
        sync: () => {
          calls++;
          return Promise.resolve();
        },
        onResult: () => {
          throw new Error('observer broke');
        },
      });
      runner.start();
      await clock.advance(0);
      runner.trigger('a', ['k']);
      await clock.advance(1000);
      await runner.stop();
      // process.emitWarning delivers on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(calls).toBe(2);
    expect(warnings.map((w) => w.message)).toEqual([
      'sync runner bad-observer: onResult threw: observer broke',
      'sync runner bad-observer: onResult threw: observer broke',
    ]);
  });

  it('status() shows the next scheduled sync', async () => {
    const h = harness();
    expect(h.runner.status()).toMatchObject({ started: false, nextSyncAt: undefined });
    h.runner.start();
    expect(h.runner.status().nextSyncAt).toBe(0);
    await h.clock.advance(0);
    expect(h.runner.status().nextSyncAt).toBe(60_000);
    h.runner.trigger('a');
    expect(h.runner.status().nextSyncAt).toBe(1000);
    await h.runner.stop();
  });

  it.each([
    { field: 'minIntervalMs', value: -1 },
    { field: 'retryIntervalMs', value: 0 },
    { field: 'maxRetryIntervalMs', value: 500 },
    { field: 'maxIntervalMs', value: 0 },
    { field: 'maxIntervalMs', value: 10 },
    { field: 'minIntervalMs', value: Number.NaN },
  ])('rejects $field = $value', ({ field, value }) => {
    const make = () =>
      new SyncRunner({ name: 'bad', ...timing, [field]: value, sync: () => Promise.resolve() });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(`SyncRunner(bad).${field}`);
  });
});
