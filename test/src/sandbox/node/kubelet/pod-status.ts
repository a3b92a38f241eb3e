// The pod status the kubelet writes, as a real kubelet shapes it (phase, conditions,
// IPs in the cluster's family order, one container status per container). Pure.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';

/** Why a pod is not running (yet). */
export interface Waiting {
  /** e.g. NetworkNotReady, FailedCreatePodSandBox. */
  readonly reason: string;
  readonly message: string;
}

export interface RunningPod {
  readonly podIPs: readonly string[];
  readonly startedAt: Date;
  /** The pod server is up (it may be between restarts). */
  readonly ready: boolean;
  readonly restarts: number;
  /** The pod server's pid, as a container ID of this runtime. */
  readonly pid?: number;
}

export type PodPhaseInput = { readonly kind: 'pending'; readonly waiting: Waiting } | ({ readonly kind: 'running' } & RunningPod);

// The wire shape we write (client-node's model types timestamps as Date; the wire has
// RFC 3339 strings, see @kr/k8s).
export interface WirePodCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly lastProbeTime: null;
  readonly lastTransitionTime: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface WireContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly ready: boolean;
  readonly started: boolean;
  readonly restartCount: number;
  readonly containerID?: string;
  readonly state: { readonly running?: { readonly startedAt: string }; readonly waiting?: { readonly reason: string; readonly message: string } };
}

export interface WirePodStatus {
  readonly phase: 'Pending' | 'Running';
  readonly hostIP?: string;
  readonly hostIPs: readonly { readonly ip: string }[];
  readonly podIP?: string;
  readonly podIPs?: readonly { readonly ip: string }[];
  readonly startTime?: string;
  readonly conditions: readonly WirePodCondition[];
  readonly containerStatuses: readonly WireContainerStatus[];
}

function condition(type: string, ok: boolean, at: string, why?: Waiting): WirePodCondition {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...(why && !ok ? { reason: why.reason, message: why.message } : {}) };
}

/** The whole status: written with a merge patch, which replaces its lists. */
export function podStatus(pod: V1Pod, hostIPs: readonly string[], input: PodPhaseInput, now: Date): WirePodStatus {
  const at = now.toISOString();
  const running = input.kind === 'running';
  const ready = running && input.ready;
  const notReady: Waiting = input.kind === 'pending' ? input.waiting : { reason: 'ContainersNotReady', message: 'the pod server is restarting' };
  const containers = pod.spec?.containers ?? [];
  return {
    phase: running ? 'Running' : 'Pending',
    ...(hostIPs[0] !== undefined ? { hostIP: hostIPs[0] } : {}),
    hostIPs: hostIPs.map((ip) => ({ ip })),
    ...(running ? { podIP: input.podIPs[0] ?? '', podIPs: input.podIPs.map((ip) => ({ ip })), startTime: input.startedAt.toISOString() } : {}),
    conditions: [
      condition('PodReadyToStartContainers', running, at, notReady),
      condition('Initialized', true, at),
      condition('Ready', ready, at, notReady),
      condition('ContainersReady', ready, at, notReady),
      condition('PodScheduled', true, at),
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready,
      started: ready,
      restartCount: running ? input.restarts : 0,
      ...(running && input.pid !== undefined ? { containerID: `sandbox://${input.pid}` } : {}),
      state: ready
        ? { running: { startedAt: input.startedAt.toISOString() } }
        : { waiting: { reason: running ? 'CrashLoopBackOff' : 'ContainerCreating', message: notReady.message } },
    })),
  };
}

/**
 * What a status says, without timestamps: the kubelet writes only when this changes, so
 * the echo of its own write (a MODIFIED event) does not make it write again.
 */
export function statusFingerprint(status: V1PodStatus | WirePodStatus | undefined): string {
  if (!status) return '';
  return JSON.stringify([
    status.phase,
    (status.podIPs ?? []).map((p) => p.ip),
    (status.hostIPs ?? []).map((p) => p.ip),
    (status.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
    (status.containerStatuses ?? []).map((c) => [c.name, c.ready, c.restartCount, c.containerID ?? '', Object.keys(c.state ?? {})]),
  ]);
}
