// kube-router's BGP import and export policies, as GoBGP defined sets, policies and
// global assignments. Pure; the GoBGP adapter diffs them against what gobgpd holds.
//
// Names are kube-router's (bgp_policies.go), so `gobgp policy` output reads the same. One
// set per family, because a GoBGP defined set cannot mix prefix families:
//   podcidrdefinedset(v6)            this node's pod CIDRs (exact length)
//   servicevipsdefinedset(v6)        the service VIPs this node advertises (host prefixes)
//   defaultroutedefinedset(v6)       0.0.0.0/0, ::/0
//   customimportrejectdefinedset(v6) kube-router.io/node.bgp.customimportreject, any longer
//                                    prefix inside matching too; both families at once
//   iBGPpeerset(v6)                  node peers (mesh and route reflection)
//   externalpeerset(v6)              --peer-router-ips and kube-router.io/peer.* peers
//   allpeerset(v6)                   both
// Export, kube_router_export, default reject:
//   - pod CIDRs to node peers (--enable-ibgp), accept, nothing rewritten: next hops stay of
//     the prefix's own family (kube-router v2 never applies --override-nexthop here);
//   - service VIPs, and pod CIDRs with --advertise-pod-cidr, to external peers, accept,
//     with the node's AS-path prepend (kube-router.io/path-prepend.*), communities
//     (kube-router.io/node.bgp.communities) and, with --override-nexthop, next-hop-self.
//   VIPs never go to node peers: every node originates its own.
// Import, kube_router_import, default accept: from any peer, reject our own service VIPs,
// default routes and the custom-reject prefixes.
// A statement never references an empty set: GoBGP matches everything against an empty
// set with match type "any", which would reject or accept far more than meant.
// A route-reflector server gets no policies at all (kube-router's AddPolicies returns
// early): it must reflect everything, so both directions accept by default.
import { hostPrefixLength, type EnabledFamilies, type Family, type Cidr, hostCidr, parseCIDR } from '@kr/ip';
import type { DefinedSetSpec, PathSpec, PeerSpec, PolicyAssignmentSpec, PolicySpec, PolicyStatementSpec } from './bgp-types.js';

export const POD_CIDR_SET = { ipv4: 'podcidrdefinedset', ipv6: 'podcidrdefinedsetv6' } as const;
export const SERVICE_VIPS_SET = { ipv4: 'servicevipsdefinedset', ipv6: 'servicevipsdefinedsetv6' } as const;
export const DEFAULT_ROUTE_SET = { ipv4: 'defaultroutedefinedset', ipv6: 'defaultroutedefinedsetv6' } as const;
export const CUSTOM_IMPORT_REJECT_SET = { ipv4: 'customimportrejectdefinedset', ipv6: 'customimportrejectdefinedsetv6' } as const;
export const IBGP_PEER_SET = { ipv4: 'iBGPpeerset', ipv6: 'iBGPpeersetv6' } as const;
export const EXTERNAL_PEER_SET = { ipv4: 'externalpeerset', ipv6: 'externalpeersetv6' } as const;
export const ALL_PEER_SET = { ipv4: 'allpeerset', ipv6: 'allpeersetv6' } as const;
export const EXPORT_POLICY = 'kube_router_export';
export const IMPORT_POLICY = 'kube_router_import';

const BOTH: readonly Family[] = ['ipv4', 'ipv6'];

export interface PolicySettings {
  readonly enableIbgp: boolean;
  readonly overrideNextHop: boolean;
  readonly advertise: { readonly podCidr: boolean };
}

export interface PoliciesInput {
  /** What this node originates (computeAdvertisements). */
  readonly paths: readonly PathSpec[];
  /** Its neighbours (computePeers). */
  readonly peers: readonly PeerSpec[];
  /** From the node's annotations (computePeers' `local`). */
  readonly local: {
    readonly communities: readonly string[];
    readonly pathPrepend?: { readonly asn: number; readonly repeat: number };
    readonly customImportReject: readonly Cidr[];
  };
  /** This node is a route-reflector server (kube-router.io/rr.server). */
  readonly routeReflectorServer: boolean;
  readonly config: PolicySettings;
  readonly families: EnabledFamilies;
}

export interface PoliciesResult {
  readonly definedSets: readonly DefinedSetSpec[];
  readonly policies: readonly PolicySpec[];
  readonly assignments: readonly PolicyAssignmentSpec[];
}

type PrefixEntry = { readonly cidr: Cidr; readonly maskLengthMin: number; readonly maskLengthMax: number };

