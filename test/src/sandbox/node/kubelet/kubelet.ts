// The sandbox's kubelet: pods bound to this node get a network namespace, the node's CNI
// plugins and a pod server; their status says so. Pods go when deleted. Event handlers
// only queue the pod's key; one worker per pod does the work with the latest object.
import { errorMessage } from '@kr/errors';
import { Backoff, Informer, PODS, type KubeClient } from '@kr/k8s';
import type { Logger } from '@kr/observability';
import type { V1Pod } from '@kubernetes/client-node';
import { POD_NETNS_ANNOTATION, type SandboxFamily, type SandboxHost } from '../cluster-config.js';
import type { NamedNetns } from '../named-netns.js';
import { loadNetworkConfig } from './cni-config.js';
import type { CniRuntime } from './cni-runtime.js';
import { confirmPodDeletion, patchPodStatus } from './kube-writes.js';
import { nodeInternalIPs, registerNode } from './node-registration.js';
import { PodSandbox, type PodServerCommand } from './pod-sandbox.js';
import { podKey, podRef, shouldRun, usesHostNetwork } from './pod-spec.js';
import { podStatus, statusFingerprint, type PodPhaseInput, type Waiting } from './pod-status.js';
import { KeyedQueue, type WorkResult } from './work-queue.js';

export interface KubeletOptions {
  readonly client: KubeClient;
  readonly node: SandboxHost;
  readonly families: readonly SandboxFamily[];
  /** Where the cni controller writes the node's configuration list. */
  readonly cniConfDir: string;
  readonly cni: CniRuntime;
  readonly netns: NamedNetns;
  readonly podServer: PodServerCommand;
  readonly podLogsDir: string;
  /** Prefix of pod namespace names (default krsbx-p-). */
  readonly podNetnsPrefix?: string;
  /** Prefix that runs a command in the node's namespace; empty inside the node agent. */
  readonly nodeExec?: readonly string[];
  readonly log: Logger;
  /** How often a pod waiting for the network configuration looks again (default 1 s). */
  readonly networkPollMs?: number;
  /** How long start() keeps trying to register the Node (default 30 s). */
  readonly registrationTimeoutMs?: number;
}

export class Kubelet {
  private readonly informer: Informer<V1Pod>;
  private readonly queue: KeyedQueue;
  private readonly sandboxes = new Map<string, PodSandbox>();
  private readonly hostIPs: readonly string[];

  constructor(private readonly options: KubeletOptions) {
    this.hostIPs = nodeInternalIPs(options.node, options.families);
    this.informer = new Informer(options.client, PODS, {
      fieldSelector: `spec.nodeName=${options.node.name}`,
      onHandlerError: (err) => options.log.error({ err }, 'pod event handler failed'),
    });
    this.queue = new KeyedQueue((key) => this.reconcile(key), {
      onError: (key, err, retryInMs) => options.log.error({ err, pod: key, retryInMs }, 'pod sync failed'),
    });
  }

