// kr-cni: the CNI controller. This first version publishes the node's pod CIDRs (one per
// enabled family) in its section; writing the CNI configuration, the bridge and the
// sysctls arrive with the CNI issue.
import { InputProblems, protoPrefix, type ControllerDefinition } from '@kr/agent';
import { NODES, keyOf } from '@kr/k8s';
import type { nodestate } from '@kr/proto';
import { computeNodePodCidrs, type NodePodCidrPlan } from './model/pod-cidrs.js';

/** kube-router's bridge name, kept so existing CNI configurations and tooling match. */
export const BRIDGE_NAME = 'kube-bridge';

export const cniController: ControllerDefinition<'cni', readonly []> = {
  name: 'cni',
  binary: 'kr-cni',
  description: 'kr-cni: the CNI controller of kube-router-ts (pod CIDRs, CNI configuration, bridge).',
  flags: [],
  create(ctx) {
    const log = ctx.log('cni');
    const problems = new InputProblems(log);
    const nodes = ctx.informer(NODES, { fieldSelector: `metadata.name=${ctx.config.node}` });
    let plan: NodePodCidrPlan | undefined;
    return {
      async sync() {
        const node = nodes.get(ctx.config.node);
        const next = computeNodePodCidrs(node, ctx.config.families);
        problems.report(keyOf(ctx.config.node), next.problems);
        if (next.missing.length > 0 && node) log.info({ families: next.missing }, 'node has no pod CIDR for an enabled family yet');
        for (const c of next.skipped) log.warn({ cidr: c.toString() }, 'pod CIDR of a disabled family skipped');
        plan = next;
      },
      section(): Omit<nodestate.CniState, 'header'> {
        return {
          podCidrs: (plan?.cidrs ?? []).map(protoPrefix),
          bridge: BRIDGE_NAME,
          mtu: 0,
          conflistPath: '',
          hairpinMode: false,
          autoMtu: false,
          gateways: [],
        };
      },
    };
  },
};
