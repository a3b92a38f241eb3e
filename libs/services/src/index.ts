// @kr/services: Kubernetes Services and EndpointSlices turned into per-family VIP tables,
// shared by the router (which advertises VIPs) and the proxy (which programs them), plus
// the service address-range flags kube-router's controllers share. Pure.
export {
  SERVICE_NAME_LABEL,
  groupEndpointSlices,
  serviceProtocol,
  type EndpointGrouping,
  type EndpointPortView,
  type EndpointView,
  type LocalNode,
  type ServiceProtocol,
} from './endpoints.js';
export {
  DEFAULT_SERVICE_CLUSTER_IP_RANGE,
  PERMISSIVE_RANGES,
  externalIpRejection,
  loadBalancerIpRejection,
  serviceIpRanges,
  serviceRangeFlagSpecs,
  type ServiceIpRanges,
  type ServiceRangeFlagValues,
} from './ranges.js';
export {
  SERVICE_LOCAL_ANNOTATION,
  computeServiceVips,
  type ServicePortView,
  type ServiceType,
  type ServiceVip,
  type ServiceVipKind,
  type ServiceVipsInput,
  type ServiceVipsResult,
  type ServiceView,
  type VipPort,
} from './vips.js';
