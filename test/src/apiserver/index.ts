// The Kubernetes API server simulator (test/ only): see simulator.ts.
export {
  ApiServerSimulator,
  startApiServerSimulator,
  type ApiServerSimulatorOptions,
  type ListenAddress,
  type SimulatorLog,
} from './simulator.js';
export { kubeconfigText, writeKubeconfig, SIMULATOR_CONTEXT } from './kubeconfig.js';
export { ENDPOINT_SLICE, EVENT, LEASE, NAMESPACE, NETWORK_POLICY, NODE, POD, SERVICE, RESOURCE_TYPES, type KObject, type ResourceType } from './simulator-resources.js';
export { StatusError, type Status, type StatusCause } from './simulator-status.js';
export { SnapshotError } from './simulator-snapshot.js';
export { MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './simulator-endpointslices.js';
