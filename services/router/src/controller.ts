// kr-router: the BGP router controller. This first version publishes the cluster's nodes
// (addresses and pod CIDRs per family) in its section; GoBGP, peers, advertisements,
// kernel routes, tunnels and pod egress arrive with the router issue.
import { InputProblems, protoAddress, protoPrefix, type ControllerDefinition } from '@kr/agent';
import { KUBE_ROUTER_SYNC_TIMES } from '@kr/observability';
import { NODES } from '@kr/k8s';
import type { nodestate } from '@kr/proto';
import { computeClusterView, type ClusterView } from './model/cluster-nodes.js';

export const routerController: ControllerDefinition<'router', readonly []> = {
  name: 'router',
  binary: 'kr-router',
  description: 'kr-router: the routing controller of kube-router-ts (BGP via a GoBGP sidecar, routes, tunnels, pod egress).',
  flags: [],
  syncTime: KUBE_ROUTER_SYNC_TIMES.routes,
  create(ctx) {
    const problems = new InputProblems(ctx.log('router'));
    const nodes = ctx.informer(NODES);
    let view: ClusterView | undefined;
    return {
      async sync() {
        view = computeClusterView(nodes.list(), ctx.config.families);
        for (const n of view.nodes) problems.report(n.name, view.problems.get(n.name) ?? []);
        problems.retain(new Set(view.nodes.map((n) => n.name)));
      },
      section(): Omit<nodestate.RouterState, 'header'> {
        return {
          localAsn: 0,
          routerId: '',
          peers: [],
          advertised: [],
          learned: [],
          tunnels: [],
          overlayEncap: '',
          overlayOverheadIpv4: 0,
          overlayOverheadIpv6: 0,
          clusterNodes: (view?.nodes ?? []).map((n) => ({
            name: n.name,
            addresses: n.addresses.map(protoAddress),
            podCidrs: n.podCidrs.map(protoPrefix),
          })),
          clusterPodCidrs: (view?.podCidrs ?? []).map(protoPrefix),
        };
      },
    };
  },
};
