// Which pod CIDRs this node's CNI configuration gets: the node's own, one per enabled
// family, in the node's order. Pure: the caller logs the input problems, once per node
// object, and refuses to write anything while `blocker` is set.
import type { ObjectInputError } from '@kr/errors';
import { kubernetesFamilyName, type Cidr, type EnabledFamilies, type Family } from '@kr/ip';
import { nodePodCIDRs, type PodCidrSource } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';

export interface NodePodCidrPlan {
  /** The CIDRs of enabled families, in the order the node lists them. */
  readonly cidrs: readonly Cidr[];
  /** Families enabled on the node that have no pod CIDR (yet). */
  readonly missing: readonly Family[];
  /** Bad or deprecated input in the node object, to report once per object. */
  readonly problems: readonly ObjectInputError[];
  /** CIDRs of a family this node does not run, skipped. */
  readonly skipped: readonly Cidr[];
  readonly source: PodCidrSource;
  /**
   * Why no CNI configuration may be written (a configuration without an enabled
   * family's range, or with an unusable range, would break every new pod). Undefined
   * when the CIDRs are complete and usable.
   */
  readonly blocker?: string;
}

// The smallest range host-local can serve: the gateway plus one pod (IPv4 also loses the
// network and broadcast addresses; host-local's IPv6 ranges lose the network address).
const LONGEST_PREFIX: Record<Family, number> = { ipv4: 30, ipv6: 126 };

export function computeNodePodCidrs(node: V1Node | undefined, families: EnabledFamilies, nodeName: string): NodePodCidrPlan {
  const enabled = (['ipv4', 'ipv6'] as const).filter((f) => families[f]);
  if (!node) {
    return { cidrs: [], missing: enabled, problems: [], skipped: [], source: 'none', blocker: `node ${nodeName} is not in the API (yet)` };
  }
  const found = nodePodCIDRs(node);
  const cidrs = found.all.filter((c) => families[c.family]);
  const skipped = found.all.filter((c) => !families[c.family]);
  const missing = enabled.filter((f) => !cidrs.some((c) => c.family === f));
  const problems = [...found.warnings, ...found.errors];
  const base = { cidrs, missing, problems, skipped, source: found.source };

  if (missing.length > 0) {
    const names = missing.map((f) => `${kubernetesFamilyName(f)} (--enable-${f} is set)`).join(' and ');
    const from = found.source === 'none' ? 'the node has no spec.podCIDRs and no kube-router.io/pod-cidrs annotation' : `pod CIDRs come from ${found.source}`;
    const errors = found.errors.length > 0 ? `; ${found.errors.map((e) => e.message).join('; ')}` : '';
    return { ...base, blocker: `node ${nodeName} has no ${names} pod CIDR: ${from}${errors}` };
  }
  const tooSmall = cidrs.find((c) => c.prefixLength > LONGEST_PREFIX[c.family]);
  if (tooSmall) {
    return {
      ...base,
      blocker: `node ${nodeName}: pod CIDR ${tooSmall.toString()} leaves no address for pods after the gateway (${kubernetesFamilyName(tooSmall.family)} needs a /${LONGEST_PREFIX[tooSmall.family]} or larger)`,
    };
  }
  return base;
}
