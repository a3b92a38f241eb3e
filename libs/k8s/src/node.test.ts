import { describe, expect, it } from 'vitest';
import type { V1Node, V1NodeAddress } from '@kubernetes/client-node';
import { POD_CIDRS_ANNOTATION, POD_CIDR_ANNOTATION, nodeInternalIPs, nodePodCIDRs, type PodCidrSource } from './node.js';

// Test IP plan:
//   node InternalIPs: 192.0.2.10-11 (TEST-NET-1) and 2001:db8::10-11
//   node ExternalIPs: 198.51.100.10 (TEST-NET-2) and 2001:db8:1::10
//   pod CIDRs: 10.244.1.0/24 and fd00:244:1::/64 (spec); 10.99.0.0/24, fd00:99::/64 (annotations)

function node(addresses: V1NodeAddress[], extra: Partial<V1Node> = {}): V1Node {
  return { kind: 'Node', metadata: { name: 'node-1', ...extra.metadata }, spec: extra.spec ?? {}, status: { addresses } };
}
const internal = (address: string): V1NodeAddress => ({ type: 'InternalIP', address });
const external = (address: string): V1NodeAddress => ({ type: 'ExternalIP', address });
const hostname = (address: string): V1NodeAddress => ({ type: 'Hostname', address });

describe('nodeInternalIPs', () => {
  it.each<{ name: string; addresses: V1NodeAddress[]; ipv4?: string; ipv6?: string; all: string[]; primary?: string; warnings?: number }>([
    { name: 'ipv4 only', addresses: [hostname('node-1'), internal('192.0.2.10')], ipv4: '192.0.2.10', all: ['192.0.2.10'], primary: '192.0.2.10' },
    { name: 'ipv6 only, canonicalised', addresses: [internal('2001:DB8::10')], ipv6: '2001:db8::10', all: ['2001:db8::10'], primary: '2001:db8::10' },
    {
      name: 'dual: first InternalIP per family',
      addresses: [internal('2001:db8::10'), internal('192.0.2.10'), internal('192.0.2.11'), internal('2001:db8::11')],
      ipv4: '192.0.2.10',
      ipv6: '2001:db8::10',
      all: ['2001:db8::10', '192.0.2.10', '192.0.2.11', '2001:db8::11'],
      primary: '2001:db8::10',
    },
    {
      name: 'dual: InternalIP wins over an earlier ExternalIP',
      addresses: [external('198.51.100.10'), internal('192.0.2.10'), internal('2001:db8::10')],
      ipv4: '192.0.2.10',
      ipv6: '2001:db8::10',
      all: ['192.0.2.10', '2001:db8::10', '198.51.100.10'],
      primary: '192.0.2.10',
    },
    {
      name: 'dual: ExternalIP only for the family without an InternalIP',
      addresses: [internal('192.0.2.10'), external('198.51.100.10'), external('2001:db8:1::10')],
      ipv4: '192.0.2.10',
      ipv6: '2001:db8:1::10',
      all: ['192.0.2.10', '198.51.100.10', '2001:db8:1::10'],
      primary: '192.0.2.10',
    },
    { name: 'ExternalIP only', addresses: [external('198.51.100.10')], ipv4: '198.51.100.10', all: ['198.51.100.10'], primary: '198.51.100.10' },
    { name: 'no addresses', addresses: [], all: [] },
    {
      name: 'bad address is skipped with a warning',
      addresses: [internal('192.0.2.300'), internal('2001:db8::10')],
      ipv6: '2001:db8::10',
      all: ['2001:db8::10'],
      primary: '2001:db8::10',
      warnings: 1,
    },
  ])('$name', ({ addresses, ipv4, ipv6, all, primary, warnings = 0 }) => {
    const ips = nodeInternalIPs(node(addresses));
    expect(ips.ipv4?.address).toBe(ipv4);
    expect(ips.ipv6?.address).toBe(ipv6);
    expect(ips.all.map(String)).toEqual(all);
    expect(ips.primary?.address).toBe(primary);
    expect(ips.source).toBe('status');
    expect(ips.warnings).toHaveLength(warnings);
  });

  it('names the node and the field in warnings', () => {
    const [warning] = nodeInternalIPs(node([internal('nope')])).warnings;
    expect(warning?.message).toMatch(/^Node node-1: status\.addresses\[0\] \(InternalIP\): /);
  });

  it.each([
    { name: 'ipv4 override', override: ['192.0.2.99'], ipv4: '192.0.2.99', ipv6: undefined },
    { name: 'ipv6 override', override: ['2001:db8::99'], ipv4: undefined, ipv6: '2001:db8::99' },
    { name: 'dual override', override: ['2001:db8::99', '192.0.2.99'], ipv4: '192.0.2.99', ipv6: '2001:db8::99' },
  ])('$name replaces the status addresses', ({ override, ipv4, ipv6 }) => {
    const ips = nodeInternalIPs(node([internal('192.0.2.10'), internal('2001:db8::10')]), override);
    expect(ips.source).toBe('override');
    expect(ips.ipv4?.address).toBe(ipv4);
    expect(ips.ipv6?.address).toBe(ipv6);
    expect(ips.all.map(String)).toEqual(override);
  });

  it('an empty or unusable override falls back to the status, with warnings', () => {
    expect(nodeInternalIPs(node([internal('192.0.2.10')]), []).source).toBe('status');
    const ips = nodeInternalIPs(node([internal('192.0.2.10')]), ['junk']);
    expect(ips.source).toBe('status');
    expect(ips.warnings[0]?.field).toBe('address override[0]');
  });
});

