// `up`: checks, then builds the fabric, starts the API server simulator, registers the
// nodes, writes cluster.json and starts one node agent per node. Every step leaves
// something `down` can find (krsbx-* namespaces, processes whose command line names the
// state directory), so a failure half-way is cleaned by `down`.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { KrError, errorMessage } from '@kr/errors';
import { SimulatorClient, type KubeObj } from './api.js';
import type { UpArgs } from './args.js';
import { createFabric, readRootPrefixes } from './fabric.js';
import { sandboxNodePaths, type SandboxAgentStatus, type SandboxClusterConfig, type SandboxHost } from './node/index.js';
import { findOverlaps, formatOverlaps, sandboxRanges } from './overlap.js';
import { clusterConfig, planAddresses, type AddressPlan } from './plan.js';
import { sandboxNamespaces, spawnDetached } from './processes.js';
import { sandboxEntries, writeClusterConfig, type SandboxPaths } from './state.js';

/** `up` cannot go on (already up, overlapping ranges, a missing build, a piece that did not start). */
export class SandboxUpError extends KrError {}

const AGENT_READY_TIMEOUT_MS = 45_000;
const API_READY_TIMEOUT_MS = 15_000;

async function refuseIfUp(paths: SandboxPaths): Promise<void> {
  const namespaces = await sandboxNamespaces();
  const files = await sandboxEntries(paths);
  if (files.length || namespaces.length) {
    const list = (items: string[]) => `${items.slice(0, 4).join(', ')}${items.length > 4 ? ', ...' : ''}`;
    const what = [files.length ? list(files) : '', namespaces.length ? `namespaces ${list(namespaces)}` : ''].filter(Boolean).join(' and ');
    throw new SandboxUpError(`a sandbox is already up (${what} exist): run \`pnpm -s sandbox down\` first`);
  }
}

function refuseWithoutBuild(paths: SandboxPaths): void {
  const missing = [paths.nodeAgent, paths.probeClient, `${paths.repoRoot}/test/dist/apiserver/index.js`, `${paths.repoRoot}/services/cni/dist/main.js`].filter((f) => !existsSync(f));
  if (missing.length) throw new SandboxUpError(`the sandbox runs built code and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: run \`pnpm -s build\` (or ./scripts/setup.sh)`);
}

