// What the firewall will enforce on this node: the policies, and the local pods they may
// select. Pure. Policy evaluation and the iptables/ipset (default) and nftables
// dataplanes arrive with the firewall issue.
import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';

export interface PolicyInventory {
  readonly policies: number;
  /** Pods on this node with an address (host-network pods are never policed). */
  readonly localPods: number;
}

export function computePolicyInventory(policies: readonly V1NetworkPolicy[], pods: readonly V1Pod[], node: string): PolicyInventory {
  const local = pods.filter(
    (p) =>
      p.spec?.nodeName === node &&
      !p.spec?.hostNetwork &&
      (p.status?.podIPs?.length ?? 0) > 0 &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
  return { policies: policies.length, localPods: local.length };
}
