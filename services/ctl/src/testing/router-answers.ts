// Canned answers of the router's admin service for `kr` tests, per stack.
//
// Test IP plan: this node "a" 198.18.0.11 / fd42:198:18::11 (pods 10.244.1.0/24 /
// fd00:10:244:1::/64); node b 198.18.0.12 / fd42:198:18::12 (pods .2); node c
// 198.18.1.13 / fd42:198:19::13 (pods .3, another subnet, vxlan tunnel); external router
// 198.18.0.1 / fd42:198:18::1 (AS 65000, port 1790, MD5); a far router 203.0.113.1 /
// 2001:db8:113::1; service VIPs 10.96.0.10 / fd00:96::10 (web), LoadBalancer 203.0.113.20 /
// 2001:db8:113::20 (local-lb).
import { nodestate, routerAdmin } from '@kr/proto';

export const NOW = new Date('2025-01-02T03:04:05Z');
const SYNCED = new Date(NOW.getTime() - 12_000);
const UP = new Date(NOW.getTime() - 245_000);

const { FAMILY_IPV4: F4, FAMILY_IPV6: F6 } = nodestate.Family;
const ESTABLISHED = nodestate.BgpSessionState.BGP_SESSION_STATE_ESTABLISHED;
const ACTIVE = nodestate.BgpSessionState.BGP_SESSION_STATE_ACTIVE;
const { PEER_SOURCE_NODE_MESH: MESH, PEER_SOURCE_GLOBAL: GLOBAL } = nodestate.PeerSource;
const { ROUTE_PATH_DIRECT: DIRECT, ROUTE_PATH_TUNNEL: TUNNEL } = nodestate.RoutePath;
const KIND = nodestate.AdvertisementKind;

export type AnswerStack = 'ipv4' | 'ipv6' | 'dual';

const ip = (address: string) => ({ family: address.includes(':') ? F6 : F4, ip: address });
const prefix = (cidr: string) => ({ family: cidr.includes(':') ? F6 : F4, cidr });

const PLAN = {
  a: { v4: '198.18.0.11', v6: 'fd42:198:18::11' },
  b: { v4: '198.18.0.12', v6: 'fd42:198:18::12' },
  c: { v4: '198.18.1.13', v6: 'fd42:198:19::13' },
  router: { v4: '198.18.0.1', v6: 'fd42:198:18::1' },
};

function summary(stack: AnswerStack, synced = true): routerAdmin.RouterSummary {
  const listen = stack === 'ipv4' ? [PLAN.a.v4] : stack === 'ipv6' ? [PLAN.a.v6] : [PLAN.a.v4, PLAN.a.v6];
  return routerAdmin.RouterSummary.fromPartial({
    node: 'a',
    localAsn: 64512,
    routerId: stack === 'ipv6' ? '10.199.37.4' : PLAN.a.v4,
    listenPort: 179,
    listenAddresses: listen.map(ip),
    ...(synced ? { synced: SYNCED } : {}),
  });
}

export function peersAnswer(stack: AnswerStack): routerAdmin.ListPeersResponse {
  // The sessions run over the node's primary family; a dual-stack one carries both.
  const transport = stack === 'ipv6' ? 'v6' : 'v4';
  const fams = stack === 'ipv4' ? [F4] : stack === 'ipv6' ? [F6] : [F4, F6];
  const base = { configuredFamilies: fams, port: 179, localAddress: ip(PLAN.a[transport]), holdTimeSeconds: 90, keepaliveSeconds: 30 };
  return routerAdmin.ListPeersResponse.fromPartial({
    router: summary(stack),
    peers: [
      {
        ...base,
        peer: { address: ip(PLAN.router[transport]), asn: 65000, source: GLOBAL, state: ESTABLISHED, families: fams, stateSince: UP, receivedPrefixes: 2, acceptedPrefixes: 1, advertisedPrefixes: 3 },
        port: 1790,
        description: '--peer-router-ips item 1',
        passwordSet: true,
      },
      {
        ...base,
        peer: { address: ip(PLAN.b[transport]), asn: 64512, source: MESH, node: 'b', state: ESTABLISHED, families: fams, stateSince: UP, receivedPrefixes: fams.length, acceptedPrefixes: fams.length, advertisedPrefixes: fams.length },
        description: 'node b',
      },
      { ...base, peer: { address: ip(PLAN.c[transport]), asn: 64512, source: MESH, node: 'c', state: ACTIVE }, description: 'node c' },
    ],
    skippedNodes: [{ node: 'd', reason: `it has no ipv${transport.slice(1)} BGP address to peer with from ${PLAN.a[transport]}` }],
    live: true,
  });
}

