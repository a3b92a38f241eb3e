// @kr/cni/testing: helpers for tests that run the CNI controller in a namespace standing
// in for a node (also useful to the end-to-end suites). Not part of the production entry.
export { CNI_BIN_DIR, CniPluginError, cniAdd, cniDel, type CniInvocation, type CniIpConfig, type CniResult } from './cni-plugins.js';
export { forwardIntoNetns, type Forward, type NetnsForwarder } from './netns-forward.js';
export { UPLINK, createNodeNetns, ipJson, nodeObject, run, sysctl } from './node-netns.js';
