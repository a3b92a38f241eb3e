// Test IP plan: node InternalIPs 198.18.0.11-13 / fd42:198:18::11-13; pod CIDRs
// 10.244.<n>.0/24 and fd00:10:244:<n>::/64.
import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { computeClusterView } from './cluster-nodes.js';

function node(name: string, ips: string[], podCIDRs: string[], annotations: Record<string, string> = {}): V1Node {
  return { kind: 'Node', metadata: { name, annotations }, spec: { podCIDRs }, status: { addresses: ips.map((address) => ({ type: 'InternalIP', address })) } };
}

const DUAL = [
  node('b', ['198.18.0.12', 'fd42:198:18::12'], ['10.244.2.0/24', 'fd00:10:244:2::/64']),
  node('a', ['fd42:198:18::11', '198.18.0.11'], ['fd00:10:244:1::/64', '10.244.1.0/24']),
];

describe('computeClusterView', () => {
  it.each([
    {
      stack: 'ipv4',
      families: { ipv4: true, ipv6: false },
      nodes: DUAL,
      want: { a: { addresses: ['198.18.0.11'], podCidrs: ['10.244.1.0/24'] }, b: { addresses: ['198.18.0.12'], podCidrs: ['10.244.2.0/24'] } },
      cluster: ['10.244.1.0/24', '10.244.2.0/24'],
    },
    {
      stack: 'ipv6',
      families: { ipv4: false, ipv6: true },
      nodes: DUAL,
      want: { a: { addresses: ['fd42:198:18::11'], podCidrs: ['fd00:10:244:1::/64'] }, b: { addresses: ['fd42:198:18::12'], podCidrs: ['fd00:10:244:2::/64'] } },
      cluster: ['fd00:10:244:1::/64', 'fd00:10:244:2::/64'],
    },
    {
      stack: 'dual (addresses primary-per-family, IPv4 first; pod CIDRs in the node order)',
      families: { ipv4: true, ipv6: true },
      nodes: DUAL,
      want: {
        a: { addresses: ['198.18.0.11', 'fd42:198:18::11'], podCidrs: ['fd00:10:244:1::/64', '10.244.1.0/24'] },
        b: { addresses: ['198.18.0.12', 'fd42:198:18::12'], podCidrs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] },
      },
      cluster: ['10.244.1.0/24', '10.244.2.0/24', 'fd00:10:244:1::/64', 'fd00:10:244:2::/64'],
    },
  ])('$stack', ({ families, nodes, want, cluster }) => {
    const view = computeClusterView(nodes, families);
    expect(view.nodes.map((n) => n.name)).toEqual(['a', 'b']);
    for (const n of view.nodes) {
      expect({ addresses: n.addresses.map((a) => a.address), podCidrs: n.podCidrs.map((c) => c.toString()) }).toEqual(want[n.name as 'a' | 'b']);
    }
    expect(view.podCidrs.map((c) => c.toString())).toEqual(cluster);
    expect(view.problems.size).toBe(0);
  });

  it('reports a bad pod-cidrs annotation against the node and keeps the rest', () => {
    const view = computeClusterView(
      [node('a', ['198.18.0.11'], ['10.244.1.0/24'], { 'kube-router.io/pod-cidrs': '10.244.9.0/24,not-a-cidr' }), DUAL[0]!],
      { ipv4: true, ipv6: true },
    );
    expect(view.problems.get('a')?.[0]?.message).toMatch(/Node a: .*kube-router\.io\/pod-cidrs.*not-a-cidr/);
    expect(view.nodes.find((n) => n.name === 'a')?.podCidrs.map(String)).toEqual(['10.244.9.0/24']);
    expect(view.nodes.find((n) => n.name === 'b')?.podCidrs.map(String)).toEqual(['10.244.2.0/24', 'fd00:10:244:2::/64']);
  });
});