describe('nodePodCIDRs', () => {
  const withPodCidrs = (annotations: Record<string, string>, spec: V1Node['spec'] = {}): V1Node =>
    node([], { metadata: { name: 'node-1', annotations }, spec });

  it.each<{
    name: string;
    annotations?: Record<string, string>;
    spec?: V1Node['spec'];
    ipv4?: string;
    ipv6?: string;
    source: PodCidrSource;
    warnings?: RegExp[];
    errors?: RegExp[];
  }>([
    { name: 'spec ipv4', spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }, ipv4: '10.244.1.0/24', source: 'spec.podCIDRs' },
    { name: 'spec ipv6', spec: { podCIDRs: ['FD00:244:1::/64'] }, ipv6: 'fd00:244:1::/64', source: 'spec.podCIDRs' },
    { name: 'spec dual', spec: { podCIDRs: ['fd00:244:1::/64', '10.244.1.0/24'] }, ipv4: '10.244.1.0/24', ipv6: 'fd00:244:1::/64', source: 'spec.podCIDRs' },
    { name: 'legacy spec.podCIDR only', spec: { podCIDR: '10.244.1.0/24' }, ipv4: '10.244.1.0/24', source: 'spec.podCIDR' },
    { name: 'nothing', source: 'none' },
    {
      name: 'pod-cidrs (dual) supersedes the spec',
      annotations: { [POD_CIDRS_ANNOTATION]: '10.99.0.0/24, fd00:99::/64' },
      spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] },
      ipv4: '10.99.0.0/24',
      ipv6: 'fd00:99::/64',
      source: 'annotation:pod-cidrs',
    },
    {
      name: 'pod-cidrs (ipv6 only) supersedes a dual spec entirely',
      annotations: { [POD_CIDRS_ANNOTATION]: 'fd00:99::/64' },
      spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] },
      ipv6: 'fd00:99::/64',
      source: 'annotation:pod-cidrs',
    },
    {
      name: 'pod-cidrs supersedes the deprecated pod-cidr, which is reported as ignored',
      annotations: { [POD_CIDRS_ANNOTATION]: '10.99.0.0/24', [POD_CIDR_ANNOTATION]: '10.98.0.0/24' },
      ipv4: '10.99.0.0/24',
      source: 'annotation:pod-cidrs',
      warnings: [/kube-router\.io\/pod-cidr.*deprecated and ignored/],
    },
    {
      name: 'deprecated pod-cidr (ipv4) is preferred over the spec, with a warning',
      annotations: { [POD_CIDR_ANNOTATION]: '10.98.0.0/24' },
      spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] },
      ipv4: '10.98.0.0/24',
      source: 'annotation:pod-cidr',
      warnings: [/deprecated: use kube-router\.io\/pod-cidrs/],
    },
    {
      name: 'deprecated pod-cidr (ipv6)',
      annotations: { [POD_CIDR_ANNOTATION]: 'fd00:98::/64' },
      ipv6: 'fd00:98::/64',
      source: 'annotation:pod-cidr',
      warnings: [/deprecated/],
    },
    {
      name: 'empty annotations count as absent',
      annotations: { [POD_CIDRS_ANNOTATION]: ' ', [POD_CIDR_ANNOTATION]: '' },
      spec: { podCIDRs: ['10.244.1.0/24'] },
      ipv4: '10.244.1.0/24',
      source: 'spec.podCIDRs',
    },
    {
      name: 'invalid pod-cidrs item: error, valid family kept, no fallback to the spec',
      annotations: { [POD_CIDRS_ANNOTATION]: '10.99.0.0/33,fd00:99::/64' },
      spec: { podCIDRs: ['10.244.1.0/24'] },
      ipv6: 'fd00:99::/64',
      source: 'annotation:pod-cidrs',
      errors: [/kube-router\.io\/pod-cidrs"\] item 1: .*prefix length/],
    },
    {
      name: 'invalid deprecated pod-cidr: error, no fallback',
      annotations: { [POD_CIDR_ANNOTATION]: 'junk' },
      spec: { podCIDRs: ['10.244.1.0/24'] },
      source: 'annotation:pod-cidr',
      warnings: [/deprecated/],
      errors: [/kube-router\.io\/pod-cidr"\]: .*"junk"/],
    },
    {
      name: 'two of one family in pod-cidrs',
      annotations: { [POD_CIDRS_ANNOTATION]: '10.99.0.0/24,10.99.1.0/24,fd00:99::/64' },
      ipv4: '10.99.0.0/24',
      ipv6: 'fd00:99::/64',
      source: 'annotation:pod-cidrs',
      errors: [/item 2: second ipv4 CIDR 10\.99\.1\.0\/24 \(already have 10\.99\.0\.0\/24\); at most one per family/],
    },
    {
      name: 'two ipv6 in spec',
      spec: { podCIDRs: ['fd00:244:1::/64', 'fd00:244:2::/64'] },
      ipv6: 'fd00:244:1::/64',
      source: 'spec.podCIDRs',
      errors: [/spec\.podCIDRs item 2: second ipv6 CIDR/],
    },
    {
      name: 'host bits set: masked, with a warning',
      annotations: { [POD_CIDRS_ANNOTATION]: '10.99.0.1/24,fd00:99::1/64' },
      ipv4: '10.99.0.0/24',
      ipv6: 'fd00:99::/64',
      source: 'annotation:pod-cidrs',
      warnings: [/"10\.99\.0\.1\/24" has host bits set; using 10\.99\.0\.0\/24/, /"fd00:99::1\/64" has host bits set; using fd00:99::\/64/],
    },
  ])('$name', ({ annotations = {}, spec = {}, ipv4, ipv6, source, warnings = [], errors = [] }) => {
    const result = nodePodCIDRs(withPodCidrs(annotations, spec));
    expect(result.source).toBe(source);
    expect(result.ipv4?.toString()).toBe(ipv4);
    expect(result.ipv6?.toString()).toBe(ipv6);
    expect(result.all.map(String).sort()).toEqual([ipv4, ipv6].filter(Boolean).sort());
    expect(result.warnings.map((w) => w.message)).toHaveLength(warnings.length);
    warnings.forEach((re, i) => expect(result.warnings[i]?.message).toMatch(re));
    expect(result.errors.map((e) => e.message)).toHaveLength(errors.length);
    errors.forEach((re, i) => expect(result.errors[i]?.message).toMatch(re));
    for (const problem of [...result.warnings, ...result.errors]) {
      expect(problem.kind).toBe('Node');
      expect(problem.object).toBe('node-1');
    }
  });

  it('keeps the order given (Kubernetes: the first entry is the primary family)', () => {
    const result = nodePodCIDRs(withPodCidrs({}, { podCIDRs: ['fd00:244:1::/64', '10.244.1.0/24'] }));
    expect(result.all.map(String)).toEqual(['fd00:244:1::/64', '10.244.1.0/24']);
  });
});
