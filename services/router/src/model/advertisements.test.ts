// Test IP plan: see testing/fixtures.ts. This node is "a": 198.18.0.11 / fd42:198:18::11,
// pod CIDRs 10.244.1.0/24 / fd00:10:244:1::/64; node "b" hosts remote endpoints.
// Service VIPs: cluster 10.96.0.x / fd00:96::x, external 198.51.100.x / 2001:db8:51::x,
// LoadBalancer 203.0.113.x / 2001:db8:113::x.
import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { EnabledFamilies } from '@kr/ip';
import { computeAdvertisements, type AdvertiseSettings } from './advertisements.js';
import type { PathSpec } from './bgp-types.js';
import { STACKS, planNode, routerSettings, type Stack } from './testing/fixtures.js';

function svc(name: string, spec: V1Service['spec'], annotations: Record<string, string> = {}, ingress: string[] = []): V1Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations },
    spec: { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80 }], ...spec },
    ...(ingress.length ? { status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

function slice(service: string, addressType: 'IPv4' | 'IPv6', ip: string, node: string, ready = true): V1EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { name: `${service}-${addressType}-${node}`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType,
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], nodeName: node, conditions: { ready } }],
  };
}

const WEB = svc('web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::10'], externalIPs: ['198.51.100.10', '2001:db8:51::10'] });
const LOCAL_LB = svc(
  'local-lb',
  { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00:96::20'] },
  {},
  ['203.0.113.20', '2001:db8:113::20'],
);
// local-lb has a ready IPv4 endpoint here, its IPv6 endpoint is on node b
const SLICES = [slice('local-lb', 'IPv4', '10.244.1.20', 'a'), slice('local-lb', 'IPv6', 'fd00:10:244:2::20', 'b'), slice('web', 'IPv4', '10.244.2.10', 'b')];

const POD = ['pod-cidr 10.244.1.0/24 via 198.18.0.11', 'pod-cidr fd00:10:244:1::/64 via fd42:198:18::11'];

function brief(paths: readonly PathSpec[]): string[] {
  return paths.map((p) => `${p.kind} ${p.prefix.toString()} via ${p.nextHop.address}${p.service ? ` (${p.service})` : ''}`);
}

/** Keeps the expectation lines of the stack's families (IPv6 lines contain "::"). */
function ofStack(lines: string[], families: EnabledFamilies): string[] {
  return lines.filter((l) => (l.split(' ')[1]!.includes(':') ? families.ipv6 : families.ipv4));
}

const rows: { name: string; advertise: Partial<AdvertiseSettings>; services: V1Service[]; want: string[] }[] = [
  { name: 'defaults: pod CIDRs only, each with a next hop of its own family', advertise: {}, services: [WEB, LOCAL_LB], want: POD },
  {
    name: '--advertise-cluster-ip and --advertise-external-ip',
    advertise: { clusterIp: true, externalIp: true },
    services: [WEB],
    want: [...POD, 'cluster-ip 10.96.0.10/32 via 198.18.0.11 (default/web)', 'external-ip 198.51.100.10/32 via 198.18.0.11 (default/web)', 'external-ip 2001:db8:51::10/128 via fd42:198:18::11 (default/web)', 'cluster-ip fd00:96::10/128 via fd42:198:18::11 (default/web)'],
  },
  {
    name: 'annotations override the flags both ways',
    advertise: { clusterIp: true },
    services: [
      svc('off', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:96::30'] }, { 'kube-router.io/service.advertise.clusterip': 'false' }),
      svc('on', { clusterIP: '10.96.0.31', clusterIPs: ['10.96.0.31', 'fd00:96::31'], externalIPs: ['198.51.100.31', '2001:db8:51::31'] }, { 'kube-router.io/service.advertise.externalip': 'true' }),
    ],
    want: [...POD, 'cluster-ip 10.96.0.31/32 via 198.18.0.11 (default/on)', 'external-ip 198.51.100.31/32 via 198.18.0.11 (default/on)', 'external-ip 2001:db8:51::31/128 via fd42:198:18::11 (default/on)', 'cluster-ip fd00:96::31/128 via fd42:198:18::11 (default/on)'],
  },
  {
    name: 'externalTrafficPolicy Local: advertised only in the family with a ready local endpoint',
    advertise: { loadBalancerIp: true, clusterIp: true },
    services: [LOCAL_LB],
    want: [...POD, 'cluster-ip 10.96.0.20/32 via 198.18.0.11 (default/local-lb)', 'loadbalancer-ip 203.0.113.20/32 via 198.18.0.11 (default/local-lb)', 'cluster-ip fd00:96::20/128 via fd42:198:18::11 (default/local-lb)'],
  },
  {
    name: 'kube-router.io/service.skiplbips withholds LoadBalancer IPs',
    advertise: { loadBalancerIp: true },
    services: [svc('skip', { type: 'LoadBalancer', clusterIP: '10.96.0.40' }, { 'kube-router.io/service.skiplbips': '' }, ['203.0.113.40', '2001:db8:113::40'])],
    want: POD,
  },
  {
    name: 'a VIP shared by two services is advertised once, naming both',
    advertise: { externalIp: true },
    services: [
      svc('one', { clusterIP: '10.96.0.50', externalIPs: ['198.51.100.50', '2001:db8:51::50'] }),
      svc('two', { clusterIP: '10.96.0.51', externalIPs: ['198.51.100.50', '2001:db8:51::50'] }, { 'kube-router.io/service.advertise.externalip': 'false' }),
      svc('three', { clusterIP: '10.96.0.52', externalIPs: ['198.51.100.50'] }),
    ],
    want: [...POD, 'external-ip 198.51.100.50/32 via 198.18.0.11 (default/one,default/three)', 'external-ip 2001:db8:51::50/128 via fd42:198:18::11 (default/one)'],
  },
];

describe('computeAdvertisements', () => {
  for (const { stack, families } of STACKS) {
    it.each(rows)(`${stack}: $name`, ({ advertise, services, want }) => {
      const config = routerSettings(families, { advertise: { podCidr: true, clusterIp: false, externalIp: false, loadBalancerIp: false, ...advertise } });
      const result = computeAdvertisements({ self: planNode('a', stack as Stack), services, endpointSlices: SLICES, config, families });
      expect(brief(result.paths)).toEqual(ofStack(want, families));
      expect(result.problems).toEqual([]);
    });
  }

  it('says why a VIP is withheld', () => {
    const config = routerSettings({ ipv4: true, ipv6: true }, { advertise: { podCidr: true, clusterIp: false, externalIp: false, loadBalancerIp: true } });
    const result = computeAdvertisements({ self: planNode('a', 'dual'), services: [LOCAL_LB], endpointSlices: SLICES, config, families: { ipv4: true, ipv6: true } });
    expect(result.withheld.map((w) => `${w.kind} ${w.address.address}: ${w.reason}`)).toEqual([
      'cluster-ip 10.96.0.20: not advertised (--advertise-cluster-ip=false)',
      'cluster-ip fd00:96::20: not advertised (--advertise-cluster-ip=false)',
      'loadbalancer-ip 2001:db8:113::20: local traffic policy and no ready local endpoint of its family',
    ]);
  });

  it.each([
    { stack: 'ipv4' as Stack, families: { ipv4: true, ipv6: false } },
    { stack: 'dual' as Stack, families: { ipv4: true, ipv6: true } },
  ])('$stack: a bad annotation is reported against the service; the flag applies and the rest goes on', ({ stack, families }) => {
    const config = routerSettings(families, { advertise: { podCidr: true, clusterIp: true, externalIp: false, loadBalancerIp: false } });
    const bad = svc('bad', { clusterIP: '10.96.0.60' }, { 'kube-router.io/service.advertise.clusterip': 'yes please' });
    const result = computeAdvertisements({ self: planNode('a', stack), services: [bad, WEB], endpointSlices: [], config, families });
    expect(result.problems.map((p) => p.message)).toEqual([
      'Service default/bad: metadata.annotations["kube-router.io/service.advertise.clusterip"]: "yes please" is not a boolean (true/false); using --advertise-cluster-ip=true',
    ]);
    expect(brief(result.paths).filter((l) => l.startsWith('cluster-ip 10.'))).toEqual(['cluster-ip 10.96.0.10/32 via 198.18.0.11 (default/web)', 'cluster-ip 10.96.0.60/32 via 198.18.0.11 (default/bad)']);
  });

  it('a node without an address of an enabled family reports it once and advertises the rest', () => {
    const self = planNode('a', 'ipv4');
    self.spec = { podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] };
    const families = { ipv4: true, ipv6: true };
    const config = routerSettings(families, { advertise: { podCidr: true, clusterIp: true, externalIp: false, loadBalancerIp: false } });
    const result = computeAdvertisements({ self, services: [WEB], endpointSlices: [], config, families });
    expect(brief(result.paths)).toEqual(['pod-cidr 10.244.1.0/24 via 198.18.0.11', 'cluster-ip 10.96.0.10/32 via 198.18.0.11 (default/web)']);
    expect(result.problems.map((p) => p.message)).toEqual(['Node a: status.addresses: no ipv6 address: pod CIDRs and VIPs of that family cannot be advertised']);
  });
});
