// Which pod CIDRs this node's CNI configuration gets: the node's own, one per enabled
// family. Pure: the caller logs the problems, once per node object.
import type { ObjectInputError } from '@kr/errors';
import type { Cidr, EnabledFamilies } from '@kr/ip';
import { nodePodCIDRs } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';

export interface NodePodCidrPlan {
  readonly cidrs: readonly Cidr[];
  /** Families enabled on the node that have no pod CIDR (yet). */
  readonly missing: readonly ('ipv4' | 'ipv6')[];
  readonly problems: readonly ObjectInputError[];
  /** CIDRs of a family this node does not run, skipped. */
  readonly skipped: readonly Cidr[];
}

export function computeNodePodCidrs(node: V1Node | undefined, families: EnabledFamilies): NodePodCidrPlan {
  if (!node) {
    return { cidrs: [], missing: (['ipv4', 'ipv6'] as const).filter((f) => families[f]), problems: [], skipped: [] };
  }
  const found = nodePodCIDRs(node);
  const cidrs = found.all.filter((c) => families[c.family]);
  const skipped = found.all.filter((c) => !families[c.family]);
  const missing = (['ipv4', 'ipv6'] as const).filter((f) => families[f] && !cidrs.some((c) => c.family === f));
  return { cidrs, missing, problems: [...found.warnings, ...found.errors], skipped };
}
