// What the kubelet reads from a pod spec. Pure.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULT_POD_PORTS, type PodPort } from '../../pod/ports.js';
import type { PortMapping } from './cni-runtime.js';

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export function podRef(pod: V1Pod): PodRef {
  return { namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

export function podKey(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

export const DEFAULT_POD_NETNS_PREFIX = 'krsbx-p-';

/** `krsbx-p-<first 10 hex of sha1(namespace/name/uid)>`: unique per pod incarnation. */
export function podNetnsName(ref: PodRef, prefix = DEFAULT_POD_NETNS_PREFIX): string {
  return `${prefix}${createHash('sha1').update(`${ref.namespace}/${ref.name}/${ref.uid}`).digest('hex').slice(0, 10)}`;
}

export interface ServedPorts {
  readonly ports: readonly PodPort[];
  /** Declared ports the pod server cannot serve (SCTP: this kernel has no SCTP sockets). */
  readonly skipped: readonly string[];
}

/**
 * The ports the pod server answers on: every declared containerPort of every container;
 * a pod that declares none (or only SCTP) gets 8080/TCP and 8080/UDP, like agnhost.
 */
export function servedPorts(pod: V1Pod): ServedPorts {
  const ports: PodPort[] = [];
  const skipped: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP') {
        skipped.push(`${c.name}:${p.containerPort}/${protocol}`);
        continue;
      }
      if (!ports.some((q) => q.port === p.containerPort && q.protocol === protocol)) ports.push({ port: p.containerPort, protocol });
    }
  }
  return { ports: ports.length > 0 ? ports : DEFAULT_POD_PORTS, skipped };
}

/** hostPort mappings for CNI's portMappings capability (the portmap plugin). */
export function portMappings(pod: V1Pod): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      mappings.push({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: (p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'],
        ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      });
    }
  }
  return mappings;
}

export function usesHostNetwork(pod: V1Pod): boolean {
  return pod.spec?.hostNetwork === true;
}

/** Terminating (deletionTimestamp) or finished: the pod's sandbox must go. */
export function shouldRun(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}