  /** Registers the node and starts watching its pods; resolves once the pod list is in. */
  async start(): Promise<void> {
    await this.register();
    const enqueue = (pod: V1Pod) => this.queue.add(podKey(podRef(pod)));
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_old, pod) => enqueue(pod), onDelete: enqueue });
    this.informer.start();
    await this.informer.synced;
  }

  /** The API may still be coming up (the simulator and the agents start together): retry for a while. */
  private async register(): Promise<void> {
    const { client, node, families, log } = this.options;
    const backoff = new Backoff({ initialMs: 200, maxMs: 5_000 });
    const deadline = Date.now() + (this.options.registrationTimeoutMs ?? 30_000);
    for (;;) {
      try {
        return await registerNode(client, node, families, log);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        const retryInMs = backoff.next();
        log.warn({ err, retryInMs }, 'cannot register the node yet');
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  /** Stops watching and the pod servers; namespaces stay (the CLI's `down` removes them). */
  async stop(): Promise<void> {
    await this.informer.stop();
    await this.queue.stop();
    await Promise.all([...this.sandboxes.values()].map((s) => s.stopServer()));
  }

  /** The namespaces of the pods running here, by `namespace/name`. */
  runningPods(): ReadonlyMap<string, { netns: string; ips: readonly string[] }> {
    return new Map([...this.sandboxes].map(([key, s]) => [key, { netns: s.netns, ips: s.ips }]));
  }

  private async reconcile(key: string): Promise<WorkResult> {
    const [namespace, name] = splitKey(key);
    const pod = this.informer.get(name, namespace);
    const existing = this.sandboxes.get(key);
    if (existing && (!pod || pod.metadata?.uid !== existing.ref.uid || !shouldRun(pod))) {
      await existing.destroy();
      this.sandboxes.delete(key);
    }
    if (!pod) return undefined;
    if (!shouldRun(pod)) {
      if (pod.metadata?.deletionTimestamp) await confirmPodDeletion(this.options.client, namespace, name, pod.metadata.uid ?? '');
      return undefined;
    }
    let sandbox = this.sandboxes.get(key);
    if (!sandbox) {
      const result = await this.createSandbox(pod);
      if (!(result instanceof PodSandbox)) return result;
      sandbox = result;
      this.sandboxes.set(key, sandbox);
    }
    if (pod.metadata?.annotations?.[POD_NETNS_ANNOTATION] !== sandbox.netns) {
      await this.options.client.patch(PODS, name, { metadata: { annotations: { [POD_NETNS_ANNOTATION]: sandbox.netns } } }, { namespace });
    }
    const server = sandbox.serverState();
    await this.writeStatus(pod, {
      kind: 'running',
      podIPs: sandbox.ips,
      startedAt: sandbox.startedAt,
      ready: server.running,
      restarts: server.restarts,
      ...(server.pid !== undefined ? { pid: server.pid } : {}),
    });
    return undefined;
  }

  /** A new sandbox, or what to do while one cannot be made yet. */
  private async createSandbox(pod: V1Pod): Promise<PodSandbox | WorkResult> {
    const { options } = this;
    const key = podKey(podRef(pod));
    let list;
    if (!usesHostNetwork(pod)) {
      try {
        list = await loadNetworkConfig(options.cniConfDir);
      } catch (err) {
        await this.writeStatus(pod, { kind: 'pending', waiting: networkNotReady(errorMessage(err)) });
        throw err;
      }
      if (!list) {
        await this.writeStatus(pod, { kind: 'pending', waiting: networkNotReady(`no CNI configuration file in ${options.cniConfDir}`) });
        return { retryAfterMs: options.networkPollMs ?? 1_000 };
      }
    }
    try {
      return await PodSandbox.create(pod, list, {
        netns: options.netns,
        cni: options.cni,
        families: options.families,
        podServer: options.podServer,
        nodeExec: options.nodeExec ?? [],
        node: { netns: options.node.netns, ips: this.hostIPs },
        podLogsDir: options.podLogsDir,
        ...(options.podNetnsPrefix !== undefined ? { podNetnsPrefix: options.podNetnsPrefix } : {}),
        log: options.log,
        onServerChange: () => this.queue.add(key),
      });
    } catch (err) {
      await this.writeStatus(pod, { kind: 'pending', waiting: { reason: 'FailedCreatePodSandBox', message: errorMessage(err) } });
      throw err;
    }
  }

  private async writeStatus(pod: V1Pod, input: PodPhaseInput): Promise<void> {
    const status = podStatus(pod, this.hostIPs, input, new Date());
    if (statusFingerprint(status) === statusFingerprint(pod.status)) return;
    const ref = podRef(pod);
    await patchPodStatus(this.options.client, ref.namespace, ref.name, status);
  }
}

/** As the kubelet reports a runtime whose network plugin is not ready. */
function networkNotReady(detail: string): Waiting {
  return { reason: 'NetworkNotReady', message: `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:${detail}` };
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