async function tail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it returns a value, the process dies, or the time is up. */
async function until<T>(what: string, timeoutMs: number, exited: Promise<string>, log: string, check: () => Promise<T | undefined>): Promise<T> {
  let death: string | undefined;
  void exited.then((why) => (death = why));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (death) throw new SandboxUpError(`${what} ${death} before it was ready; last lines of ${log}:\n${await tail(log)}`);
    if (Date.now() > deadline) throw new SandboxUpError(`${what} was not ready within ${timeoutMs / 1000} s; last lines of ${log}:\n${await tail(log)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startSimulator(paths: SandboxPaths, plan: AddressPlan): Promise<{ pid: number; url: string }> {
  const argv = [
    process.execPath,
    paths.apiserverBin,
    '--service-cidrs', plan.serviceCidrs.join(','),
    '--cluster-cidrs', plan.clusterCidrs.join(','),
    '--node-cidr-mask-size-ipv4', String(plan.nodeCidrMaskSizeIPv4),
    '--node-cidr-mask-size-ipv6', String(plan.nodeCidrMaskSizeIPv6),
    '--listen', '127.0.0.1:0',
    '--listen-unix', paths.apiSocket,
    '--snapshot', paths.apiSnapshot,
    '--kubeconfig', paths.kubeconfig,
  ];
  const proc = spawnDetached(argv, paths.apiLog);
  // kr-apiserver prints one {"ready":true,"urls":[...]} line once it listens.
  const url = await until('the API server simulator', API_READY_TIMEOUT_MS, proc.exited, paths.apiLog, async () => {
    const text = await readFile(paths.apiLog, 'utf8').catch(() => '');
    const line = text.split('\n').find((l) => l.startsWith('{"ready":true'));
    return line ? (JSON.parse(line) as { urls: string[] }).urls[0] : undefined;
  });
  return { pid: proc.pid, url };
}

/** The Node object a kubelet would register: InternalIPs in the cluster's family order. */
export function nodeObject(host: SandboxHost, families: AddressPlan['families']): KubeObj {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: host.name, labels: { 'kubernetes.io/hostname': host.name, 'kubernetes.io/os': 'linux' } },
    spec: {},
    status: {
      addresses: [
        ...families.flatMap((f) => (host.addresses[f] ? [{ type: 'InternalIP', address: host.addresses[f] }] : [])),
        { type: 'Hostname', address: host.name },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'sandbox node agent', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

async function startAgent(paths: SandboxPaths, host: SandboxHost): Promise<{ pid: number; wait: () => Promise<void> }> {
  const nodePaths = sandboxNodePaths(paths.stateDir, host.name);
  await mkdir(nodePaths.dir, { recursive: true });
  const proc = spawnDetached(['ip', 'netns', 'exec', host.netns, process.execPath, paths.nodeAgent, '--config', paths.clusterJson, '--node', host.name], nodePaths.agentLog);
  const wait = async () => {
    await until(`the node agent of ${host.name}`, AGENT_READY_TIMEOUT_MS, proc.exited, nodePaths.agentLog, async () => {
      const text = await readFile(nodePaths.agentJson, 'utf8').catch(() => undefined);
      if (!text) return undefined;
      try {
        return (JSON.parse(text) as SandboxAgentStatus).ready ? true : undefined;
      } catch {
        // Caught mid-write: read it again.
        return undefined;
      }
    });
  };
  return { pid: proc.pid, wait };
}

export interface UpResult {
  readonly cluster: SandboxClusterConfig;
  readonly ms: number;
}

export async function up(args: UpArgs, paths: SandboxPaths, progress: (line: string) => void): Promise<UpResult> {
  const started = Date.now();
  const plan = planAddresses(args);
  await refuseIfUp(paths);
  refuseWithoutBuild(paths);
  const overlaps = findOverlaps(sandboxRanges(plan), await readRootPrefixes());
  if (overlaps.length) throw new SandboxUpError(formatOverlaps(overlaps));

  await mkdir(paths.stateDir, { recursive: true });
  try {
    progress(`fabric: ${plan.subnets.length} subnet(s), ${plan.nodes.length} node(s), ${plan.externals.length} external host(s)`);
    await createFabric(plan);

    progress('API server simulator');
    const api = await startSimulator(paths, plan);
    const client = new SimulatorClient(api.url);
    for (const node of plan.nodes) await client.create('/api/v1/nodes', nodeObject(node, plan.families));

    const input = {
      repoRoot: paths.repoRoot,
      stateDir: paths.stateDir,
      controllers: args.controllers,
      extraFlags: args.extraFlags,
      api: { url: api.url, socket: paths.apiSocket, kubeconfig: paths.kubeconfig },
    };
    let cluster = clusterConfig(plan, { ...input, pids: { apiserver: api.pid } });
    await writeClusterConfig(paths, cluster);

    progress(`node agents: ${plan.nodes.map((n) => n.name).join(', ')} (controllers: ${args.controllers.join(',') || 'none'})`);
    const agents = await Promise.all(plan.nodes.map((n) => startAgent(paths, n)));
    cluster = clusterConfig(plan, { ...input, pids: { apiserver: api.pid, agents: Object.fromEntries(plan.nodes.map((n, i) => [n.name, agents[i]!.pid])) } });
    await writeClusterConfig(paths, cluster);
    await Promise.all(agents.map((a) => a.wait()));
    return { cluster, ms: Date.now() - started };
  } catch (err) {
    throw new SandboxUpError(
      `${errorMessage(err)}\n(what up made so far stays for inspection, logs in ${paths.stateDir}; \`pnpm -s sandbox down\` removes it)`,
      { cause: err },
    );
  }
}
