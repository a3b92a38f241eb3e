// The answers of the router's admin service (kuberouter.admin.v1.Router), computed from
// what the last sync kept. Pure: the service (admin.ts) only adds the live peer list and
// the gRPC plumbing, so every mapping and filter is tested here without a server.
//
// The nodestate messages inside the answers (BgpPeer, Advertisement, LearnedRoute,
// Tunnel) are made by routerSection, so `kr peers` and the published RouterState can
// never disagree about a peer's state or a route's path.
import { protoAddress, protoFamily, protoPrefix } from '@kr/agent';
import { ConfigError } from '@kr/errors';
import { compareIPs, tryParseIP, type Family, type IPAddress } from '@kr/ip';
import { nodestate, type routerAdmin } from '@kr/proto';
import type { WithheldVip } from './model/advertisements.js';
import type { ObservedPeer, RouteKind } from './model/bgp-types.js';
import type { SkippedNode } from './model/peers.js';
import type { SkippedPath } from './model/routes.js';
import { routerSection, type RouterFacts } from './section.js';

/** RouterFacts plus what only the admin answers need: the reasons behind what is absent. */
export interface RouterAdminFacts extends RouterFacts {
  /** When the sync that computed these facts completed; undefined before the first. */
  readonly syncedAt?: Date;
  readonly skippedNodes: readonly SkippedNode[];
  readonly skippedPaths: readonly SkippedPath[];
  readonly withheld: readonly WithheldVip[];
  /** Export-policy actions towards external peers, from the node's annotations. */
  readonly exportActions?: {
    readonly communities: readonly string[];
    readonly pathPrepend?: { readonly asn: number; readonly repeat: number };
  };
}

/** What the router knows before its first sync: nothing. */
export const NO_ROUTER_FACTS: RouterAdminFacts = {
  peers: [],
  advertised: [],
  routes: [],
  installed: false,
  tunnels: [],
  skippedNodes: [],
  skippedPaths: [],
  withheld: [],
};

const KIND: Record<RouteKind, nodestate.AdvertisementKind> = {
  'pod-cidr': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_POD_CIDR,
  'cluster-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_CLUSTER_IP,
  'external-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_EXTERNAL_IP,
  'loadbalancer-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP,
};

const NOTHING: RouterFacts = { peers: [], advertised: [], routes: [], installed: false, tunnels: [] };

// ---- request filters ------------------------------------------------------------------

/** The family a request asks for; undefined for all. Unknown values are the caller's mistake. */
export function familyFilter(value: nodestate.Family | number | undefined): Family | undefined {
  switch (value) {
    case undefined:
    case nodestate.Family.FAMILY_UNSPECIFIED:
      return undefined;
    case nodestate.Family.FAMILY_IPV4:
      return 'ipv4';
    case nodestate.Family.FAMILY_IPV6:
      return 'ipv6';
    default:
      throw new ConfigError('family', `${value} is not a known family (FAMILY_IPV4 = 1, FAMILY_IPV6 = 2)`);
  }
}

function kindFilter(value: nodestate.AdvertisementKind | number | undefined): RouteKind | undefined {
  if (value === undefined || value === nodestate.AdvertisementKind.ADVERTISEMENT_KIND_UNSPECIFIED) return undefined;
  const kind = (Object.keys(KIND) as RouteKind[]).find((k) => KIND[k] === value);
  if (!kind) throw new ConfigError('kind', `${value} is not a known advertisement kind`);
  return kind;
}

function serviceFilter(value: string): string | undefined {
  if (value === '') return undefined;
  if (!/^[^/\s]+\/[^/\s]+$/.test(value)) throw new ConfigError('service', `${JSON.stringify(value)} is not "namespace/name"`);
  return value;
}

// ---- answers --------------------------------------------------------------------------

export function routerSummary(node: string, facts: RouterAdminFacts): routerAdmin.RouterSummary {
  const g = facts.global;
  const listen = (g?.listenAddresses ?? []).map((a) => tryParseIP(a)).filter((a): a is IPAddress => a !== undefined);
  return {
    node,
    localAsn: g?.asn ?? 0,
    routerId: g?.routerId ?? '',
    listenPort: g?.listenPort ?? 0,
    listenAddresses: listen.map(protoAddress),
    ...(facts.syncedAt ? { synced: facts.syncedAt } : {}),
  };
}

/** Where the peers of a ListPeers answer come from: GoBGP now, or the last sync. */
export type PeersSource = { readonly live: readonly ObservedPeer[] } | { readonly liveError: string };

