// The router's pure model: Kubernetes objects and configuration in, BGP and kernel
// desired state out. No I/O, no clocks.
export type * from './bgp-types.js';
export { computeClusterView, type ClusterNodeView, type ClusterView } from './cluster-nodes.js';
export {
  ADVERTISE_CLUSTER_IP_ANNOTATION,
  ADVERTISE_EXTERNAL_IP_ANNOTATION,
  ADVERTISE_LOADBALANCER_IP_ANNOTATION,
  SKIP_LB_IPS_ANNOTATION,
  computeAdvertisements,
  type AdvertiseSettings,
  type AdvertisementSettings,
  type AdvertisementsInput,
  type AdvertisementsResult,
  type WithheldVip,
} from './advertisements.js';
export {
  BGP_LOCAL_ADDRESSES_ANNOTATION,
  COMMUNITIES_ANNOTATION,
  CUSTOM_IMPORT_REJECT_ANNOTATION,
  NODE_ASN_ANNOTATION,
  PATH_PREPEND_AS_ANNOTATION,
  PATH_PREPEND_REPEAT_ANNOTATION,
  RR_CLIENT_ANNOTATION,
  RR_SERVER_ANNOTATION,
  localBgpSettings,
  nodeBgpView,
  type LocalBgpSettings,
  type NodeBgpView,
  type RouteReflectorRole,
} from './node-bgp.js';
export {
  PEERS_ANNOTATION,
  PEER_ASNS_ANNOTATION,
  PEER_IPS_ANNOTATION,
  PEER_LOCAL_IPS_ANNOTATION,
  PEER_PASSWORDS_ANNOTATION,
  PEER_PORTS_ANNOTATION,
  type AnnotatedPeer,
} from './peer-annotations.js';
export {
  DEFAULT_PEER_PORT,
  computePeers,
  generatedRouterId,
  routerId,
  type ExternalPeerSetting,
  type PeeringSettings,
  type PeersInput,
  type PeersResult,
  type RouterIdSetting,
  type SkippedNode,
} from './peers.js';
export {
  ALL_PEER_SET,
  CUSTOM_IMPORT_REJECT_SET,
  DEFAULT_ROUTE_SET,
  EXPORT_POLICY,
  EXTERNAL_PEER_SET,
  IBGP_PEER_SET,
  IMPORT_POLICY,
  POD_CIDR_SET,
  SERVICE_VIPS_SET,
  computePolicies,
  type PoliciesInput,
  type PoliciesResult,
  type PolicySettings,
} from './policies.js';
export { ribWarmup, type RibWarmup, type RibWarmupInput } from './rib-warmup.js';
export {
  computeRoutes,
  type ConnectedSubnet,
  type DesiredRoute,
  type RouteSettings,
  type RoutesInput,
  type RoutesResult,
  type SkippedPath,
  type TunnelSpec,
} from './routes.js';
export {
  OVERLAY_ENCAPS,
  OVERLAY_OVERHEAD,
  TUNNEL_NAME_PREFIX,
  isTunnelName,
  overlayOverhead,
  tunnelName,
  tunnelVni,
  type OverlayEncap,
  type OverlaySettings,
  type OverlayType,
} from './tunnels.js';
export { communityProblem, parseAsn, parsePeerAsn, peerAsnProblem, splitAligned } from './values.js';
