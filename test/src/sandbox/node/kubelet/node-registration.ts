// The kubelet registers its Node: created if absent (the CLI may have created it first),
// then its status says where it is (InternalIP per family, in the cluster's order, and
// the Hostname) and that it is Ready, which the scheduler and kubectl look at.
import { ApiError } from '@kr/errors';
import { NODES, type KubeClient } from '@kr/k8s';
import type { Logger } from '@kr/observability';
import type { SandboxFamily, SandboxHost } from '../cluster-config.js';
import { patchNodeStatus } from './kube-writes.js';

export function nodeInternalIPs(node: SandboxHost, families: readonly SandboxFamily[]): string[] {
  return families.map((f) => node.addresses[f]).filter((a): a is string => a !== undefined);
}

export async function registerNode(client: KubeClient, node: SandboxHost, families: readonly SandboxFamily[], log: Logger): Promise<void> {
  try {
    await client.get(NODES, node.name);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    try {
      await client.create(NODES, {
        metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux' } },
      });
      log.info({ node: node.name }, 'registered the node');
    } catch (createErr) {
      // Created by someone else in the meantime: theirs is as good.
      if (!(createErr instanceof ApiError && createErr.status === 409)) throw createErr;
    }
  }
  const now = new Date().toISOString();
  await patchNodeStatus(client, node.name, {
    addresses: [...nodeInternalIPs(node, families).map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: node.name }],
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'sandbox kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
    ],
  });
}
