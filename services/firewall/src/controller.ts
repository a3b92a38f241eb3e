// kr-firewall: the NetworkPolicy controller. This first version watches policies and the
// node's pods and publishes their counts; enforcement arrives with the firewall issue.
import type { ControllerDefinition } from '@kr/agent';
import { NAMESPACES, NETWORK_POLICIES, PODS } from '@kr/k8s';
import { KUBE_ROUTER_SYNC_TIMES } from '@kr/observability';
import type { nodestate } from '@kr/proto';
import { computePolicyInventory, type PolicyInventory } from './model/inventory.js';

export const firewallController: ControllerDefinition<'firewall', readonly []> = {
  name: 'firewall',
  binary: 'kr-firewall',
  description: 'kr-firewall: the NetworkPolicy controller of kube-router-ts (iptables+ipset or nftables).',
  flags: [],
  syncTime: KUBE_ROUTER_SYNC_TIMES.iptables,
  create(ctx) {
    const policies = ctx.informer(NETWORK_POLICIES);
    // Only this node's pods: the firewall polices local pods; peers are matched by
    // selectors against all pods later, which needs the full list then.
    const pods = ctx.informer(PODS, { fieldSelector: `spec.nodeName=${ctx.config.node}` });
    ctx.informer(NAMESPACES);
    let inventory: PolicyInventory | undefined;
    return {
      async sync() {
        inventory = computePolicyInventory(policies.list(), pods.list(), ctx.config.node);
      },
      section(): Omit<nodestate.FirewallState, 'header'> {
        return {
          mode: 'iptables',
          policies: inventory?.policies ?? 0,
          localPods: inventory?.localPods ?? 0,
          rules: 0,
          // Nothing is enforced yet, so the dataplane cannot be said to reflect the API.
          inSync: false,
        };
      },
    };
  },
};
