export { routerController } from './controller.js';
export { computeClusterView, type ClusterNodeView, type ClusterView } from './model/cluster-nodes.js';
