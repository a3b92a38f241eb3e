// Test IP plan: see testing/router-facts.ts (nodes a, b, c, d; an external and a far
// router; services web, quiet and local-lb), every row built by the real model.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { parseCIDR, parseIP, tryParseCIDR, tryParseIP, type EnabledFamilies } from '@kr/ip';
import { nodestate, routerAdmin } from '@kr/proto';
import { NO_ROUTER_FACTS, advertisementsResponse, familyFilter, peersResponse, routesResponse, type RouterAdminFacts } from './admin-views.js';
import { tunnelName } from './model/index.js';
import { STACKS, type Stack } from './model/testing/fixtures.js';
import { routerSection } from './section.js';
import { SYNCED, UP, factsFor } from './testing/router-facts.js';

const { FAMILY_IPV4: F4, FAMILY_IPV6: F6 } = nodestate.Family;

const FAMILY = ['-', 'ipv4', 'ipv6'];
const STATE = ['-', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
const SOURCE = ['-', 'node-mesh', 'global', 'node-annotation', 'route-reflector'];
const KIND = ['-', 'pod-cidr', 'cluster-ip', 'external-ip', 'loadbalancer-ip'];

function peerLines(r: routerAdmin.ListPeersResponse): string[] {
  return r.peers.map(({ peer, ...d }) =>
    [
      `${peer!.address!.ip} ${SOURCE[peer!.source]} ${peer!.node || '-'} as${peer!.asn} ${STATE[peer!.state]}`,
      `up=${peer!.stateSince?.toISOString() ?? '-'} [${peer!.families.map((f) => FAMILY[f]).join(',')}]/[${d.configuredFamilies.map((f) => FAMILY[f]).join(',')}]`,
      `${peer!.receivedPrefixes}/${peer!.acceptedPrefixes}/${peer!.advertisedPrefixes} from=${d.localAddress?.ip ?? '-'}:${d.port}`,
      `hold=${d.holdTimeSeconds}/${d.keepaliveSeconds}${d.passwordSet ? ' md5' : ''} "${d.description}"`,
    ].join(' '),
  );
}

function routeLines(r: routerAdmin.ListRoutesResponse): string[] {
  return [
    ...r.routes.map(({ route, dev, src }) => `${route!.prefix!.cidr} via ${route!.nextHop!.ip} ${route!.path === nodestate.RoutePath.ROUTE_PATH_TUNNEL ? 'tunnel' : 'direct'} dev ${dev || '-'}${src ? ` src ${src.ip}` : ''} node ${route!.node || '-'}${route!.installed ? '' : ' (not installed)'}`),
    ...r.tunnels.map(({ tunnel, node, port, vni }) => `tunnel ${tunnel!.name} ${tunnel!.encap} ${FAMILY[tunnel!.family]} ${tunnel!.local!.ip} -> ${tunnel!.remote!.ip} node ${node} port ${port} vni ${vni > 0 ? 'set' : 'unset'}`),
    ...r.skipped.map((s) => `skipped ${s.prefix!.cidr} via ${s.nextHop!.ip}${s.peer ? ` from ${s.peer.ip}` : ''}: ${s.reason}`),
  ];
}

function advertisementLines(r: routerAdmin.ListAdvertisementsResponse): string[] {
  return [
    ...r.advertised.map((a) => `${KIND[a.kind]} ${a.prefix!.cidr} via ${a.nextHop!.ip}${a.service ? ` (${a.service})` : ''}`),
    ...r.withheld.map((w) => `withheld ${KIND[w.kind]} ${w.address!.ip} (${w.service}): ${w.reason}`),
  ];
}

/** Keeps the expectation lines of the enabled families: a line's family is that of its first address or prefix. */
function ofStack(lines: string[], families: EnabledFamilies): string[] {
  return lines.filter((line) => {
    const first = line.split(/[\s()]+/).map((t) => tryParseCIDR(t) ?? tryParseIP(t)).find((x) => x !== undefined);
    return families[first!.family];
  });
}

const T4 = tunnelName(parseIP('198.18.1.13'));
const T6 = tunnelName(parseIP('fd42:198:19::13'));

// One session per peer carries every enabled family; its transport follows the node's
// primary family, so the peers differ per stack while the routes and advertisements only
// lose the lines of a disabled family.
const PEERS: Record<Stack, string[]> = {
  ipv4: [
    `198.18.0.1 global - as65000 established up=${UP.toISOString()} [ipv4]/[ipv4] 2/1/3 from=198.18.0.11:179 hold=90/30 md5 "--peer-router-ips item 1"`,
    `198.18.0.12 node-mesh b as64512 established up=${UP.toISOString()} [ipv4]/[ipv4] 2/1/3 from=198.18.0.11:179 hold=90/30 "node b"`,
    '198.18.1.13 node-mesh c as64512 active up=- []/[ipv4] 0/0/0 from=198.18.0.11:179 hold=90/30 "node c"',
  ],
  ipv6: [
    `fd42:198:18::1 global - as65000 established up=${UP.toISOString()} [ipv6]/[ipv6] 2/1/3 from=fd42:198:18::11:179 hold=90/30 md5 "--peer-router-ips item 1"`,
    `fd42:198:18::12 node-mesh b as64512 established up=${UP.toISOString()} [ipv6]/[ipv6] 2/1/3 from=fd42:198:18::11:179 hold=90/30 "node b"`,
    'fd42:198:19::13 node-mesh c as64512 active up=- []/[ipv6] 0/0/0 from=fd42:198:18::11:179 hold=90/30 "node c"',
  ],
  dual: [
    `198.18.0.1 global - as65000 established up=${UP.toISOString()} [ipv4,ipv6]/[ipv4,ipv6] 2/1/3 from=198.18.0.11:179 hold=90/30 md5 "--peer-router-ips item 1"`,
    `198.18.0.12 node-mesh b as64512 established up=${UP.toISOString()} [ipv4,ipv6]/[ipv4,ipv6] 2/1/3 from=198.18.0.11:179 hold=90/30 "node b"`,
    '198.18.1.13 node-mesh c as64512 active up=- []/[ipv4,ipv6] 0/0/0 from=198.18.0.11:179 hold=90/30 "node c"',
  ],
  'dual-v6': [
    `fd42:198:18::1 global - as65000 established up=${UP.toISOString()} [ipv4,ipv6]/[ipv4,ipv6] 2/1/3 from=fd42:198:18::11:179 hold=90/30 md5 "--peer-router-ips item 1"`,
    `fd42:198:18::12 node-mesh b as64512 established up=${UP.toISOString()} [ipv4,ipv6]/[ipv4,ipv6] 2/1/3 from=fd42:198:18::11:179 hold=90/30 "node b"`,
    'fd42:198:19::13 node-mesh c as64512 active up=- []/[ipv4,ipv6] 0/0/0 from=fd42:198:18::11:179 hold=90/30 "node c"',
  ],
};

const ROUTES = [
  '10.244.2.0/24 via 198.18.0.12 direct dev eth0 node b',
  '10.244.3.0/24 via 198.18.1.13 tunnel dev ' + T4 + ' src 198.18.0.11 node c',
  '192.0.2.0/24 via 198.18.0.1 direct dev eth0 node -',
  '2001:db8:ff::/48 via fd42:198:18::1 direct dev eth0 node -',
  'fd00:10:244:2::/64 via fd42:198:18::12 direct dev eth0 node b',
  'fd00:10:244:3::/64 via fd42:198:19::13 tunnel dev ' + T6 + ' src fd42:198:18::11 node c',
  // Tunnels in name order, as the section lists them.
  `tunnel ${T6} vxlan ipv6 fd42:198:18::11 -> fd42:198:19::13 node c port 4789 vni set`,
  `tunnel ${T4} vxlan ipv4 198.18.0.11 -> 198.18.1.13 node c port 4789 vni set`,
  'skipped 198.51.100.0/24 via 203.0.113.1 from 203.0.113.1: next hop is neither on a connected subnet nor a cluster node; left to the network',
  'skipped 2001:db8:51::/64 via 2001:db8:113::1 from 2001:db8:113::1: next hop is neither on a connected subnet nor a cluster node; left to the network',
];

const ADVERTISEMENTS = [
  'pod-cidr 10.244.1.0/24 via 198.18.0.11',
  'pod-cidr fd00:10:244:1::/64 via fd42:198:18::11',
  'cluster-ip 10.96.0.10/32 via 198.18.0.11 (default/web)',
  'cluster-ip 10.96.0.20/32 via 198.18.0.11 (default/local-lb)',
  'loadbalancer-ip 203.0.113.20/32 via 198.18.0.11 (default/local-lb)',
  'cluster-ip fd00:96::10/128 via fd42:198:18::11 (default/web)',
  'cluster-ip fd00:96::20/128 via fd42:198:18::11 (default/local-lb)',
  'withheld cluster-ip 10.96.0.30 (default/quiet): not advertised (kube-router.io/service.advertise.clusterip=false)',
  'withheld loadbalancer-ip 2001:db8:113::20 (default/local-lb): local traffic policy and no ready local endpoint of its family',
  'withheld cluster-ip fd00:96::30 (default/quiet): not advertised (kube-router.io/service.advertise.clusterip=false)',
];

const ALL = { family: 0, node: '' };

describe.each(STACKS)('router admin answers, $stack', ({ stack, families }) => {
  const facts = factsFor(stack, families);

  it('ListPeers: every peer with its session and configuration, and the nodes skipped', () => {
    const r = peersResponse('a', facts, ALL, { live: facts.peers });
    expect(peerLines(r)).toEqual(PEERS[stack]);
    const session = stack === 'ipv6' || stack === 'dual-v6' ? 'ipv6' : 'ipv4';
    const from = session === 'ipv6' ? 'fd42:198:18::11' : '198.18.0.11';
    expect(r.skippedNodes).toEqual([{ node: 'd', reason: `it has no ${session} BGP address to peer with from ${from}` }]);
    expect(r.live).toBe(true);
    expect(r.router).toEqual({
      node: 'a',
      localAsn: 64512,
      routerId: facts.global!.routerId,
      listenPort: 179,
      listenAddresses: facts.global!.listenAddresses.map((ip) => ({ family: ip.includes(':') ? F6 : F4, ip })),
      synced: SYNCED,
    });
  });

  it('ListRoutes: routes per family with their path, the tunnels, and the paths not installed with the reason', () => {
    expect(routeLines(routesResponse('a', facts, ALL))).toEqual(ofStack(ROUTES, families));
  });

  it('ListAdvertisements: pod CIDRs and VIPs with next hops of their own family, the VIPs withheld and why', () => {
    const r = advertisementsResponse('a', facts, { family: 0, kind: 0, service: '' });
    expect(advertisementLines(r)).toEqual(ofStack(ADVERTISEMENTS, families));
    expect(r.communities).toEqual(['64512:100']);
    expect([r.pathPrependAsn, r.pathPrependRepeat]).toEqual([64512, 2]);
  });

  it('the nodestate messages inside the answers are those of the published section', () => {
    const section = routerSection(facts);
    expect(peersResponse('a', facts, ALL, { live: facts.peers }).peers.map((p) => p.peer)).toEqual(section.peers);
    const routes = routesResponse('a', facts, ALL);
    expect(routes.routes.map((r) => r.route)).toEqual(section.learned);
    expect(routes.tunnels.map((t) => t.tunnel)).toEqual(section.tunnels);
    expect(advertisementsResponse('a', facts, { family: 0, kind: 0, service: '' }).advertised).toEqual(section.advertised);
  });

  it('every answer encodes (proto3 round trip)', () => {
    const peers = routerAdmin.ListPeersResponse.fromPartial(peersResponse('a', facts, ALL, { live: facts.peers }));
    expect(routerAdmin.ListPeersResponse.decode(routerAdmin.ListPeersResponse.encode(peers).finish())).toEqual(peers);
    const routes = routerAdmin.ListRoutesResponse.fromPartial(routesResponse('a', facts, ALL));
    expect(routerAdmin.ListRoutesResponse.decode(routerAdmin.ListRoutesResponse.encode(routes).finish())).toEqual(routes);
  });
});

describe('router admin filters', () => {
  const dual = factsFor('dual', { ipv4: true, ipv6: true });
  const dualV6 = factsFor('dual-v6', { ipv4: true, ipv6: true });

  it.each([
    { name: 'dual, IPv4 transport', facts: dual, family: F4, want: ['198.18.0.1', '198.18.0.12', '198.18.1.13'] },
    { name: 'dual, IPv6 transport', facts: dual, family: F6, want: [] },
    { name: 'dual-v6, IPv6 transport', facts: dualV6, family: F6, want: ['fd42:198:18::1', 'fd42:198:18::12', 'fd42:198:19::13'] },
    { name: 'dual-v6, IPv4 transport', facts: dualV6, family: F4, want: [] },
  ])('ListPeers by family: $name', ({ facts, family, want }) => {
    expect(peersResponse('a', facts, { family, node: '' }, { live: facts.peers }).peers.map((p) => p.peer!.address!.ip)).toEqual(want);
  });

  it('ListPeers by node keeps that node\'s peer and skipped entry only', () => {
    expect(peerLines(peersResponse('a', dual, { family: 0, node: 'c' }, { live: dual.peers }))).toEqual([PEERS.dual[2]]);
    expect(peersResponse('a', dual, { family: 0, node: 'd' }, { live: dual.peers })).toMatchObject({ peers: [], skippedNodes: [{ node: 'd' }] });
  });

  it('ListPeers from the last sync when GoBGP does not answer, saying why', () => {
    const r = peersResponse('a', dual, ALL, { liveError: 'GoBGP did not answer within 1000 ms' });
    expect(peerLines(r)).toEqual(PEERS.dual);
    expect([r.live, r.liveError]).toEqual([false, 'GoBGP did not answer within 1000 ms']);
  });

  it.each([
    { name: 'IPv4', request: { family: F4, node: '' }, want: ROUTES.filter((l) => ofStack([l], { ipv4: true, ipv6: false }).length) },
    { name: 'IPv6', request: { family: F6, node: '' }, want: ROUTES.filter((l) => ofStack([l], { ipv4: false, ipv6: true }).length) },
    { name: 'node c, both families', request: { family: 0, node: 'c' }, want: [ROUTES[1], ROUTES[5], ROUTES[6], ROUTES[7]] },
    { name: 'node c, IPv6', request: { family: F6, node: 'c' }, want: [ROUTES[5], ROUTES[6]] },
  ])('ListRoutes on dual by $name', ({ request, want }) => {
    expect(routeLines(routesResponse('a', dual, request))).toEqual(want);
  });

  it('ListRoutes by node keeps the skipped paths whose next hop is that node', () => {
    const facts: RouterAdminFacts = { ...dual, skippedPaths: [...dual.skippedPaths, { prefix: parseCIDR('10.244.9.0/24'), nextHop: parseIP('198.18.1.13'), reason: 'inside --excluded-cidrs 10.244.9.0/24' }] };
    expect(routesResponse('a', facts, { family: 0, node: 'c' }).skipped.map((s) => s.prefix!.cidr)).toEqual(['10.244.9.0/24']);
  });

  it.each([
    { name: 'IPv6 only', request: { family: F6, kind: 0, service: '' }, want: [ADVERTISEMENTS[1], ADVERTISEMENTS[5], ADVERTISEMENTS[6], ADVERTISEMENTS[8], ADVERTISEMENTS[9]] },
    { name: 'LoadBalancer IPs', request: { family: 0, kind: nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP, service: '' }, want: [ADVERTISEMENTS[4], ADVERTISEMENTS[8]] },
    { name: 'one service', request: { family: 0, kind: 0, service: 'default/local-lb' }, want: [ADVERTISEMENTS[3], ADVERTISEMENTS[4], ADVERTISEMENTS[6], ADVERTISEMENTS[8]] },
  ])('ListAdvertisements on dual: $name', ({ request, want }) => {
    expect(advertisementLines(advertisementsResponse('a', dual, request))).toEqual(want);
  });

  it('a VIP shared by services matches each of them', () => {
    const shared = parseIP('10.96.0.99');
    const facts: RouterAdminFacts = { ...dual, advertised: [{ prefix: parseCIDR('10.96.0.99/32'), nextHop: parseIP('198.18.0.11'), kind: 'cluster-ip', service: 'default/one,default/two' }], withheld: [] };
    for (const service of ['default/one', 'default/two']) {
      expect(advertisementsResponse('a', facts, { family: 0, kind: 0, service }).advertised.map((a) => a.prefix!.cidr)).toEqual([`${shared.address}/32`]);
    }
    expect(advertisementsResponse('a', facts, { family: 0, kind: 0, service: 'default/on' }).advertised).toEqual([]);
  });

  it.each([
    { name: 'an unknown family', call: () => routesResponse('a', dual, { family: 7 as nodestate.Family, node: '' }), message: 'family: 7 is not a known family (FAMILY_IPV4 = 1, FAMILY_IPV6 = 2)' },
    { name: 'an unknown kind', call: () => advertisementsResponse('a', dual, { family: 0, kind: 9 as nodestate.AdvertisementKind, service: '' }), message: 'kind: 9 is not a known advertisement kind' },
    { name: 'a service without namespace', call: () => advertisementsResponse('a', dual, { family: 0, kind: 0, service: 'web' }), message: 'service: "web" is not "namespace/name"' },
  ])('rejects $name as the caller\'s mistake (ConfigError)', ({ call, message }) => {
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(message);
  });

  it('familyFilter maps the proto families', () => {
    expect([familyFilter(0), familyFilter(F4), familyFilter(F6), familyFilter(undefined)]).toEqual([undefined, 'ipv4', 'ipv6', undefined]);
  });

  it('before the first sync: nothing known, and no sync time', () => {
    const r = routesResponse('a', NO_ROUTER_FACTS, ALL);
    expect(r).toEqual({ router: { node: 'a', localAsn: 0, routerId: '', listenPort: 0, listenAddresses: [] }, routes: [], tunnels: [], skipped: [] });
    expect(peersResponse('a', NO_ROUTER_FACTS, ALL, { liveError: 'x' })).toMatchObject({ peers: [], skippedNodes: [], live: false });
  });
});
