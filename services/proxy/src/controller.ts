// kr-proxy: the service proxy controller. This first version watches Services and
// EndpointSlices and publishes their counts; the VIP table and the nftables (default) and
// IPVS dataplanes arrive with the proxy issue.
import type { ControllerDefinition } from '@kr/agent';
import { ENDPOINT_SLICES, SERVICES } from '@kr/k8s';
import { KUBE_ROUTER_SYNC_TIMES } from '@kr/observability';
import type { nodestate } from '@kr/proto';
import { computeServiceInventory, type ServiceInventory } from './model/inventory.js';

export const proxyController: ControllerDefinition<'proxy', readonly []> = {
  name: 'proxy',
  binary: 'kr-proxy',
  description: 'kr-proxy: the service proxy controller of kube-router-ts (ClusterIP, NodePort, ExternalIP, LoadBalancer).',
  flags: [],
  syncTime: KUBE_ROUTER_SYNC_TIMES.ipvsServices,
  create(ctx) {
    const services = ctx.informer(SERVICES);
    const slices = ctx.informer(ENDPOINT_SLICES);
    let inventory: ServiceInventory | undefined;
    return {
      async sync() {
        inventory = computeServiceInventory(services.list(), slices.list(), ctx.config.families);
      },
      section(): Omit<nodestate.ProxyState, 'header'> {
        return { mode: 'nftables', vips: [], services: inventory?.services ?? 0, endpoints: inventory?.readyEndpoints ?? 0 };
      },
    };
  },
};
