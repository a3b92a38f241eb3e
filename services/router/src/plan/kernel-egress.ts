// Pod egress masquerade (--enable-pod-egress) as one nft script that replaces the
// router's own table atomically. Pure.
//
// kube-router's rule, per family (pkg/controllers/routing/pod_egress.go):
//   -A POSTROUTING -m set --match-set kube-router-pod-subnets src
//                  -m set ! --match-set kube-router-pod-subnets dst
//                  -m set ! --match-set kube-router-node-ips dst -j MASQUERADE --random-fully
// i.e. traffic from any pod CIDR of the cluster to anything that is neither a pod CIDR
// nor a node leaves with the node's address. Here the same in an `inet` table: named
// interval sets per family, one rule per family, `masquerade fully-random`. This node's
// own pod CIDRs are always in the pod set, also before the cluster list has them.
//
// Hook postrouting, type nat, priority srcnat (100): source NAT belongs after routing,
// once the output interface (and so the address to masquerade to) is known, and srcnat is
// where iptables' nat POSTROUTING and kube-proxy's nftables masquerade sit too. Every NAT
// chain at that hook only masquerades (to the same node address), so their relative order
// does not change the result. A nat chain only sees a connection's first packet; the
// per-packet cost of the set lookups is therefore per connection.
//
// The script is `table X {}` (create if absent) + `delete table X` + the full table: one
// transaction, so the old and new rules are never both missing or both present, and
// whatever drifted in the table (or a set of a family no longer enabled) is gone.
// Disabled egress is the first two statements alone: the table is removed.
import { containsCidr, sortCIDRs, sortIPs, type Cidr, type Family, type IPAddress } from '@kr/ip';
import { EGRESS_CHAIN, EGRESS_SETS, EGRESS_TABLE } from '../dataplane/kernel/names.js';
import type { EgressSpec } from '../dataplane/kernel/types.js';

const TABLE = `${EGRESS_TABLE.family} ${EGRESS_TABLE.name}`;
const SELECTOR: Record<Family, { match: string; type: string }> = {
  ipv4: { match: 'ip', type: 'ipv4_addr' },
  ipv6: { match: 'ip6', type: 'ipv6_addr' },
};

/** The sets the egress table holds for one family (also what RouterState publishes). */
export interface EgressSets {
  readonly podCidrs: readonly Cidr[];
  readonly nodeIps: readonly IPAddress[];
  readonly excluded: readonly Cidr[];
}

/**
 * Sorted, without duplicates and without CIDRs inside another one: interval sets refuse
 * overlapping elements, and the minimal list is what nft would list back anyway.
 */
export function minimalCidrs(cidrs: readonly Cidr[]): Cidr[] {
  const out: Cidr[] = [];
  // Sorted by address then prefix length (wider first): a covered CIDR follows its cover.
  for (const cidr of sortCIDRs(cidrs)) {
    const last = out[out.length - 1];
    if (last && containsCidr(last, cidr)) continue;
    out.push(cidr);
  }
  return out;
}

function uniqueIPs(ips: readonly IPAddress[]): IPAddress[] {
  const seen = new Set<string>();
  return sortIPs(ips).filter((ip) => !seen.has(ip.address) && seen.add(ip.address));
}

export function egressSets(spec: EgressSpec, family: Family): EgressSets {
  const of = <T extends { family: Family }>(items: readonly T[]) => items.filter((i) => i.family === family);
  return {
    podCidrs: minimalCidrs(of([...spec.clusterPodCidrs, ...spec.podCidrs])),
    nodeIps: uniqueIPs(of(spec.nodeIps)),
    excluded: minimalCidrs(of(spec.excluded ?? [])),
  };
}

function setBlock(name: string, family: Family, elements: readonly (Cidr | IPAddress)[]): string[] {
  return [
    `\tset ${name} {`,
    `\t\ttype ${SELECTOR[family].type}`,
    '\t\tflags interval',
    ...(elements.length > 0 ? [`\t\telements = { ${elements.map(String).join(', ')} }`] : []),
    '\t}',
  ];
}

/** The nft script for `spec`; undefined spec (egress disabled) removes the table. */
export function renderPodEgress(spec: EgressSpec | undefined): string {
  const lines = [`table ${TABLE} {`, '}', `delete table ${TABLE}`];
  if (spec !== undefined) {
    const families = (['ipv4', 'ipv6'] as const).filter((f) => spec.families.includes(f));
    const sets: string[] = [];
    const rules: string[] = [];
    for (const family of families) {
      const s = egressSets(spec, family);
      const names = { pod: EGRESS_SETS.podCidrs[family], node: EGRESS_SETS.nodeIps[family], excluded: EGRESS_SETS.excluded[family] };
      sets.push(...setBlock(names.pod, family, s.podCidrs), ...setBlock(names.node, family, s.nodeIps), ...setBlock(names.excluded, family, s.excluded));
      const m = SELECTOR[family].match;
      rules.push(`\t\t${m} saddr @${names.pod} ${m} daddr != @${names.pod} ${m} daddr != @${names.node} ${m} daddr != @${names.excluded} masquerade fully-random`);
    }
    lines.push(
      `table ${TABLE} {`,
      '\tcomment "kr-router: pod egress masquerade (--enable-pod-egress)"',
      ...sets,
      `\tchain ${EGRESS_CHAIN} {`,
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      ...rules,
      '\t}',
      '}',
    );
  }
  return lines.join('\n') + '\n';
}
