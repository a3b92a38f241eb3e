// One pod on this node: its network namespace, its CNI attachment and its server
// process. create() builds all three or nothing; destroy() takes them down in reverse and
// may be called again after a failure.
import { join } from 'node:path';
import { KrError, errorMessage } from '@kr/errors';
import type { Logger } from '@kr/observability';
import type { V1Pod } from '@kubernetes/client-node';
import { formatPortList } from '../../pod/ports.js';
import type { SandboxFamily } from '../cluster-config.js';
import { netnsPath, type NamedNetns } from '../named-netns.js';
import { Supervisor, type ProcessState } from '../supervisor.js';
import type { NetworkConfigList } from './cni-config.js';
import type { CniAttachment, CniResult, CniRuntime } from './cni-runtime.js';
import { podIPsFromResult } from './pod-ips.js';
import { podKey, podNetnsName, podRef, portMappings, servedPorts, usesHostNetwork, type PodRef } from './pod-spec.js';

export class PodSandboxError extends KrError {}

/** How to start a pod server. */
export interface PodServerCommand {
  readonly execPath: string;
  /** test/dist/sandbox/pod/server.js */
  readonly script: string;
}

export interface PodSandboxDeps {
  readonly netns: NamedNetns;
  readonly cni: CniRuntime;
  readonly families: readonly SandboxFamily[];
  readonly podServer: PodServerCommand;
  /** Prefix that runs a command in the node's namespace (hostNetwork pods); empty inside the node agent. */
  readonly nodeExec: readonly string[];
  /** The node's namespace name and InternalIPs (family order): hostNetwork pods have these. */
  readonly node: { readonly netns: string; readonly ips: readonly string[] };
  readonly podLogsDir: string;
  /** Prefix of pod namespace names (default krsbx-p-). */
  readonly podNetnsPrefix?: string;
  readonly log: Logger;
  /** The pod server started or exited. */
  readonly onServerChange: () => void;
  readonly serverStartTimeoutMs?: number;
}

/** Keeps pod servers small: one Node process per pod (see pod/server.ts). */
const POD_SERVER_NODE_FLAGS = ['--max-semi-space-size=1', '--jitless'];
const READY_LINE = /"ready":true/;

interface Attachment {
  readonly list: NetworkConfigList;
  readonly attachment: CniAttachment;
  readonly result: CniResult;
}

export class PodSandbox {
  private constructor(
    readonly ref: PodRef,
    /** The namespace the pod's processes run in (the node's for hostNetwork pods). */
    readonly netns: string,
    readonly ips: readonly string[],
    readonly startedAt: Date,
    private readonly server: Supervisor,
    private readonly network: Attachment | undefined,
    private readonly deps: PodSandboxDeps,
  ) {}

  /** Sets the pod up; `list` is the node's network configuration (unused for hostNetwork pods). */
  static async create(pod: V1Pod, list: NetworkConfigList | undefined, deps: PodSandboxDeps): Promise<PodSandbox> {
    const ref = podRef(pod);
    const log = deps.log;
    const { ports, skipped } = servedPorts(pod);
    if (skipped.length > 0) log.warn({ pod: podKey(ref), skipped }, 'ports the pod server cannot serve (SCTP) are left out');
    let network: Attachment | undefined;
    let netns: string;
    let ips: readonly string[];
    if (usesHostNetwork(pod)) {
      netns = deps.node.netns;
      ips = deps.node.ips;
    } else {
      if (!list) throw new PodSandboxError(`pod ${podKey(ref)}: no network configuration`);
      netns = podNetnsName(ref, deps.podNetnsPrefix);
      network = await attach(pod, ref, netns, list, deps);
      const podIPs = podIPsFromResult(network.result, deps.families);
      if (podIPs.dropped.length > 0) log.warn({ pod: podKey(ref), dropped: podIPs.dropped }, 'CNI returned addresses the cluster has no use for');
      if (podIPs.ips.length === 0) {
        await detach(network, netns, deps);
        throw new PodSandboxError(`pod ${podKey(ref)}: CNI returned no address of the cluster's families (${deps.families.join(', ')})`);
      }
      ips = podIPs.ips;
    }
    const exec = network ? ['ip', 'netns', 'exec', netns] : deps.nodeExec;
    const server = new Supervisor(
      {
        name: `pod ${podKey(ref)}`,
        argv: [...exec, deps.podServer.execPath, ...POD_SERVER_NODE_FLAGS, deps.podServer.script, '--name', podKey(ref), '--ports', formatPortList(ports)],
        logFile: join(deps.podLogsDir, `${ref.namespace}_${ref.name}_${ref.uid}.log`),
        readyLine: READY_LINE,
      },
      { log, onChange: deps.onServerChange },
    );
    try {
      await withTimeout(server.start(), deps.serverStartTimeoutMs ?? 15_000, `pod ${podKey(ref)}: the pod server did not start (see its log)`);
    } catch (err) {
      await server.stop(1_000);
      if (network) await detach(network, netns, deps);
      throw err;
    }
    log.info({ pod: podKey(ref), netns, ips, ports: formatPortList(ports) }, 'pod running');
    return new PodSandbox(ref, netns, ips, new Date(), server, network, deps);
  }

  serverState(): ProcessState {
    return this.server.state();
  }

  /** Stops the server only (agent shutdown: `down` removes the namespaces). */
  async stopServer(): Promise<void> {
    await this.server.stop(2_000);
  }

  /** Server, CNI DEL in reverse order, namespace. Safe to call again after a failure. */
  async destroy(): Promise<void> {
    await this.server.stop(2_000);
    if (this.network) await detach(this.network, this.netns, this.deps);
    this.deps.log.info({ pod: podKey(this.ref), netns: this.netns }, 'pod removed');
  }
}

async function attach(pod: V1Pod, ref: PodRef, netns: string, list: NetworkConfigList, deps: PodSandboxDeps): Promise<Attachment> {
  const attachment: CniAttachment = {
    containerId: ref.uid,
    netnsPath: netnsPath(netns),
    ifName: 'eth0',
    podNamespace: ref.namespace,
    podName: ref.name,
    podUid: ref.uid,
    portMappings: portMappings(pod),
  };
  if (deps.netns.exists(netns)) {
    // Left by an agent that stopped without tearing down (down removes them; a restart
    // of the agent alone does not): start from nothing.
    deps.log.warn({ pod: podKey(ref), netns }, 'the pod namespace exists already; recreating it');
    await deps.cni.del(list, attachment).catch((err: unknown) => deps.log.warn({ err, pod: podKey(ref) }, 'CNI DEL of the leftover attachment failed'));
    await deps.netns.delete(netns);
  }
  await deps.netns.add(netns);
  try {
    return { list, attachment, result: await deps.cni.add(list, attachment) };
  } catch (err) {
    // What ADD left half-done (an IPAM lease, a veth) goes with a DEL, as runtimes do.
    await deps.cni.del(list, attachment).catch((delErr: unknown) => deps.log.warn({ err: delErr, pod: podKey(ref) }, 'CNI DEL after a failed ADD failed too'));
    await deps.netns.delete(netns);
    throw err;
  }
}

async function detach(network: Attachment, netns: string, deps: PodSandboxDeps): Promise<void> {
  // DEL uses the list the ADD used (runtimes cache it): the file may have changed since.
  await deps.cni.del(network.list, network.attachment, network.result);
  await deps.netns.delete(netns);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PodSandboxError(`${message} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new PodSandboxError(errorMessage(err)));
      },
    );
  });
}
