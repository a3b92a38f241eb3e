// Test IP plan: see testing/fixtures.ts (self = node a: 198.18.0.11 / fd42:198:18::11,
// pod CIDRs 10.244.1.0/24 / fd00:10:244:1::/64; routers 198.18.0.1 / fd42:198:18::1).
import { describe, expect, it } from 'vitest';
import type { V1Service } from '@kubernetes/client-node';
import { parseIP, type EnabledFamilies } from '@kr/ip';
import type { RouterConfig } from '../config.js';
import { computeAdvertisements } from './advertisements.js';
import type { DefinedSetSpec, PolicySpec } from './bgp-types.js';
import { computePeers } from './peers.js';
import { computePolicies } from './policies.js';
import { DUAL, V4, V6, planNode, routerSettings, type Stack } from './testing/fixtures.js';

const WEB: V1Service = {
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:96::10'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] },
};

function compute(stack: Stack, families: EnabledFamilies, annotations: Record<string, string> = {}, overrides: Partial<RouterConfig> = {}) {
  const config = routerSettings(families, overrides);
  const nodes = [planNode('a', stack, annotations), planNode('b', stack), planNode('c', stack)];
  const peers = computePeers({ self: nodes[0]!, nodes, config, families });
  const ads = computeAdvertisements({ self: nodes[0]!, services: [WEB], endpointSlices: [], config, families });
  const result = computePolicies({
    paths: ads.paths,
    peers: peers.peers,
    local: peers.local,
    routeReflectorServer: peers.self.routeReflector?.role === 'server',
    config,
    families,
  });
  return { result, problems: [...peers.problems, ...ads.problems] };
}

function sets(defined: readonly DefinedSetSpec[]): string[] {
  return defined.map((s) =>
    s.kind === 'prefix'
      ? `${s.name}: ${s.prefixes.map((p) => `${p.cidr.toString()} ${p.maskLengthMin}..${p.maskLengthMax}`).join(', ')}`
      : s.kind === 'neighbor'
        ? `${s.name}: ${s.neighbors.map(String).join(', ')}`
        : `${s.name}: ${s.communities.join(', ')}`,
  );
}

function statements(policies: readonly PolicySpec[], name: string): string[] {
  return (policies.find((p) => p.name === name)?.statements ?? []).map((s) => {
    const a = s.actions;
    const extras = [
      a.asPathPrepend ? `prepend ${a.asPathPrepend.asn}x${a.asPathPrepend.repeat}` : '',
      a.nextHop ? `next-hop ${a.nextHop}` : '',
      a.addCommunities ? `communities ${a.addCommunities.join(' ')}` : '',
    ].filter(Boolean);
    return `${s.name} ${a.result}${extras.length ? ` (${extras.join('; ')})` : ''}`;
  });
}