export function peersResponse(node: string, facts: RouterAdminFacts, request: routerAdmin.ListPeersRequest, source: PeersSource): routerAdmin.ListPeersResponse {
  const family = familyFilter(request.family);
  const peers = ('live' in source ? source.live : facts.peers)
    .filter((p) => (family === undefined || p.spec.address.family === family) && (request.node === '' || p.spec.node === request.node))
    .sort((a, b) => compareIPs(a.spec.address, b.spec.address));
  const sessions = routerSection({ ...NOTHING, peers }).peers;
  return {
    router: routerSummary(node, facts),
    peers: peers.map((p, i) => peerDetail(p, sessions[i]!)),
    skippedNodes: facts.skippedNodes.filter((s) => request.node === '' || s.node === request.node).map((s) => ({ node: s.node, reason: s.reason })),
    live: 'live' in source,
    liveError: 'liveError' in source ? source.liveError : '',
  };
}

function peerDetail(p: ObservedPeer, session: nodestate.BgpPeer): routerAdmin.PeerDetail {
  const s = p.spec;
  return {
    peer: session,
    configuredFamilies: s.families.map(protoFamily),
    port: s.port,
    ...(s.localAddress ? { localAddress: protoAddress(s.localAddress) } : {}),
    description: s.description ?? '',
    holdTimeSeconds: s.holdTimeSeconds,
    keepaliveSeconds: s.keepaliveSeconds,
    multihopTtl: s.multihopTtl ?? 0,
    passwordSet: (s.password ?? '') !== '',
    routeReflectorClusterId: s.routeReflectorClient?.clusterId ?? '',
    gracefulRestart: s.gracefulRestart?.enabled ?? false,
  };
}

export function routesResponse(node: string, facts: RouterAdminFacts, request: routerAdmin.ListRoutesRequest): routerAdmin.ListRoutesResponse {
  const family = familyFilter(request.family);
  const routes = facts.routes.filter((r) => (family === undefined || r.family === family) && (request.node === '' || r.node === request.node));
  const tunnels = facts.tunnels.filter((t) => (family === undefined || t.family === family) && (request.node === '' || t.node === request.node));
  // A skipped path names no node: with a node filter, keep those whose next hop or peer
  // is one of that node's addresses.
  const ofNode = nodeAddresses(facts, request.node);
  const skipped = facts.skippedPaths.filter(
    (p) => (family === undefined || p.prefix.family === family) && (request.node === '' || ofNode.has(p.nextHop.address) || (p.peer !== undefined && ofNode.has(p.peer.address))),
  );
  const section = routerSection({ ...NOTHING, routes, tunnels, installed: facts.installed });
  return {
    router: routerSummary(node, facts),
    routes: routes.map((r, i) => ({ route: section.learned[i]!, dev: r.dev ?? '', ...(r.src ? { src: protoAddress(r.src) } : {}) })),
    tunnels: tunnels.map((t, i) => ({ tunnel: section.tunnels[i]!, node: t.node ?? '', port: t.port ?? 0, vni: t.vni ?? 0 })),
    skipped: skipped.map((p) => ({
      prefix: protoPrefix(p.prefix),
      nextHop: protoAddress(p.nextHop),
      ...(p.peer ? { peer: protoAddress(p.peer) } : {}),
      reason: p.reason,
    })),
  };
}

/** Every address the router knows a node by: its Node object, its peer, its routes' next hops. */
function nodeAddresses(facts: RouterAdminFacts, node: string): Set<string> {
  if (node === '') return new Set();
  return new Set([
    ...(facts.cluster?.nodes.find((n) => n.name === node)?.addresses ?? []).map((a) => a.address),
    ...facts.peers.filter((p) => p.spec.node === node).map((p) => p.spec.address.address),
    ...facts.routes.filter((r) => r.node === node).map((r) => r.via.address),
  ]);
}

export function advertisementsResponse(node: string, facts: RouterAdminFacts, request: routerAdmin.ListAdvertisementsRequest): routerAdmin.ListAdvertisementsResponse {
  const family = familyFilter(request.family);
  const kind = kindFilter(request.kind);
  const service = serviceFilter(request.service);
  const advertised = facts.advertised.filter(
    (p) =>
      (family === undefined || p.prefix.family === family) &&
      (kind === undefined || p.kind === kind) &&
      // A VIP shared by services is one path whose service lists them all, comma-separated.
      (service === undefined || (p.service ?? '').split(',').includes(service)),
  );
  // In address order (IPv4 first), as the advertised VIPs are.
  const withheld = facts.withheld
    .filter((w) => (family === undefined || w.address.family === family) && (kind === undefined || w.kind === kind) && (service === undefined || w.service === service))
    .sort((x, y) => compareIPs(x.address, y.address) || x.kind.localeCompare(y.kind) || x.service.localeCompare(y.service));
  const prepend = facts.exportActions?.pathPrepend;
  return {
    router: routerSummary(node, facts),
    advertised: routerSection({ ...NOTHING, advertised }).advertised,
    withheld: withheld.map((w) => ({ address: protoAddress(w.address), kind: KIND[w.kind], service: w.service, reason: w.reason })),
    communities: [...(facts.exportActions?.communities ?? [])],
    pathPrependAsn: prepend?.asn ?? 0,
    pathPrependRepeat: prepend?.repeat ?? 0,
  };
}
