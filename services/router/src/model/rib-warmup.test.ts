// ribWarmup: when removals of kernel routes may run after the BGP server (re)started.
// No addresses involved: peers are judged by session state and uptime only.
import { describe, expect, it } from 'vitest';
import { ribWarmup, type RibWarmupInput } from './rib-warmup.js';

const T0 = 1_000_000;
const S = 1000;
const up = (at: number) => ({ state: 'established' as const, uptime: new Date(at) });
const down = { state: 'active' as const };
const base = { startedAt: T0, settleMs: 3 * S, maxMs: 90 * S };

describe('ribWarmup', () => {
  it.each<{ name: string; input: Omit<RibWarmupInput, 'settleMs' | 'maxMs'>; want: ReturnType<typeof ribWarmup> }>([
    { name: 'adopted a running server: complete at once', input: { startedAt: undefined, now: T0, peers: [down] }, want: { complete: true } },
    { name: 'just started, sessions not up: poll every settle period', input: { startedAt: T0, now: T0 + 1 * S, peers: [down, up(T0)] }, want: { complete: false, recheckInMs: 3 * S } },
    { name: 'all established, the newest not settled yet: wait for it', input: { startedAt: T0, now: T0 + 5 * S, peers: [up(T0 + 2 * S), up(T0 + 4 * S)] }, want: { complete: false, recheckInMs: 2 * S } },
    { name: 'all established and settled', input: { startedAt: T0, now: T0 + 8 * S, peers: [up(T0 + 2 * S), up(T0 + 4 * S)] }, want: { complete: true } },
    { name: 'no peers: nothing to learn', input: { startedAt: T0, now: T0, peers: [] }, want: { complete: true } },
    { name: 'a peer that never comes back holds removals for maxMs at most', input: { startedAt: T0, now: T0 + 89 * S, peers: [down] }, want: { complete: false, recheckInMs: 1 * S } },
    { name: 'maxMs after the start: complete whatever the peers', input: { startedAt: T0, now: T0 + 90 * S, peers: [down] }, want: { complete: true } },
    { name: 'established without an uptime counts as not settled', input: { startedAt: T0, now: T0 + 10 * S, peers: [{ state: 'established' }] }, want: { complete: false, recheckInMs: 3 * S } },
  ])('$name', ({ input, want }) => {
    expect(ribWarmup({ ...base, ...input })).toEqual(want);
  });
});