describe('computePolicies: node mesh only', () => {
  it.each([
    {
      stack: 'ipv4' as Stack,
      families: V4,
      sets: ['podcidrdefinedset: 10.244.1.0/24 24..24', 'defaultroutedefinedset: 0.0.0.0/0 0..0', 'iBGPpeerset: 198.18.0.12/32, 198.18.1.13/32', 'allpeerset: 198.18.0.12/32, 198.18.1.13/32'],
      exports: ['podcidrdefinedsetiBGPpeerset accept'],
      imports: ['defaultroutedefinedsetallpeerset reject'],
    },
    {
      stack: 'ipv6' as Stack,
      families: V6,
      sets: ['podcidrdefinedsetv6: fd00:10:244:1::/64 64..64', 'defaultroutedefinedsetv6: ::/0 0..0', 'iBGPpeersetv6: fd42:198:18::12/128, fd42:198:19::13/128', 'allpeersetv6: fd42:198:18::12/128, fd42:198:19::13/128'],
      // kube-router references only the IPv4 iBGP set here, which leaves IPv6-only clusters without a statement
      exports: ['podcidrdefinedsetv6iBGPpeersetv6 accept'],
      imports: ['defaultroutedefinedsetv6allpeersetv6 reject'],
    },
    {
      stack: 'dual' as Stack,
      families: DUAL,
      sets: [
        'podcidrdefinedset: 10.244.1.0/24 24..24',
        'defaultroutedefinedset: 0.0.0.0/0 0..0',
        'iBGPpeerset: 198.18.0.12/32, 198.18.1.13/32',
        'allpeerset: 198.18.0.12/32, 198.18.1.13/32',
        'podcidrdefinedsetv6: fd00:10:244:1::/64 64..64',
        'defaultroutedefinedsetv6: ::/0 0..0',
      ],
      exports: ['podcidrdefinedsetiBGPpeerset accept', 'podcidrdefinedsetv6iBGPpeerset accept'],
      imports: ['defaultroutedefinedsetallpeerset reject', 'defaultroutedefinedsetv6allpeerset reject'],
    },
    {
      stack: 'dual-v6' as Stack,
      families: DUAL,
      sets: [
        'podcidrdefinedset: 10.244.1.0/24 24..24',
        'defaultroutedefinedset: 0.0.0.0/0 0..0',
        'podcidrdefinedsetv6: fd00:10:244:1::/64 64..64',
        'defaultroutedefinedsetv6: ::/0 0..0',
        'iBGPpeersetv6: fd42:198:18::12/128, fd42:198:19::13/128',
        'allpeersetv6: fd42:198:18::12/128, fd42:198:19::13/128',
      ],
      exports: ['podcidrdefinedsetiBGPpeersetv6 accept', 'podcidrdefinedsetv6iBGPpeersetv6 accept'],
      imports: ['defaultroutedefinedsetallpeersetv6 reject', 'defaultroutedefinedsetv6allpeersetv6 reject'],
    },
  ])('$stack', ({ stack, families, sets: wantSets, exports, imports }) => {
    const { result, problems } = compute(stack, families);
    expect(problems).toEqual([]);
    expect(sets(result.definedSets)).toEqual(wantSets);
    expect(statements(result.policies, 'kube_router_export')).toEqual(exports);
    expect(statements(result.policies, 'kube_router_import')).toEqual(imports);
    expect(result.assignments).toEqual([
      { direction: 'import', policies: ['kube_router_import'], defaultAction: 'accept' },
      { direction: 'export', policies: ['kube_router_export'], defaultAction: 'reject' },
    ]);
  });
});

