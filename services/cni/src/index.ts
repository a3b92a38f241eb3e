export { BRIDGE_NAME, cniController } from './controller.js';
export { computeNodePodCidrs, type NodePodCidrPlan } from './model/pod-cidrs.js';
