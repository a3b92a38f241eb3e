// Test IP plan:
//   pod CIDRs  10.244.1.0/24 (IPv4), fd00:10:244:1::/64 (IPv6)
//   annotation 10.99.0.0/24, fd00:99::/64 (kube-router.io/pod-cidrs overrides the spec)
import { describe, expect, it } from 'vitest';
import type { EnabledFamilies } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import { computeNodePodCidrs } from './pod-cidrs.js';

const NODE = 'node-a';

function node(podCIDRs: string[], annotations: Record<string, string> = {}): V1Node {
  return { kind: 'Node', metadata: { name: NODE, annotations }, spec: { podCIDRs } };
}

const V4: EnabledFamilies = { ipv4: true, ipv6: false };
const V6: EnabledFamilies = { ipv4: false, ipv6: true };
const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

describe('computeNodePodCidrs', () => {
  it.each([
    { name: 'ipv4 node', families: V4, node: node(['10.244.1.0/24']), want: ['10.244.1.0/24'], skipped: [] },
    { name: 'ipv6 node', families: V6, node: node(['fd00:10:244:1::/64']), want: ['fd00:10:244:1::/64'], skipped: [] },
    { name: 'dual node', families: DUAL, node: node(['10.244.1.0/24', 'fd00:10:244:1::/64']), want: ['10.244.1.0/24', 'fd00:10:244:1::/64'], skipped: [] },
    { name: 'dual-v6 node keeps IPv6 first', families: DUAL, node: node(['fd00:10:244:1::/64', '10.244.1.0/24']), want: ['fd00:10:244:1::/64', '10.244.1.0/24'], skipped: [] },
    { name: 'ipv4 controller on a dual node skips IPv6', families: V4, node: node(['10.244.1.0/24', 'fd00:10:244:1::/64']), want: ['10.244.1.0/24'], skipped: ['fd00:10:244:1::/64'] },
    {
      name: 'pod-cidrs annotation supersedes the spec (dual-v6 order)',
      families: DUAL,
      node: node(['10.244.1.0/24', 'fd00:10:244:1::/64'], { 'kube-router.io/pod-cidrs': 'fd00:99::/64, 10.99.0.0/24' }),
      want: ['fd00:99::/64', '10.99.0.0/24'],
      skipped: [],
    },
  ])('$name', ({ families, node: n, want, skipped }) => {
    const plan = computeNodePodCidrs(n, families, NODE);
    expect(plan.blocker).toBeUndefined();
    expect(plan.cidrs.map(String)).toEqual(want);
    expect(plan.skipped.map(String)).toEqual(skipped);
    expect(plan.problems).toEqual([]);
  });

  it('the deprecated pod-cidr annotation works with a warning', () => {
    const plan = computeNodePodCidrs(node([], { 'kube-router.io/pod-cidr': '10.244.1.0/24' }), V4, NODE);
    expect(plan.cidrs.map(String)).toEqual(['10.244.1.0/24']);
    expect(plan.blocker).toBeUndefined();
    expect(plan.problems.map((p) => p.message)).toEqual([
      'Node node-a: metadata.annotations["kube-router.io/pod-cidr"]: deprecated: use kube-router.io/pod-cidrs (a comma-separated list, one CIDR per family)',
    ]);
  });

  it.each([
    { name: 'no node object', families: V4, node: undefined, blocker: /^node node-a is not in the API/ },
    { name: 'no pod CIDR at all', families: V4, node: node([]), blocker: /no IPv4 \(--enable-ipv4 is set\) pod CIDR: the node has no spec.podCIDRs/ },
    { name: '--enable-ipv6 but only an IPv4 pod CIDR', families: DUAL, node: node(['10.244.1.0/24']), blocker: /no IPv6 \(--enable-ipv6 is set\) pod CIDR: pod CIDRs come from spec.podCIDRs$/ },
    { name: 'ipv6-only but only an IPv4 pod CIDR', families: V6, node: node(['10.244.1.0/24']), blocker: /no IPv6 \(--enable-ipv6 is set\) pod CIDR/ },
    {
      name: 'bad annotation item names the item and the reason',
      families: DUAL,
      node: node(['10.244.1.0/24', 'fd00:10:244:1::/64'], { 'kube-router.io/pod-cidrs': '10.99.0.0/24,fd00:99::/129' }),
      blocker: /no IPv6 .* pod CIDR: pod CIDRs come from annotation:pod-cidrs; Node node-a: metadata.annotations\["kube-router.io\/pod-cidrs"\] item 2: "fd00:99::\/129": prefix length must be an integer 0..128/,
    },
    { name: 'an IPv4 range without room for pods', families: V4, node: node(['10.244.1.0/31']), blocker: /pod CIDR 10.244.1.0\/31 leaves no address for pods .* \/30 or larger/ },
    { name: 'an IPv6 range without room for pods', families: V6, node: node(['fd00:10:244:1::/127']), blocker: /pod CIDR fd00:10:244:1::\/127 leaves no address .* \/126 or larger/ },
  ])('blocked: $name', ({ families, node: n, blocker }) => {
    const plan = computeNodePodCidrs(n, families, NODE);
    expect(plan.blocker).toMatch(blocker);
  });
});