describe('computePolicies: external peers', () => {
  const EXTERNAL = {
    enableIbgp: false,
    advertise: { podCidr: true, clusterIp: true, externalIp: false, loadBalancerIp: false },
    overrideNextHop: true,
    externalPeers: [
      { address: parseIP('198.18.0.1'), asn: 65000, port: 179 },
      { address: parseIP('fd42:198:18::1'), asn: 65000, port: 179 },
    ],
  };
  const ANNOTATIONS = {
    'kube-router.io/node.bgp.communities': '65000:100,no-export',
    'kube-router.io/path-prepend.as': '64512',
    'kube-router.io/path-prepend.repeat-n': '2',
    'kube-router.io/node.bgp.customimportreject': '192.0.2.0/24, 2001:db8:ff::/48',
  };
  const X = '(prepend 64512x2; next-hop self; communities 65000:100 no-export)';

  it('dual: VIPs and pod CIDRs to external peers of both families, with prepend, next-hop-self and communities; custom reject of both families', () => {
    const { result, problems } = compute('dual', DUAL, ANNOTATIONS, EXTERNAL);
    expect(problems).toEqual([]);
    expect(sets(result.definedSets)).toEqual([
      'podcidrdefinedset: 10.244.1.0/24 24..24',
      'servicevipsdefinedset: 10.96.0.10/32 32..32',
      'defaultroutedefinedset: 0.0.0.0/0 0..0',
      'customimportrejectdefinedset: 192.0.2.0/24 24..32',
      'externalpeerset: 198.18.0.1/32',
      'allpeerset: 198.18.0.1/32',
      'podcidrdefinedsetv6: fd00:10:244:1::/64 64..64',
      'servicevipsdefinedsetv6: fd00:96::10/128 128..128',
      'defaultroutedefinedsetv6: ::/0 0..0',
      'customimportrejectdefinedsetv6: 2001:db8:ff::/48 48..128',
      'externalpeersetv6: fd42:198:18::1/128',
      'allpeersetv6: fd42:198:18::1/128',
    ]);
    expect(statements(result.policies, 'kube_router_export')).toEqual([
      `servicevipsdefinedsetexternalpeerset accept ${X}`,
      `servicevipsdefinedsetv6externalpeerset accept ${X}`,
      `podcidrdefinedsetexternalpeerset accept ${X}`,
      `podcidrdefinedsetv6externalpeerset accept ${X}`,
      `servicevipsdefinedsetexternalpeersetv6 accept ${X}`,
      `servicevipsdefinedsetv6externalpeersetv6 accept ${X}`,
      `podcidrdefinedsetexternalpeersetv6 accept ${X}`,
      `podcidrdefinedsetv6externalpeersetv6 accept ${X}`,
    ]);
    expect(statements(result.policies, 'kube_router_import')).toEqual([
      'servicevipsdefinedsetallpeerset reject',
      'servicevipsdefinedsetv6allpeerset reject',
      'defaultroutedefinedsetallpeerset reject',
      'defaultroutedefinedsetv6allpeerset reject',
      'customimportrejectdefinedsetallpeerset reject',
      'customimportrejectdefinedsetv6allpeerset reject',
      'servicevipsdefinedsetallpeersetv6 reject',
      'servicevipsdefinedsetv6allpeersetv6 reject',
      'defaultroutedefinedsetallpeersetv6 reject',
      'defaultroutedefinedsetv6allpeersetv6 reject',
      'customimportrejectdefinedsetallpeersetv6 reject',
      'customimportrejectdefinedsetv6allpeersetv6 reject',
    ]);
  });

  it.each([
    { stack: 'ipv4' as Stack, families: V4, want: ['servicevipsdefinedsetexternalpeerset accept'] },
    { stack: 'ipv6' as Stack, families: V6, want: ['servicevipsdefinedsetv6externalpeersetv6 accept'] },
  ])('$stack: --advertise-pod-cidr=false keeps pod CIDRs from external peers', ({ stack, families, want }) => {
    const peers = EXTERNAL.externalPeers.filter((p) => families[p.address.family]);
    const { result } = compute(stack, families, {}, { ...EXTERNAL, overrideNextHop: false, externalPeers: peers, advertise: { ...EXTERNAL.advertise, podCidr: false } });
    expect(statements(result.policies, 'kube_router_export')).toEqual(want);
  });

  it('a bad custom-reject item is reported; the good ones of both families apply', () => {
    const { result, problems } = compute('dual', DUAL, { 'kube-router.io/node.bgp.customimportreject': '192.0.2.0/24,garbage,2001:db8:ff::/48' });
    expect(problems.map((p) => p.message)).toEqual(['Node a: metadata.annotations["kube-router.io/node.bgp.customimportreject"]: item 2 "garbage": missing "/<prefix length>"']);
    expect(sets(result.definedSets).filter((s) => s.startsWith('customimportreject'))).toEqual([
      'customimportrejectdefinedset: 192.0.2.0/24 24..32',
      'customimportrejectdefinedsetv6: 2001:db8:ff::/48 48..128',
    ]);
  });

  it('bad communities and prepend are reported; the export goes on without them', () => {
    const { result, problems } = compute('ipv4', V4, { 'kube-router.io/node.bgp.communities': '65000:100,70000:1', 'kube-router.io/path-prepend.as': '64512' }, { ...EXTERNAL, externalPeers: [EXTERNAL.externalPeers[0]!], overrideNextHop: false });
    expect(problems.map((p) => p.message)).toEqual([
      'Node a: metadata.annotations["kube-router.io/node.bgp.communities"]: item 2: "70000:1" is not a BGP community (a 32-bit number, two 16-bit numbers as "a:b", or a well-known name such as no-export)',
      'Node a: metadata.annotations["kube-router.io/path-prepend.as"]: ignored: kube-router.io/path-prepend.repeat-n must be set as well',
    ]);
    expect(statements(result.policies, 'kube_router_export')).toEqual([
      'servicevipsdefinedsetexternalpeerset accept (communities 65000:100)',
      'podcidrdefinedsetexternalpeerset accept (communities 65000:100)',
    ]);
  });
});

describe('computePolicies: route reflector server', () => {
  it('has no policies and accepts both ways, as kube-router', () => {
    const { result } = compute('dual', DUAL, { 'kube-router.io/rr.server': '42' });
    expect(result).toEqual({
      definedSets: [],
      policies: [],
      assignments: [
        { direction: 'import', policies: [], defaultAction: 'accept' },
        { direction: 'export', policies: [], defaultAction: 'accept' },
      ],
    });
  });
});
