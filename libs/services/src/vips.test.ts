// Test IP plan:
//   node "self":   198.18.0.11 / fd42:198:18::11      node "other": 198.18.0.12 / fd42:198:18::12
//   cluster IPs:   10.96.0.0/12 (10.96.0.10)          fd00:96::/112 (fd00:96::10)
//   external IPs:  198.51.100.0/24                    2001:db8:51::/64
//   LB IPs:        203.0.113.0/24                     2001:db8:113::/64
//   pods:          10.244.1.0/24 on self, 10.244.2.0/24 on other; fd00:10:244:1::/64, fd00:10:244:2::/64
import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { parseCIDR, type EnabledFamilies } from '@kr/ip';
import { computeServiceVips, type ServiceVip } from './vips.js';
import type { ServiceIpRanges } from './ranges.js';

const V4: EnabledFamilies = { ipv4: true, ipv6: false };
const V6: EnabledFamilies = { ipv4: false, ipv6: true };
const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

const SELF: V1Node = {
  kind: 'Node',
  metadata: { name: 'self' },
  status: {
    addresses: [
      { type: 'InternalIP', address: '198.18.0.11' },
      { type: 'InternalIP', address: 'fd42:198:18::11' },
    ],
  },
};

function service(name: string, spec: V1Service['spec'], extra: Partial<V1Service> = {}): V1Service {
  return { kind: 'Service', metadata: { name, namespace: 'default', ...extra.metadata }, spec, ...(extra.status ? { status: extra.status } : {}) };
}

