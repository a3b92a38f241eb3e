// What to change in GoBGP so it holds the desired peers, paths, defined sets, policies
// and assignments: pure, desired vs observed (listed from gobgpd) → one ordered plan.
// gobgpd is the router's own sidecar with no configuration file, so everything in it is
// ours: what is not desired is removed.
import { definedSetEquals, definedSetKey, pathKey, pathMatches, peerKey, peerSpecEquals, policyEquals, assignmentEquals } from '../dataplane/gobgp/index.js';
import type { DefinedSetSpec, ObservedPath, PathSpec, PeerSpec, PolicyAssignmentSpec, PolicySpec } from '../model/bgp-types.js';

export interface BgpDesired {
  readonly peers: readonly PeerSpec[];
  readonly paths: readonly PathSpec[];
  readonly definedSets: readonly DefinedSetSpec[];
  readonly policies: readonly PolicySpec[];
  readonly assignments: readonly PolicyAssignmentSpec[];
}

export interface BgpObserved {
  readonly peers: readonly PeerSpec[];
  /** Paths this node originates (local paths of the global RIB). */
  readonly paths: readonly ObservedPath[];
  readonly definedSets: readonly DefinedSetSpec[];
  readonly policies: readonly PolicySpec[];
  readonly assignments: readonly PolicyAssignmentSpec[];
}

/**
 * Apply in this order: sets and policies before the assignments that use them; old
 * policies and sets only after no assignment refers to them; peers before paths so a new
 * peer gets the full table in its first UPDATEs.
 */
export interface BgpPlan {
  readonly putSets: readonly DefinedSetSpec[];
  readonly putPolicies: readonly PolicySpec[];
  readonly putAssignments: readonly PolicyAssignmentSpec[];
  readonly clearAssignments: readonly PolicyAssignmentSpec['direction'][];
  readonly deletePolicies: readonly string[];
  readonly deleteSets: readonly DefinedSetSpec[];
  readonly deletePeers: readonly PeerSpec[];
  readonly updatePeers: readonly PeerSpec[];
  readonly addPeers: readonly PeerSpec[];
  readonly deletePaths: readonly ObservedPath[];
  readonly addPaths: readonly PathSpec[];
}

export function planBgp(desired: BgpDesired, observed: BgpObserved): BgpPlan {
  const observedPeers = new Map(observed.peers.map((p) => [peerKey(p), p]));
  const desiredPeers = new Map(desired.peers.map((p) => [peerKey(p), p]));
  const addPeers: PeerSpec[] = [];
  const updatePeers: PeerSpec[] = [];
  for (const [key, want] of desiredPeers) {
    const have = observedPeers.get(key);
    if (!have) addPeers.push(want);
    else if (!peerSpecEquals(want, have)) updatePeers.push(want);
  }
  const deletePeers = [...observedPeers].filter(([key]) => !desiredPeers.has(key)).map(([, p]) => p);

  const observedPaths = new Map<string, ObservedPath[]>();
  for (const p of observed.paths) observedPaths.set(pathKey(p), [...(observedPaths.get(pathKey(p)) ?? []), p]);
  const desiredPaths = new Map(desired.paths.map((p) => [pathKey(p), p]));
  const addPaths: PathSpec[] = [];
  const deletePaths: ObservedPath[] = [];
  for (const [key, want] of desiredPaths) {
    const have = observedPaths.get(key) ?? [];
    const match = have.find((h) => pathMatches(want, h));
    for (const h of have) if (h !== match) deletePaths.push(h);
    if (!match) addPaths.push(want);
  }
  for (const [key, have] of observedPaths) if (!desiredPaths.has(key)) deletePaths.push(...have);

  const observedSets = new Map(observed.definedSets.map((s) => [definedSetKey(s), s]));
  const desiredSets = new Map(desired.definedSets.map((s) => [definedSetKey(s), s]));
  const putSets = [...desiredSets].filter(([k, s]) => !observedSets.has(k) || !definedSetEquals(s, observedSets.get(k)!)).map(([, s]) => s);
  const deleteSets = [...observedSets].filter(([k]) => !desiredSets.has(k)).map(([, s]) => s);

  const observedPolicies = new Map(observed.policies.map((p) => [p.name, p]));
  const desiredPolicies = new Map(desired.policies.map((p) => [p.name, p]));
  const putPolicies = [...desiredPolicies].filter(([n, p]) => !observedPolicies.has(n) || !policyEquals(p, observedPolicies.get(n)!)).map(([, p]) => p);
  const deletePolicies = [...observedPolicies.keys()].filter((n) => !desiredPolicies.has(n));

  const putAssignments = desired.assignments.filter((want) => {
    const have = observed.assignments.find((a) => a.direction === want.direction);
    return !have || !assignmentEquals(want, have);
  });
  const clearAssignments = observed.assignments
    .filter((a) => a.policies.length > 0 && !desired.assignments.some((d) => d.direction === a.direction))
    .map((a) => a.direction);

  return { putSets, putPolicies, putAssignments, clearAssignments, deletePolicies, deleteSets, deletePeers, updatePeers, addPeers, deletePaths, addPaths };
}

export function planSize(plan: BgpPlan): number {
  return Object.values(plan).reduce((n, v: readonly unknown[]) => n + v.length, 0);
}
