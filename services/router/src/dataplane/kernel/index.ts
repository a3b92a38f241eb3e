// The router's kernel side: our routes (protocol 17, main table), overlay tunnels and the
// pod egress table. Apply order in a sync: tunnels (links must exist and be up), then
// routes, then egress (independent). Every sync reads what is there and converges it.
export * from './names.js';
export type { EgressSpec, FouPort, KernelRoute, ObservedNeighbour, ObservedRoute, ObservedTunnel, TunnelEncap, TunnelSpec } from './types.js';
export { KernelRoutes, type RouteSyncResult } from './routes.js';
export { KernelTunnels, type TunnelSyncResult } from './tunnels.js';
export { PodEgress, type EgressSyncResult } from './egress.js';
export { parseRouteListing } from './route-listing.js';
export { isOwnTunnelLink, parseFouPorts, parseTunnelLinks, parseTunnelNeighbours } from './tunnel-links.js';
export { defaultRouteMetric, planKernelRoutes, routeLine, routeDeleteLine, type RouteConflict, type RoutePlan } from '../../plan/kernel-routes.js';
export {
  fouLine,
  planTunnels,
  renderTunnelCreate,
  resolveTunnel,
  tunnelMatches,
  tunnelOverhead,
  tunnelRoute,
  vxlanMac,
  vxlanVni,
  type ObservedTunnelState,
  type ResolveOptions,
  type ResolvedTunnel,
  type TunnelPlan,
  type TunnelPlanOptions,
} from '../../plan/kernel-tunnels.js';
export { egressSets, minimalCidrs, renderPodEgress, type EgressSets } from '../../plan/kernel-egress.js';
