// When GoBGP's RIB is complete enough to remove kernel routes by. Pure (the clock is an
// input).
//
// Routes and tunnels are synced level-based from GoBGP's best paths. Right after the BGP
// server starts (a restarted gobgpd sidecar is empty; a whole pod restart starts both),
// the RIB is empty until the sessions are back: a plain sync would delete every route and
// tunnel of ours and put them back seconds later, cutting the node's pods off meanwhile.
// kube-router keeps its routes over a restart and removes one only on a withdrawal; we
// keep ours while the RIB warms up: routes and tunnels are added and updated as usual,
// but none is removed until every peer has been Established for `settleMs` (its initial
// UPDATEs are in by then), or `maxMs` after the start (a peer that does not come back
// within a hold time is dead to BGP anyway).
import type { ObservedPeer } from './bgp-types.js';

export interface RibWarmupInput {
  /** When this process last started the BGP server (ms); undefined: it adopted a running one. */
  readonly startedAt: number | undefined;
  readonly now: number;
  readonly peers: readonly Pick<ObservedPeer, 'state' | 'uptime'>[];
  readonly settleMs: number;
  readonly maxMs: number;
}

export interface RibWarmup {
  /** Removals may run: the RIB holds what the peers have to say. */
  readonly complete: boolean;
  /** When not complete: ask again after this long (nothing else may trigger a sync). */
  readonly recheckInMs?: number;
}

export function ribWarmup(input: RibWarmupInput): RibWarmup {
  const { startedAt, now, peers, settleMs, maxMs } = input;
  if (startedAt === undefined) return { complete: true };
  const elapsed = now - startedAt;
  if (elapsed >= maxMs) return { complete: true };
  let settledIn = 0;
  for (const peer of peers) {
    // Not established yet: poll, a session can come up without any path changing.
    if (peer.state !== 'established' || peer.uptime === undefined) return { complete: false, recheckInMs: Math.min(settleMs, maxMs - elapsed) };
    settledIn = Math.max(settledIn, peer.uptime.getTime() + settleMs - now);
  }
  if (settledIn <= 0) return { complete: true };
  return { complete: false, recheckInMs: Math.min(settledIn, maxMs - elapsed) };
}
