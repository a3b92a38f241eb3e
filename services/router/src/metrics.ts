// kube-router's router metrics, same names and labels.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ObservedPeer, PathSpec } from './model/bgp-types.js';

export interface RouterMetrics {
  peers(peers: readonly ObservedPeer[]): void;
  advertised(paths: readonly PathSpec[]): void;
  hostRoutes(result: { synced: number; added: number; removed: number; seconds: number }): void;
}

export function createRouterMetrics(registry: Registry): RouterMetrics {
  const peerInfo = new Gauge({ name: 'kube_router_bgp_peer_info', help: 'BGP peer information', labelNames: ['address', 'type', 'asn', 'state'], registers: [registry] });
  const sent = new Counter({ name: 'kube_router_controller_bgp_advertisements_sent', help: 'BGP advertisements sent', labelNames: ['type'], registers: [registry] });
  const synced = new Gauge({ name: 'kube_router_host_routes_synced', help: 'Count of host routes currently synced to the system', registers: [registry] });
  const added = new Counter({ name: 'kube_router_host_routes_added', help: 'Total count of host routes added to the system', registers: [registry] });
  const removed = new Counter({ name: 'kube_router_host_routes_removed', help: 'Total count of host routes removed to the system', registers: [registry] });
  const syncTime = new Histogram({ name: 'kube_router_host_routes_sync_time', help: 'Time it took for the host routes controller to sync to the system', registers: [registry] });
  let lastAdvertised = new Set<string>();
  return {
    peers(peers) {
      peerInfo.reset();
      for (const p of peers) {
        const type = p.spec.source === 'node-mesh' || p.spec.source === 'route-reflector' ? 'internal' : 'external';
        peerInfo.set({ address: p.spec.address.address, type, asn: String(p.spec.asn), state: p.state }, p.state === 'established' ? 1 : 0);
      }
    },
    advertised(paths) {
      // Counts each prefix once when it starts being advertised (kube-router counts adds).
      const now = new Set(paths.map((p) => `${p.kind}|${p.prefix.toString()}`));
      for (const p of paths) {
        if (!lastAdvertised.has(`${p.kind}|${p.prefix.toString()}`)) sent.inc({ type: p.kind === 'pod-cidr' ? 'pod-cidr' : 'service' });
      }
      lastAdvertised = now;
    },
    hostRoutes(r) {
      synced.set(r.synced);
      added.inc(r.added);
      removed.inc(r.removed);
      syncTime.observe(r.seconds);
    },
  };
}
