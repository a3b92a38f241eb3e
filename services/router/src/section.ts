// The router's node-state section, from what the last sync computed and observed.
import { protoAddress, protoFamily, protoPrefix } from '@kr/agent';
import type { Family } from '@kr/ip';
import { nodestate } from '@kr/proto';
import type { ClusterView } from './model/cluster-nodes.js';
import type { BgpGlobal, ObservedPeer, PathSpec } from './model/bgp-types.js';
import type { DesiredRoute, TunnelSpec } from './model/index.js';

export interface RouterFacts {
  readonly global?: BgpGlobal;
  readonly peers: readonly ObservedPeer[];
  readonly advertised: readonly PathSpec[];
  readonly routes: readonly DesiredRoute[];
  readonly installed: boolean;
  readonly tunnels: readonly TunnelSpec[];
  readonly overlay?: { readonly encap: string; readonly ipv4: number; readonly ipv6: number };
  readonly cluster?: ClusterView;
}

const STATE: Record<ObservedPeer['state'], nodestate.BgpSessionState> = {
  idle: nodestate.BgpSessionState.BGP_SESSION_STATE_IDLE,
  connect: nodestate.BgpSessionState.BGP_SESSION_STATE_CONNECT,
  active: nodestate.BgpSessionState.BGP_SESSION_STATE_ACTIVE,
  opensent: nodestate.BgpSessionState.BGP_SESSION_STATE_OPENSENT,
  openconfirm: nodestate.BgpSessionState.BGP_SESSION_STATE_OPENCONFIRM,
  established: nodestate.BgpSessionState.BGP_SESSION_STATE_ESTABLISHED,
  unknown: nodestate.BgpSessionState.BGP_SESSION_STATE_UNSPECIFIED,
};

const SOURCE: Record<ObservedPeer['spec']['source'], nodestate.PeerSource> = {
  'node-mesh': nodestate.PeerSource.PEER_SOURCE_NODE_MESH,
  global: nodestate.PeerSource.PEER_SOURCE_GLOBAL,
  'node-annotation': nodestate.PeerSource.PEER_SOURCE_NODE_ANNOTATION,
  'route-reflector': nodestate.PeerSource.PEER_SOURCE_ROUTE_REFLECTOR,
};

const KIND: Record<PathSpec['kind'], nodestate.AdvertisementKind> = {
  'pod-cidr': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_POD_CIDR,
  'cluster-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_CLUSTER_IP,
  'external-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_EXTERNAL_IP,
  'loadbalancer-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP,
};

export function routerSection(f: RouterFacts): Omit<nodestate.RouterState, 'header'> {
  return {
    localAsn: f.global?.asn ?? 0,
    routerId: f.global?.routerId ?? '',
    peers: f.peers.map((p) => ({
      address: protoAddress(p.spec.address),
      asn: p.spec.asn,
      source: SOURCE[p.spec.source],
      state: STATE[p.state],
      families: p.families.map((x: Family) => protoFamily(x)),
      node: p.spec.node ?? '',
      ...(p.uptime ? { stateSince: p.uptime } : {}),
      receivedPrefixes: p.received,
      acceptedPrefixes: p.accepted,
      advertisedPrefixes: p.advertised,
    })),
    advertised: f.advertised.map((p) => ({ prefix: protoPrefix(p.prefix), kind: KIND[p.kind], nextHop: protoAddress(p.nextHop), service: p.service ?? '' })),
    learned: f.routes.map((r) => ({
      prefix: protoPrefix(r.prefix),
      nextHop: protoAddress(r.via),
      path: r.path === 'tunnel' ? nodestate.RoutePath.ROUTE_PATH_TUNNEL : nodestate.RoutePath.ROUTE_PATH_DIRECT,
      tunnel: r.tunnel?.name ?? '',
      node: r.node ?? '',
      installed: f.installed,
    })),
    tunnels: f.tunnels.map((t) => ({ name: t.name, family: protoFamily(t.family), encap: t.encap, local: protoAddress(t.local), remote: protoAddress(t.remote) })),
    overlayEncap: f.overlay?.encap ?? '',
    overlayOverheadIpv4: f.overlay?.ipv4 ?? 0,
    overlayOverheadIpv6: f.overlay?.ipv6 ?? 0,
    clusterNodes: (f.cluster?.nodes ?? []).map((n) => ({ name: n.name, addresses: n.addresses.map(protoAddress), podCidrs: n.podCidrs.map(protoPrefix) })),
    clusterPodCidrs: (f.cluster?.podCidrs ?? []).map(protoPrefix),
  };
}
