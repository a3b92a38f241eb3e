// The sandbox node agent's public surface: the cluster.json contract the kr-sandbox CLI
// writes and the agent reads, and the per-node file layout.
export {
  NODE_API_PORT,
  POD_NETNS_ANNOTATION,
  STACK_FAMILIES,
  type SandboxAddresses,
  type SandboxAgentStatus,
  type SandboxApi,
  type SandboxClusterConfig,
  type SandboxContainer,
  type SandboxContainerStatus,
  type SandboxController,
  type SandboxFamily,
  type SandboxHost,
  type SandboxPids,
  type SandboxStack,
  type SandboxSubnet,
} from './cluster-config.js';
export { containerLogPath, sandboxNodePaths, type SandboxNodePaths } from './paths.js';
export { findNode, loadClusterConfig, validateClusterConfig } from './load-config.js';