interface Ep {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

function slice(svc: string, addressType: 'IPv4' | 'IPv6' | 'FQDN', endpoints: Ep[], suffix = 'a'): V1EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-${addressType.toLowerCase()}-${suffix}`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.node ? { nodeName: e.node } : {}),
      conditions: {
        ...(e.ready !== undefined ? { ready: e.ready } : {}),
        ...(e.serving !== undefined ? { serving: e.serving } : {}),
        ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
      },
    })),
  };
}

const DUAL_SPEC = {
  clusterIP: '10.96.0.10',
  clusterIPs: ['10.96.0.10', 'fd00:96::10'],
  ipFamilies: ['IPv4', 'IPv6'],
  ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
};

/** A compact, comparable form: "<kind> <address> <ports> [local-only] [has-local]". */
function brief(vips: readonly ServiceVip[]): string[] {
  return vips.map(
    (v) =>
      `${v.kind} ${v.address.address} ${v.ports.map((p) => `${p.protocol}/${p.port}`).join(',')}${v.localOnly ? ' local-only' : ''}${v.hasLocalEndpoints ? ' has-local' : ''}`,
  );
}

describe('computeServiceVips', () => {
  it.each([
    {
      name: 'ipv4: the IPv4 cluster IP of a dual-stack service',
      families: V4,
      services: [service('web', DUAL_SPEC)],
      slices: [slice('web', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }]), slice('web', 'IPv6', [{ ip: 'fd00:10:244:1::5', node: 'self' }])],
      want: ['cluster-ip 10.96.0.10 TCP/80 has-local'],
    },
    {
      name: 'ipv6: the IPv6 cluster IP only',
      families: V6,
      services: [service('web', DUAL_SPEC)],
      slices: [slice('web', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }]), slice('web', 'IPv6', [{ ip: 'fd00:10:244:2::5', node: 'other' }])],
      want: ['cluster-ip fd00:96::10 TCP/80'],
    },
    {
      name: 'dual: both, local endpoints counted per family',
      families: DUAL,
      services: [service('web', DUAL_SPEC)],
      slices: [slice('web', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }]), slice('web', 'IPv6', [{ ip: 'fd00:10:244:2::5', node: 'other' }])],
      want: ['cluster-ip 10.96.0.10 TCP/80 has-local', 'cluster-ip fd00:96::10 TCP/80'],
    },
    {
      name: 'dual: IPv6-primary single-stack service',
      families: DUAL,
      services: [service('web', { clusterIP: 'fd00:96::10', clusterIPs: ['fd00:96::10'], ipFamilies: ['IPv6'], ports: [{ port: 53, protocol: 'UDP' }] })],
      slices: [],
      want: ['cluster-ip fd00:96::10 UDP/53'],
    },
    {
      name: 'dual: headless and ExternalName services have no VIPs',
      families: DUAL,
      services: [
        service('headless', { clusterIP: 'None', clusterIPs: ['None'], externalIPs: ['198.51.100.1'], ports: [{ port: 80 }] }),
        service('ext', { type: 'ExternalName', externalName: 'example.org' }),
        service('pending', { ports: [{ port: 80 }] }),
      ],
      slices: [],
      want: [],
    },
    {
      name: 'dual: readiness — ready absent is ready; not ready (even if serving) is not; terminating-only is not',
      families: DUAL,
      services: [service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] }), service('b', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] }), service('c', { clusterIP: '10.96.0.3', ports: [{ port: 80 }] })],
      slices: [
        slice('a', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }]),
        slice('b', 'IPv4', [{ ip: '10.244.1.6', node: 'self', ready: false, serving: true }]),
        slice('c', 'IPv4', [{ ip: '10.244.1.7', node: 'self', ready: false, serving: true, terminating: true }]),
      ],
      want: ['cluster-ip 10.96.0.1 TCP/80 has-local', 'cluster-ip 10.96.0.2 TCP/80', 'cluster-ip 10.96.0.3 TCP/80'],
    },
    {
      name: 'dual: an endpoint without nodeName is local when it holds a node address (hostNetwork)',
      families: DUAL,
      services: [service('host', { clusterIP: '10.96.0.4', clusterIPs: ['10.96.0.4', 'fd00:96::4'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 443 }] })],
      slices: [slice('host', 'IPv4', [{ ip: '198.18.0.12' }]), slice('host', 'IPv6', [{ ip: 'fd42:198:18::11' }])],
      want: ['cluster-ip 10.96.0.4 TCP/443', 'cluster-ip fd00:96::4 TCP/443 has-local'],
    },
  ])('$name', ({ families, services, slices, want }) => {
    const result = computeServiceVips({ services, endpointSlices: slices, node: SELF, families });
    expect(brief(result.vips)).toEqual(want);
    expect(result.problems).toEqual([]);
  });

  it.each([
    { stack: 'ipv4', families: V4 },
    { stack: 'ipv6', families: V6 },
    { stack: 'dual', families: DUAL },
  ])('$stack: LoadBalancer with traffic policies, externalIPs, ingress and node ports', ({ families }) => {
    const lb = service(
      'lb',
      {
        ...DUAL_SPEC,
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        externalIPs: ['198.51.100.7', '2001:db8:51::7'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 30080 }],
      },
      {
        status: {
          loadBalancer: {
            ingress: [
              { ip: '203.0.113.9' },
              { ip: '2001:db8:113::9', ipMode: 'VIP' },
              { ip: '203.0.113.10', ipMode: 'Proxy' },
              { hostname: 'lb.example.org' },
            ],
          },
        },
      },
    );
    const result = computeServiceVips({
      services: [lb],
      endpointSlices: [slice('lb', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }]), slice('lb', 'IPv6', [{ ip: 'fd00:10:244:2::5', node: 'other' }])],
      node: SELF,
      families,
    });
    const v4 = ['cluster-ip 10.96.0.10 TCP/80 has-local', 'external-ip 198.51.100.7 TCP/80 local-only has-local', 'loadbalancer-ip 203.0.113.9 TCP/80 local-only has-local'];
    const v6 = ['cluster-ip fd00:96::10 TCP/80', 'external-ip 2001:db8:51::7 TCP/80 local-only', 'loadbalancer-ip 2001:db8:113::9 TCP/80 local-only'];
    const want = [
      ...(families.ipv4 ? [v4[0]] : []),
      ...(families.ipv6 ? [v6[0]] : []),
      ...(families.ipv4 ? [v4[1]] : []),
      ...(families.ipv6 ? [v6[1]] : []),
      ...(families.ipv4 ? [v4[2]] : []),
      ...(families.ipv6 ? [v6[2]] : []),
      ...(families.ipv4 ? ['node-port 198.18.0.11 TCP/30080 local-only has-local'] : []),
      ...(families.ipv6 ? ['node-port fd42:198:18::11 TCP/30080 local-only'] : []),
    ];
    expect(brief(result.vips)).toEqual(want);
    const view = result.services[0]!;
    expect(view.families).toEqual(['ipv4', 'ipv6'].filter((f) => families[f as 'ipv4' | 'ipv6']));
    expect(view.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targetPort: 'http' }]);
    expect(result.problems).toEqual([]);
  });

  it.each<{ name: string; spec: object; annotations: Record<string, string>; want: string[] }>([
    { name: 'internalTrafficPolicy Local makes cluster IPs local-only', spec: { internalTrafficPolicy: 'Local' }, annotations: {}, want: ['cluster-ip 10.96.0.10 TCP/80 local-only', 'external-ip 198.51.100.7 TCP/80'] },
    { name: 'externalTrafficPolicy Local makes external IPs local-only', spec: { externalTrafficPolicy: 'Local' }, annotations: {}, want: ['cluster-ip 10.96.0.10 TCP/80', 'external-ip 198.51.100.7 TCP/80 local-only'] },
    { name: 'kube-router.io/service.local forces both', spec: {}, annotations: { 'kube-router.io/service.local': 'true' }, want: ['cluster-ip 10.96.0.10 TCP/80 local-only', 'external-ip 198.51.100.7 TCP/80 local-only'] },
  ])('$name', ({ spec, annotations, want }) => {
    const svc = service('p', { clusterIP: '10.96.0.10', externalIPs: ['198.51.100.7'], ports: [{ port: 80 }], ...spec }, { metadata: { name: 'p', annotations } });
    const result = computeServiceVips({ services: [svc], endpointSlices: [], node: SELF, families: DUAL });
    expect(brief(result.vips)).toEqual(want);
  });

  it('dedupes an endpoint listed in two slices, a ready copy winning', () => {
    const result = computeServiceVips({
      services: [service('web', { clusterIP: '10.96.0.10', ports: [{ port: 80 }] })],
      endpointSlices: [slice('web', 'IPv4', [{ ip: '10.244.1.5', node: 'self', ready: false }], 'a'), slice('web', 'IPv4', [{ ip: '10.244.1.5', node: 'self' }], 'b')],
      node: SELF,
      families: V4,
    });
    expect(result.services[0]?.endpoints.map((e) => `${e.address.address} ready=${e.ready} ${e.slice}`)).toEqual(['10.244.1.5 ready=true default/web-ipv4-b']);
    expect(result.services[0]?.localReady).toEqual({ ipv4: 1, ipv6: 0 });
  });

  const STRICT: ServiceIpRanges = {
    strict: true,
    clusterIp: [parseCIDR('10.96.0.0/12'), parseCIDR('fd00:96::/112')],
    externalIp: [parseCIDR('198.51.100.0/24'), parseCIDR('10.96.0.0/16'), parseCIDR('2001:db8:51::/64')],
    loadBalancerIp: [parseCIDR('203.0.113.0/24')],
  };

  it.each([
    {
      stack: 'ipv4',
      families: V4,
      want: ['external-ip 198.51.100.7 TCP/80', 'loadbalancer-ip 203.0.113.9 TCP/80'],
      problems: [
        /Service default\/bad: spec\.externalIPs: "not-an-ip" is not an IP address/,
        /Service default\/bad: spec\.externalIPs: 192\.0\.2\.1 not used: not inside any --service-external-ip-range/,
        /Service default\/bad: spec\.externalIPs: 10\.96\.5\.5 not used: inside --service-cluster-ip-range/,
      ],
    },
    {
      stack: 'ipv6',
      families: V6,
      want: ['external-ip 2001:db8:51::7 TCP/80'],
      problems: [/"not-an-ip" is not an IP address/, /status\.loadBalancer\.ingress: 2001:db8:113::9 not used: not inside any --loadbalancer-ip-range/],
    },
    {
      stack: 'dual',
      families: DUAL,
      want: ['external-ip 198.51.100.7 TCP/80', 'external-ip 2001:db8:51::7 TCP/80', 'loadbalancer-ip 203.0.113.9 TCP/80'],
      problems: [/"not-an-ip"/, /192\.0\.2\.1 not used/, /10\.96\.5\.5 not used/, /2001:db8:113::9 not used/],
    },
  ])('$stack: strict validation and bad addresses are reported, the rest applies', ({ families, want, problems }) => {
    const svc = service(
      'bad',
      {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.99',
        externalIPs: ['not-an-ip', '198.51.100.7', '192.0.2.1', '10.96.5.5', '2001:db8:51::7'],
        ports: [{ port: 80 }],
      },
      { status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { ip: '2001:db8:113::9' }] } } },
    );
    const result = computeServiceVips({ services: [svc], endpointSlices: [], node: SELF, families, ranges: STRICT });
    expect(brief(result.vips.filter((v) => v.kind === 'external-ip' || v.kind === 'loadbalancer-ip'))).toEqual(want);
    expect(result.problems.map((p) => p.message)).toHaveLength(problems.length);
    problems.forEach((re, i) => expect(result.problems[i]?.message).toMatch(re));
  });

  it('reports a slice address of the wrong family and an unsupported protocol against the objects', () => {
    const bad = slice('web', 'IPv4', [{ ip: 'fd00:10:244:1::5', node: 'self' }, { ip: '10.244.1.6', node: 'self' }]);
    const result = computeServiceVips({
      services: [service('web', { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'QUIC' }, { name: 'b', port: 81 }] })],
      endpointSlices: [bad],
      node: SELF,
      families: DUAL,
    });
    expect(result.problems.map((p) => p.message)).toEqual([
      'EndpointSlice default/web-ipv4-a: endpoints[0].addresses: "fd00:10:244:1::5" is not an ipv4 address (addressType IPv4)',
      'Service default/web: spec.ports[0].protocol: unsupported protocol "QUIC"',
    ]);
    expect(brief(result.vips)).toEqual(['cluster-ip 10.96.0.10 TCP/81 has-local']);
  });
});
