import { describe, expect, it } from 'vitest';
import { parseCIDR, parseIP, type Family } from '@kr/ip';
import type { EgressSpec } from '../dataplane/kernel/types.js';
import { egressSets, minimalCidrs, renderPodEgress } from './kernel-egress.js';

// Test IP plan:
//   cluster pod CIDRs  10.244.1.0/24 10.244.2.0/24   fd00:10:244:1::/64 fd00:10:244:2::/64
//   this node's pods   10.244.1.0/24                 fd00:10:244:1::/64
//   node IPs           198.18.1.10 198.18.2.10       2001:db8:1::10 2001:db8:2::10
//   excluded           192.0.2.0/24                  2001:db8:ffff::/48
const cidrs = (...list: string[]) => list.map((c) => parseCIDR(c));
const ips = (...list: string[]) => list.map((a) => parseIP(a));

function spec(families: Family[]): EgressSpec {
  return {
    families,
    podCidrs: cidrs('10.244.1.0/24', 'fd00:10:244:1::/64'),
    // Unsorted, with a duplicate of this node's CIDR and a CIDR inside another.
    clusterPodCidrs: cidrs('fd00:10:244:2::/64', '10.244.2.0/24', '10.244.1.0/24', 'fd00:10:244:1::/64', 'fd00:10:244:2::/80'),
    nodeIps: ips('198.18.2.10', '2001:db8:2::10', '198.18.1.10', '2001:db8:1::10', '198.18.1.10'),
    excluded: cidrs('192.0.2.0/24', '2001:db8:ffff::/48'),
  };
}

const HEAD = `table inet kube-router-router {
}
delete table inet kube-router-router
`;

const V4_SETS = `	set pod_cidrs_v4 {
		type ipv4_addr
		flags interval
		elements = { 10.244.1.0/24, 10.244.2.0/24 }
	}
	set node_ips_v4 {
		type ipv4_addr
		flags interval
		elements = { 198.18.1.10, 198.18.2.10 }
	}
	set excluded_v4 {
		type ipv4_addr
		flags interval
		elements = { 192.0.2.0/24 }
	}
`;
const V6_SETS = `	set pod_cidrs_v6 {
		type ipv6_addr
		flags interval
		elements = { fd00:10:244:1::/64, fd00:10:244:2::/64 }
	}
	set node_ips_v6 {
		type ipv6_addr
		flags interval
		elements = { 2001:db8:1::10, 2001:db8:2::10 }
	}
	set excluded_v6 {
		type ipv6_addr
		flags interval
		elements = { 2001:db8:ffff::/48 }
	}
`;
const V4_RULE = '\t\tip saddr @pod_cidrs_v4 ip daddr != @pod_cidrs_v4 ip daddr != @node_ips_v4 ip daddr != @excluded_v4 masquerade fully-random\n';
const V6_RULE = '\t\tip6 saddr @pod_cidrs_v6 ip6 daddr != @pod_cidrs_v6 ip6 daddr != @node_ips_v6 ip6 daddr != @excluded_v6 masquerade fully-random\n';

function table(sets: string, rules: string): string {
  return `${HEAD}table inet kube-router-router {
	comment "kr-router: pod egress masquerade (--enable-pod-egress)"
${sets}	chain pod_egress {
		type nat hook postrouting priority srcnat; policy accept;
${rules}	}
}
`;
}

describe('renderPodEgress (golden)', () => {
  it.each([
    { name: 'IPv4', families: ['ipv4'] as Family[], want: table(V4_SETS, V4_RULE) },
    { name: 'IPv6', families: ['ipv6'] as Family[], want: table(V6_SETS, V6_RULE) },
    { name: 'dual-stack', families: ['ipv6', 'ipv4'] as Family[], want: table(V4_SETS + V6_SETS, V4_RULE + V6_RULE) },
  ])('$name', ({ families, want }) => {
    expect(renderPodEgress(spec(families))).toBe(want);
  });

  it('removes the table when egress is disabled', () => {
    expect(renderPodEgress(undefined)).toBe(HEAD);
  });

  it('declares empty sets without elements (nft refuses `elements = { }`)', () => {
    const script = renderPodEgress({ families: ['ipv6'], podCidrs: cidrs('fd00:10:244:1::/64'), clusterPodCidrs: [], nodeIps: [] });
    expect(script).toContain('\tset node_ips_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n');
    expect(script).toContain('elements = { fd00:10:244:1::/64 }');
  });
});

describe('egressSets', () => {
  it('keeps this node\'s pod CIDRs even before the cluster list has them', () => {
    const sets = egressSets({ families: ['ipv4'], podCidrs: cidrs('10.244.7.0/24'), clusterPodCidrs: cidrs('10.244.2.0/24'), nodeIps: [] }, 'ipv4');
    expect(sets.podCidrs.map(String)).toEqual(['10.244.2.0/24', '10.244.7.0/24']);
  });
});

describe('minimalCidrs', () => {
  it.each([
    { name: 'IPv4', input: ['10.1.0.0/16', '10.0.0.0/8', '10.2.3.0/24', '192.168.0.0/16', '10.0.0.0/8'], want: ['10.0.0.0/8', '192.168.0.0/16'] },
    { name: 'IPv6', input: ['fd00:0:0:1::/64', 'fd00::/48', 'fd00:1::/64'], want: ['fd00::/48', 'fd00:1::/64'] },
    { name: 'dual-stack', input: ['fd00::/8', '10.0.0.0/8', 'fd00:1::/64', '10.9.0.0/16'], want: ['10.0.0.0/8', 'fd00::/8'] },
  ])('$name', ({ input, want }) => {
    expect(minimalCidrs(cidrs(...input)).map(String)).toEqual(want);
  });
});
