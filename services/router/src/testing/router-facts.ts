// Router facts as a completed sync keeps them, computed by the real model from the
// model's test IP plan (model/testing/fixtures.ts), for the admin service's tests.
//
// Test IP plan: this node is "a" (198.18.0.11 / fd42:198:18::11, pods 10.244.1.0/24 /
// fd00:10:244:1::/64); "b" (.12 / ::12) shares its subnet, "c" (198.18.1.13 /
// fd42:198:19::13) is on another one (vxlan tunnel); "d" has no address at all (skipped).
// External router 198.18.0.1 / fd42:198:18::1 (ASN 65000, --peer-router-ips, with a
// password) announces 192.0.2.0/24 / 2001:db8:ff::/48; a far router 203.0.113.1 /
// 2001:db8:113::1 announces 198.51.100.0/24 / 2001:db8:51::/64. Services: web 10.96.0.10 /
// fd00:96::10; quiet 10.96.0.30 / fd00:96::30 (annotation off); local-lb 10.96.0.20 /
// fd00:96::20 with LoadBalancer IPs 203.0.113.20 / 2001:db8:113::20, ready local endpoint
// only for IPv4.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { parseCIDR, parseIP, type EnabledFamilies } from '@kr/ip';
import type { RouterAdminFacts } from '../admin-views.js';
import { computeAdvertisements, computeClusterView, computePeers, computeRoutes, type ObservedPath, type ObservedPeer } from '../model/index.js';
import { planNode, routerSettings, type Stack } from '../model/testing/fixtures.js';

export const SYNCED = new Date('2025-01-02T03:04:05Z');
export const UP = new Date('2025-01-02T03:00:00Z');

function svc(name: string, spec: V1Service['spec'], annotations: Record<string, string> = {}, ingress: string[] = []): V1Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations },
    spec: { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }], ...spec },
    ...(ingress.length ? { status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

function slice(service: string, addressType: 'IPv4' | 'IPv6', ip: string, node: string): V1EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${addressType}-${node}`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType,
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], nodeName: node, conditions: { ready: true } }],
  };
}

const SERVICES = [
  svc('web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::10'] }),
  svc('quiet', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:96::30'] }, { 'kube-router.io/service.advertise.clusterip': 'false' }),
  svc('local-lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00:96::20'] }, {}, ['203.0.113.20', '2001:db8:113::20']),
];
const SLICES = [slice('local-lb', 'IPv4', '10.244.1.20', 'a'), slice('local-lb', 'IPv6', 'fd00:10:244:2::20', 'b')];

function path(prefix: string, nextHop: string): ObservedPath {
  return { prefix: parseCIDR(prefix), nextHop: parseIP(nextHop), peer: parseIP(nextHop), asPath: [], communities: [], withdrawal: false, best: true, local: false };
}

const PATHS = [
  path('10.244.2.0/24', '198.18.0.12'),
  path('fd00:10:244:2::/64', 'fd42:198:18::12'),
  path('10.244.3.0/24', '198.18.1.13'),
  path('fd00:10:244:3::/64', 'fd42:198:19::13'),
  path('192.0.2.0/24', '198.18.0.1'),
  path('2001:db8:ff::/48', 'fd42:198:18::1'),
  path('198.51.100.0/24', '203.0.113.1'),
  path('2001:db8:51::/64', '2001:db8:113::1'),
];
const CONNECTED = [
  { cidr: parseCIDR('198.18.0.0/24'), dev: 'eth0' },
  { cidr: parseCIDR('fd42:198:18::/64'), dev: 'eth0' },
];

/** The facts a sync keeps, computed by the real model for a stack. */
export function factsFor(stack: Stack, families: EnabledFamilies): RouterAdminFacts {
  const self = planNode('a', stack, {
    'kube-router.io/node.bgp.communities': '64512:100',
    'kube-router.io/path-prepend.as': '64512',
    'kube-router.io/path-prepend.repeat-n': '2',
  });
  const d: V1Node = { kind: 'Node', metadata: { name: 'd' }, status: { addresses: [] } };
  const nodes = [self, planNode('b', stack), planNode('c', stack), d];
  // The external router is peered over the node's primary family.
  const router = stack === 'ipv6' || stack === 'dual-v6' ? 'fd42:198:18::1' : '198.18.0.1';
  const config = routerSettings(families, {
    externalPeers: [{ address: parseIP(router), asn: 65000, port: 179, password: 'secret' }],
    advertise: { podCidr: true, clusterIp: true, externalIp: false, loadBalancerIp: true },
    overlay: { enabled: true, type: 'subnet', encap: 'vxlan', port: 4789 },
  });
  const peers = computePeers({ self, nodes, config, families });
  const adv = computeAdvertisements({ self, services: SERVICES, endpointSlices: SLICES, config, families });
  // GoBGP is asked for the paths of the enabled families only.
  const paths = PATHS.filter((p) => families[p.prefix.family]);
  const wanted = computeRoutes({ paths, self, nodes, connected: CONNECTED, config, families });
  const observed: ObservedPeer[] = peers.peers.map((spec) =>
    spec.node === 'c'
      ? { spec, state: 'active', families: [], received: 0, accepted: 0, advertised: 0 }
      : { spec, state: 'established', families: spec.families, received: 2, accepted: 1, advertised: 3, uptime: UP },
  );
  return {
    ...(peers.global ? { global: peers.global } : {}),
    peers: observed,
    advertised: adv.paths,
    routes: wanted.routes,
    installed: true,
    tunnels: wanted.tunnels,
    cluster: computeClusterView(nodes, families),
    syncedAt: SYNCED,
    skippedNodes: peers.skipped,
    skippedPaths: wanted.skipped,
    withheld: adv.withheld,
    exportActions: { communities: peers.local.communities, ...(peers.local.pathPrepend ? { pathPrepend: peers.local.pathPrepend } : {}) },
  };
}

