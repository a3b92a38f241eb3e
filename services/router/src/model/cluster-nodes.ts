// The cluster's nodes as the router sees them: addresses and pod CIDRs per family. Pure.
import type { ObjectInputError } from '@kr/errors';
import { compareCIDRs, type Cidr, type EnabledFamilies, type IPAddress } from '@kr/ip';
import { nodeInternalIPs, nodePodCIDRs } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';

export interface ClusterNodeView {
  readonly name: string;
  /** Node addresses of enabled families, primary of each family first. */
  readonly addresses: readonly IPAddress[];
  readonly podCidrs: readonly Cidr[];
}

export interface ClusterView {
  readonly nodes: readonly ClusterNodeView[];
  /** Every node's pod CIDRs, sorted, deduplicated. */
  readonly podCidrs: readonly Cidr[];
  readonly problems: ReadonlyMap<string, readonly ObjectInputError[]>;
}

export function computeClusterView(nodes: readonly V1Node[], families: EnabledFamilies): ClusterView {
  const problems = new Map<string, ObjectInputError[]>();
  const views: ClusterNodeView[] = [];
  const all = new Map<string, Cidr>();
  for (const node of [...nodes].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const name = node.metadata?.name ?? '';
    const ips = nodeInternalIPs(node);
    const cidrs = nodePodCIDRs(node);
    const primary = (['ipv4', 'ipv6'] as const).flatMap((f) => (families[f] && ips[f] ? [ips[f]] : []));
    const rest = ips.all.filter((ip) => families[ip.family] && !primary.some((p) => p.address === ip.address));
    const podCidrs = cidrs.all.filter((c) => families[c.family]);
    for (const c of podCidrs) all.set(c.toString(), c);
    const issues = [...ips.warnings, ...cidrs.warnings, ...cidrs.errors];
    if (issues.length) problems.set(name, issues);
    views.push({ name, addresses: [...primary, ...rest], podCidrs });
  }
  return { nodes: views, podCidrs: [...all.values()].sort(compareCIDRs), problems };
}
