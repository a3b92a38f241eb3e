// @kr/cni: the CNI controller (kube-router's --enable-cni) as a library, for the binary
// and for tests that drive it.
export { BRIDGE_NAME, cniController } from './controller.js';
export { DEFAULT_CNI_CONF_FILE, cniFlagSpecs, cniSettings, confPaths, type CniConfPaths, type CniFlagValues, type CniSettings } from './config.js';
export { cleanupCni, runCleanupCommand, type CleanupResult } from './cleanup.js';
export { CniDataplane, reconcile, type CniApplied, type ReconcileInput, type ReconcileResult } from './reconcile.js';
export { computeNodePodCidrs, type NodePodCidrPlan } from './model/pod-cidrs.js';
export {
  DEFAULT_CNI_VERSION,
  NETWORK_NAME,
  defaultConflist,
  parseCniConfig,
  planConflistCleanup,
  renderConflist,
  type DesiredCniConfig,
  type ExistingCniConfig,
  type Gateway,
  type RenderedConflist,
} from './model/conflist.js';
export { computePodMtu, overlayOverheadOf, type OverlayOverhead, type PodMtu } from './model/mtu.js';
