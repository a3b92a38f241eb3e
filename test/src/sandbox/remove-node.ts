// `remove-node NAME`: the node's machine leaves the cluster, as when an operator drains
// and decommissions it: its agent stops (containers get SIGTERM, so gobgpd closes its
// sessions as a shut-down node does), the Node object is deleted and then its pods (the
// pod garbage collector's job: pods bound to a missing node go at once), and its
// namespaces are deleted (the node's veth leaves the fabric). cluster.json forgets the
// node, so status, wait, probe and matrix go on with the others; its log directory stays
// until `down`.
import { ConfigError, KrError, errorMessage } from '@kr/errors';
import { KINDS, resourcePath, type SimulatorClient } from './api.js';
import { runTool } from './exec.js';
import { POD_NETNS_ANNOTATION, type SandboxClusterConfig } from './node/index.js';
import { cmdlineOf, findProcesses, netnsPids, sandboxNamespaces, signal, signalGroup, waitGone } from './processes.js';
import { writeClusterConfig, type SandboxPaths } from './state.js';

/** As in `down`: the agent stops its containers with a grace period of its own. */
const AGENT_GRACE_MS = 8_000;

export interface RemoveNodeResult {
  readonly node: string;
  /** Pods deleted from the API with it, NS/NAME. */
  readonly pods: readonly string[];
  readonly namespaces: readonly string[];
}

async function agentPids(paths: SandboxPaths, cluster: SandboxClusterConfig, node: string): Promise<number[]> {
  const marker = 'sandbox/node/main.js';
  const isAgentOf = (cmd: readonly string[] | undefined) => !!cmd && cmd.some((a) => a.includes(marker)) && cmd[cmd.indexOf('--node') + 1] === node;
  const recorded = cluster.pids?.agents?.[node];
  const found = await findProcesses([marker, paths.clusterJson]);
  const pids = new Set<number>();
  for (const pid of [...(recorded ? [recorded] : []), ...found]) {
    if (isAgentOf(await cmdlineOf(pid))) pids.add(pid);
  }
  return [...pids];
}

/** Kills whatever still runs in the namespaces, a few rounds (a process may fork meanwhile). */
async function emptyNamespaces(namespaces: readonly string[]): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const pids = [...new Set((await Promise.all(namespaces.map((n) => netnsPids(n).catch(() => [] as number[])))).flat())];
    if (!pids.length) return;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await waitGone(pids, 2_000);
  }
}

export async function removeNode(api: SimulatorClient, paths: SandboxPaths, cluster: SandboxClusterConfig, name: string, progress: (line: string) => void): Promise<RemoveNodeResult> {
  const host = cluster.nodes.find((n) => n.name === name);
  if (!host) throw new ConfigError('remove-node', `${JSON.stringify(name)} is not a node of the sandbox (${cluster.nodes.map((n) => n.name).join(', ')})`);

  const podsOfNode = (await api.list('/api/v1/pods')).items.filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === name);
  const existing = new Set(await sandboxNamespaces());
  const namespaces = [
    ...podsOfNode.map((p) => p.metadata?.annotations?.[POD_NETNS_ANNOTATION]).filter((n): n is string => !!n && existing.has(n)),
    ...(existing.has(host.netns) ? [host.netns] : []),
  ];

  // 1. The machine shuts down: its agent stops the containers and pod servers.
  const agents = await agentPids(paths, cluster, name);
  progress(`stopping the node agent of ${name}`);
  for (const pid of agents) signalGroup(pid, 'SIGTERM');
  for (const pid of await waitGone(agents, AGENT_GRACE_MS)) signalGroup(pid, 'SIGKILL');
  await emptyNamespaces(namespaces);

  // 2. The cluster forgets it: the Node, then its pods (gone at once: their node is missing).
  progress(`deleting node ${name} and its ${podsOfNode.length} pod(s) from the API`);
  await api.delete(resourcePath(KINDS.Node!, undefined, name));
  const pods: string[] = [];
  for (const p of podsOfNode) {
    await api.delete(resourcePath(KINDS.Pod!, p.metadata?.namespace, p.metadata?.name));
    pods.push(`${p.metadata?.namespace}/${p.metadata?.name}`);
  }

  // 3. Its namespaces (pods first: their veths end on the node's bridge).
  const failures: string[] = [];
  for (const netns of namespaces) {
    try {
      await runTool(['ip', 'netns', 'delete', netns]);
    } catch (err) {
      failures.push(errorMessage(err));
    }
  }

  const agentsLeft = Object.fromEntries(Object.entries(cluster.pids?.agents ?? {}).filter(([n]) => n !== name));
  await writeClusterConfig(paths, { ...cluster, nodes: cluster.nodes.filter((n) => n.name !== name), pids: { ...cluster.pids, agents: agentsLeft } });
  if (failures.length) throw new KrError(`node ${name} was removed, but some namespaces could not be deleted (\`down\` removes them):\n  ${failures.join('\n  ')}`);
  return { node: name, pods, namespaces };
}