export function routesAnswer(stack: AnswerStack): routerAdmin.ListRoutesResponse {
  const v4 = stack !== 'ipv6';
  const v6 = stack !== 'ipv4';
  return routerAdmin.ListRoutesResponse.fromPartial({
    router: summary(stack),
    routes: [
      ...(v4
        ? [
            { route: { prefix: prefix('10.244.2.0/24'), nextHop: ip(PLAN.b.v4), path: DIRECT, node: 'b', installed: true }, dev: 'eth0' },
            { route: { prefix: prefix('10.244.3.0/24'), nextHop: ip(PLAN.c.v4), path: TUNNEL, tunnel: 'tun-66ff8b7f386', node: 'c', installed: true }, dev: 'tun-66ff8b7f386', src: ip(PLAN.a.v4) },
          ]
        : []),
      ...(v6
        ? [
            { route: { prefix: prefix('fd00:10:244:2::/64'), nextHop: ip(PLAN.b.v6), path: DIRECT, node: 'b', installed: true }, dev: 'eth0' },
            { route: { prefix: prefix('fd00:10:244:3::/64'), nextHop: ip(PLAN.c.v6), path: TUNNEL, tunnel: 'tun-1cc47d07207', node: 'c', installed: true }, dev: 'tun-1cc47d07207', src: ip(PLAN.a.v6) },
          ]
        : []),
    ],
    tunnels: [
      ...(v6 ? [{ tunnel: { name: 'tun-1cc47d07207', family: F6, encap: 'vxlan', local: ip(PLAN.a.v6), remote: ip(PLAN.c.v6) }, node: 'c', port: 4789, vni: 1234567 }] : []),
      ...(v4 ? [{ tunnel: { name: 'tun-66ff8b7f386', family: F4, encap: 'vxlan', local: ip(PLAN.a.v4), remote: ip(PLAN.c.v4) }, node: 'c', port: 4789, vni: 7654321 }] : []),
    ],
    skipped: [
      ...(v4 ? [{ prefix: prefix('198.51.100.0/24'), nextHop: ip('203.0.113.1'), peer: ip(PLAN.router.v4), reason: 'next hop is neither on a connected subnet nor a cluster node; left to the network' }] : []),
      ...(v6 ? [{ prefix: prefix('2001:db8:51::/64'), nextHop: ip('2001:db8:113::1'), peer: ip('2001:db8:113::1'), reason: 'next hop is neither on a connected subnet nor a cluster node; left to the network' }] : []),
    ],
  });
}

export function advertisementsAnswer(stack: AnswerStack): routerAdmin.ListAdvertisementsResponse {
  const v4 = stack !== 'ipv6';
  const v6 = stack !== 'ipv4';
  return routerAdmin.ListAdvertisementsResponse.fromPartial({
    router: summary(stack),
    advertised: [
      ...(v4 ? [{ prefix: prefix('10.244.1.0/24'), kind: KIND.ADVERTISEMENT_KIND_POD_CIDR, nextHop: ip(PLAN.a.v4) }] : []),
      ...(v6 ? [{ prefix: prefix('fd00:10:244:1::/64'), kind: KIND.ADVERTISEMENT_KIND_POD_CIDR, nextHop: ip(PLAN.a.v6) }] : []),
      ...(v4 ? [{ prefix: prefix('10.96.0.10/32'), kind: KIND.ADVERTISEMENT_KIND_CLUSTER_IP, nextHop: ip(PLAN.a.v4), service: 'default/web,default/web2' }] : []),
      ...(v4 ? [{ prefix: prefix('203.0.113.20/32'), kind: KIND.ADVERTISEMENT_KIND_LOADBALANCER_IP, nextHop: ip(PLAN.a.v4), service: 'default/local-lb' }] : []),
      ...(v6 ? [{ prefix: prefix('fd00:96::10/128'), kind: KIND.ADVERTISEMENT_KIND_CLUSTER_IP, nextHop: ip(PLAN.a.v6), service: 'default/web' }] : []),
    ],
    withheld: v6 ? [{ address: ip('2001:db8:113::20'), kind: KIND.ADVERTISEMENT_KIND_LOADBALANCER_IP, service: 'default/local-lb', reason: 'local traffic policy and no ready local endpoint of its family' }] : [],
    communities: ['64512:100'],
    pathPrependAsn: 64512,
    pathPrependRepeat: 2,
  });
}

/** Before the router's first sync: nothing known. */
export function emptyRoutesAnswer(): routerAdmin.ListRoutesResponse {
  return routerAdmin.ListRoutesResponse.fromPartial({ router: { node: 'a' } });
}