export function computePolicies(input: PoliciesInput): PoliciesResult {
  if (input.routeReflectorServer) {
    return {
      definedSets: [],
      policies: [],
      assignments: [
        { direction: 'import', policies: [], defaultAction: 'accept' },
        { direction: 'export', policies: [], defaultAction: 'accept' },
      ],
    };
  }
  const { config, families } = input;
  const sets: DefinedSetSpec[] = [];
  const nonEmpty = new Set<string>();
  const prefixSet = (name: string, prefixes: PrefixEntry[]) => {
    if (prefixes.length === 0) return;
    sets.push({ kind: 'prefix', name, prefixes: dedupe(prefixes) });
    nonEmpty.add(name);
  };
  const neighborSet = (name: string, neighbors: Cidr[]) => {
    if (neighbors.length === 0) return;
    sets.push({ kind: 'neighbor', name, neighbors: dedupeCidrs(neighbors) });
    nonEmpty.add(name);
  };

  const exact = (cidr: Cidr): PrefixEntry => ({ cidr, maskLengthMin: cidr.prefixLength, maskLengthMax: cidr.prefixLength });
  const ibgp = input.peers.filter((p) => p.source === 'node-mesh' || p.source === 'route-reflector');
  const external = input.peers.filter((p) => p.source === 'global' || p.source === 'node-annotation');
  for (const family of BOTH) {
    const ofFamily = (p: PathSpec) => p.prefix.family === family;
    prefixSet(POD_CIDR_SET[family], input.paths.filter((p) => p.kind === 'pod-cidr' && ofFamily(p)).map((p) => exact(p.prefix)));
    prefixSet(SERVICE_VIPS_SET[family], input.paths.filter((p) => p.kind !== 'pod-cidr' && ofFamily(p)).map((p) => exact(p.prefix)));
    if (families[family]) prefixSet(DEFAULT_ROUTE_SET[family], [exact(parseCIDR(family === 'ipv4' ? '0.0.0.0/0' : '::/0'))]);
    prefixSet(
      CUSTOM_IMPORT_REJECT_SET[family],
      input.local.customImportReject.filter((c) => c.family === family).map((cidr) => ({ cidr, maskLengthMin: cidr.prefixLength, maskLengthMax: hostPrefixLength(family) })),
    );
    const hosts = (peers: readonly PeerSpec[]) => peers.filter((p) => p.address.family === family).map((p) => hostCidr(p.address));
    neighborSet(IBGP_PEER_SET[family], hosts(ibgp));
    neighborSet(EXTERNAL_PEER_SET[family], hosts(external));
    neighborSet(ALL_PEER_SET[family], hosts([...external, ...ibgp]));
  }

  const statement = (prefix: string, neighbor: string, actions: PolicyStatementSpec['actions']): PolicyStatementSpec[] =>
    nonEmpty.has(prefix) && nonEmpty.has(neighbor)
      ? [{ name: `${prefix}${neighbor}`, conditions: { prefixSet: { name: prefix, match: 'any' }, neighborSet: { name: neighbor, match: 'any' } }, actions }]
      : [];

  const exportStatements: PolicyStatementSpec[] = [];
  if (config.enableIbgp) {
    for (const podFamily of BOTH) {
      for (const peerFamily of BOTH) exportStatements.push(...statement(POD_CIDR_SET[podFamily], IBGP_PEER_SET[peerFamily], { result: 'accept' }));
    }
  }
  const externalActions: PolicyStatementSpec['actions'] = {
    result: 'accept',
    ...(input.local.pathPrepend ? { asPathPrepend: input.local.pathPrepend } : {}),
    ...(config.overrideNextHop ? { nextHop: 'self' as const } : {}),
    ...(input.local.communities.length > 0 ? { addCommunities: input.local.communities } : {}),
  };
  for (const peerFamily of BOTH) {
    for (const vipFamily of BOTH) exportStatements.push(...statement(SERVICE_VIPS_SET[vipFamily], EXTERNAL_PEER_SET[peerFamily], externalActions));
    if (config.advertise.podCidr) {
      for (const podFamily of BOTH) exportStatements.push(...statement(POD_CIDR_SET[podFamily], EXTERNAL_PEER_SET[peerFamily], externalActions));
    }
  }

  const importStatements: PolicyStatementSpec[] = [];
  for (const peerFamily of BOTH) {
    const peers = ALL_PEER_SET[peerFamily];
    for (const f of BOTH) importStatements.push(...statement(SERVICE_VIPS_SET[f], peers, { result: 'reject' }));
    for (const f of BOTH) importStatements.push(...statement(DEFAULT_ROUTE_SET[f], peers, { result: 'reject' }));
    for (const f of BOTH) importStatements.push(...statement(CUSTOM_IMPORT_REJECT_SET[f], peers, { result: 'reject' }));
  }

  return {
    definedSets: sets,
    policies: [
      { name: EXPORT_POLICY, statements: exportStatements },
      { name: IMPORT_POLICY, statements: importStatements },
    ],
    assignments: [
      { direction: 'import', policies: [IMPORT_POLICY], defaultAction: 'accept' },
      { direction: 'export', policies: [EXPORT_POLICY], defaultAction: 'reject' },
    ],
  };
}

function dedupe(entries: PrefixEntry[]): PrefixEntry[] {
  const seen = new Map<string, PrefixEntry>();
  for (const e of entries) seen.set(`${e.cidr.toString()}|${e.maskLengthMin}|${e.maskLengthMax}`, e);
  return [...seen.values()];
}

function dedupeCidrs(cidrs: Cidr[]): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const c of cidrs) seen.set(c.toString(), c);
  return [...seen.values()];
}
