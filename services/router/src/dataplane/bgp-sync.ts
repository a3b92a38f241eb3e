// Reads GoBGP's state and applies a BgpPlan to it, in the plan's order.
import type { Family } from '@kr/ip';
import type { BgpObserved, BgpPlan } from '../plan/bgp.js';
import type { GobgpClient } from './gobgp/index.js';

export async function observeBgp(client: GobgpClient, families: readonly Family[]): Promise<BgpObserved> {
  const [peers, definedSets, policies, assignments, ...paths] = await Promise.all([
    client.listPeers(),
    client.listDefinedSets(),
    client.listPolicies(),
    client.listPolicyAssignments(),
    ...families.map((f) => client.listPaths(f, { table: 'global' })),
  ]);
  return {
    peers: peers.map((p) => p.spec),
    paths: paths.flat().filter((p) => p.local && !p.withdrawal),
    definedSets,
    policies,
    assignments,
  };
}

export async function applyBgpPlan(client: GobgpClient, plan: BgpPlan): Promise<void> {
  for (const s of plan.putSets) await client.replaceDefinedSet(s);
  for (const p of plan.putPolicies) await client.replacePolicy(p);
  for (const a of plan.putAssignments) await client.setPolicyAssignment(a);
  for (const d of plan.clearAssignments) await client.clearPolicyAssignment(d);
  for (const name of plan.deletePolicies) await client.deletePolicy(name);
  for (const s of plan.deleteSets) await client.deleteDefinedSet(s.kind, s.name);
  for (const p of plan.deletePeers) await client.deletePeer(p.address);
  for (const p of plan.updatePeers) await client.updatePeer(p);
  for (const p of plan.addPeers) await client.addPeer(p);
  for (const p of plan.deletePaths) await client.deletePath({ prefix: p.prefix, nextHop: p.nextHop });
  for (const p of plan.addPaths) await client.addPath(p);
  // GoBGP applies changed sets and policies only to routes it processes afterwards: a
  // soft reset re-runs import and export policies over what the sessions already carry.
  const policiesChanged =
    plan.putSets.length + plan.putPolicies.length + plan.putAssignments.length + plan.clearAssignments.length + plan.deletePolicies.length + plan.deleteSets.length > 0;
  if (policiesChanged && (await client.listPeers({ withAdvertised: false })).length > 0) await client.softResetPeers('both');
}

/** GoBGP's best paths of every family (learned and local), for route injection. */
export async function bestPaths(client: GobgpClient, families: readonly Family[]) {
  const lists = await Promise.all(families.map((f) => client.listPaths(f, { table: 'global' })));
  return lists.flat().filter((p) => p.best && !p.withdrawal);
}
