// @kr/k8s: what every controller uses to talk to the Kubernetes API. Object types come
// from @kubernetes/client-node as type-only imports; at run time this package loads
// only node:http(s) (and `yaml`, lazily, when a kubeconfig file is read).
export {
  ENDPOINT_SLICES,
  NAMESPACES,
  NETWORK_POLICIES,
  NODES,
  PODS,
  SERVICES,
  apiVersionOf,
  describeObject,
  keyOf,
  objectKey,
  resourcePath,
  type KubeObject,
  type ResourceDescriptor,
} from './resources.js';
export {
  SERVICE_ACCOUNT_DIR,
  loadClientConfig,
  type ClientConfig,
  type Credentials,
  type LoadClientConfigOptions,
  type TlsSettings,
} from './config/kubeconfig.js';
export {
  KubeClient,
  type KubeClientOptions,
  type ListOptions,
  type ObjectList,
  type PatchType,
  type Target,
  type WatchEvent,
  type WatchOptions,
} from './client/client.js';
export { isApiStatus } from './client/errors.js';
export { Backoff, abortableSleep, type BackoffOptions } from '@kr/runner';
export {
  Informer,
  waitForSync,
  type InformerHandlers,
  type InformerOptions,
  type InformerStatus,
} from './informer/informer.js';
export {
  MATCH_EVERYTHING,
  MATCH_NOTHING,
  compileLabelSelector,
  formatLabelSelector,
  matchesLabelSelector,
  parseLabelSelector,
  type CompileOptions,
  type LabelMatcher,
  type Labels,
  type SelectorContext,
  type WhenAbsent,
} from './selectors/label-selector.js';
export {
  ParseFailure,
  annotation,
  annotationField,
  annotationList,
  annotationOr,
  asn,
  base64String,
  bool,
  cidr,
  cidrList,
  intInRange,
  ip,
  ipList,
  list,
  nonEmptyString,
  objectInputError,
  oneOf,
  port,
  type Parsed,
  type ValueParser,
} from './annotations.js';
export {
  POD_CIDRS_ANNOTATION,
  POD_CIDR_ANNOTATION,
  nodeInternalIPs,
  nodePodCIDRs,
  type NodeIPs,
  type NodePodCIDRs,
  type PodCidrSource,
} from './node.js';
