// What `probe --from/--to` mean: the namespace a probe runs in, and the address it
// connects to. Pure: the caller fetches the objects, these functions decide.
import { ConfigError, KrError } from '@kr/errors';
import { familyOf, isIP } from '@kr/ip';
import type { KubeObj } from './api.js';
import { POD_NETNS_ANNOTATION, type SandboxClusterConfig, type SandboxFamily, type SandboxHost } from './node/index.js';

/** A probe source or target names something the sandbox does not have (or not yet). */
export class ProbeTargetError extends KrError {}

export type SourceRef =
  | { readonly kind: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'node' | 'ext'; readonly name: string };

export type TargetRef =
  | { readonly kind: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'ip'; readonly ip: string }
  | { readonly kind: 'svc'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'nodeport'; readonly node: string };

// Namespaces are DNS labels, object names DNS subdomains: `10.0.0.1/32` is neither.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function nsName(flag: string, text: string, what: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length !== 2 || !DNS_LABEL.test(parts[0]!) || !DNS_SUBDOMAIN.test(parts[1]!)) throw new ConfigError(flag, `${JSON.stringify(text)} is not ${what}`);
  return { namespace: parts[0]!, name: parts[1]! };
}

/** `node/NAME` and `ext/NAME` are hosts; anything else is NS/POD. */
export function parseSource(text: string): SourceRef {
  const [prefix, rest] = [text.slice(0, text.indexOf('/')), text.slice(text.indexOf('/') + 1)];
  if ((prefix === 'node' || prefix === 'ext') && rest && !rest.includes('/')) return { kind: prefix, name: rest };
  return { kind: 'pod', ...nsName('--from', text, 'NS/POD, node/NAME or ext/NAME') };
}

/** An IP, `svc/NS/NAME`, `nodeport/NODE`, or NS/POD. */
export function parseTarget(text: string): TargetRef {
  if (isIP(text)) return { kind: 'ip', ip: text };
  if (text.startsWith('svc/')) return { kind: 'svc', ...nsName('--to', text.slice(4), 'svc/NS/NAME') };
  if (text.startsWith('nodeport/')) {
    const node = text.slice('nodeport/'.length);
    if (!node || node.includes('/')) throw new ConfigError('--to', `${JSON.stringify(text)} is not nodeport/NODE`);
    return { kind: 'nodeport', node };
  }
  return { kind: 'pod', ...nsName('--to', text, 'NS/POD, an IP, svc/NS/NAME or nodeport/NODE') };
}

export function describeSource(ref: SourceRef): string {
  return ref.kind === 'pod' ? `${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

export function describeTarget(ref: TargetRef): string {
  switch (ref.kind) {
    case 'pod':
      return `${ref.namespace}/${ref.name}`;
    case 'ip':
      return ref.ip;
    case 'svc':
      return `svc/${ref.namespace}/${ref.name}`;
    case 'nodeport':
      return `nodeport/${ref.node}`;
  }
}

export function findHost(cluster: SandboxClusterConfig, kind: 'node' | 'ext', name: string): SandboxHost {
  const hosts = kind === 'node' ? cluster.nodes : cluster.externals;
  const host = hosts.find((h) => h.name === name);
  if (!host) {
    const known = hosts.map((h) => h.name).join(', ') || 'none';
    throw new ProbeTargetError(`${kind}/${name}: the sandbox has no such ${kind === 'node' ? 'node' : 'external host'} (it has ${known})`);
  }
  return host;
}

/** The network namespace a pod's kubelet made (the annotation it records). */
export function podNetns(pod: KubeObj | undefined, ref: { namespace: string; name: string }): string {
  const id = `${ref.namespace}/${ref.name}`;
  if (!pod) throw new ProbeTargetError(`pod ${id} does not exist`);
  const netns = pod.metadata?.annotations?.[POD_NETNS_ANNOTATION];
  if (!netns) throw new ProbeTargetError(`pod ${id} has no network namespace yet (${podPhaseText(pod)})`);
  return netns;
}

/** `Pending (NetworkNotReady: ...)`, `Running`: the phase and, when stuck, why. */
export function podPhaseText(pod: KubeObj): string {
  const status = (pod.status ?? {}) as { phase?: string; reason?: string; message?: string; conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }> };
  const phase = pod.metadata?.deletionTimestamp ? 'Terminating' : (status.phase ?? 'Pending');
  const why =
    status.reason || status.message
      ? [status.reason, status.message].filter(Boolean).join(': ')
      : (status.conditions ?? [])
          .filter((c) => c.status !== 'True' && (c.reason || c.message))
          .map((c) => [c.reason, c.message].filter(Boolean).join(': '))[0];
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return `${phase}${why ? ` (${why})` : ''}${!node && phase === 'Pending' && !why ? ' (not scheduled yet)' : ''}`;
}

export function podIPs(pod: KubeObj): string[] {
  const status = (pod.status ?? {}) as { podIPs?: Array<{ ip?: string }>; podIP?: string };
  const ips = (status.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  return ips.length ? ips : status.podIP ? [status.podIP] : [];
}

function pickFamily(ips: readonly string[], family: SandboxFamily | undefined, what: string): string {
  const ip = family ? ips.find((a) => familyOf(a) === family) : ips[0];
  if (!ip) throw new ProbeTargetError(`${what} has no ${family ?? ''}${family ? ' ' : ''}address${ips.length ? ` (it has ${ips.join(', ')})` : ' yet'}`);
  return ip;
}

/** The address to connect to. `family` defaults to the object's first (a pod's first podIP, a service's clusterIP). */
export function targetAddress(ref: TargetRef, object: KubeObj | undefined, cluster: SandboxClusterConfig, family: SandboxFamily | undefined): string {
  switch (ref.kind) {
    case 'ip':
      if (family && familyOf(ref.ip) !== family) throw new ConfigError('--family', `${ref.ip} is not ${family}`);
      return ref.ip;
    case 'pod': {
      const id = `pod ${ref.namespace}/${ref.name}`;
      if (!object) throw new ProbeTargetError(`${id} does not exist`);
      const ips = podIPs(object);
      if (!ips.length) throw new ProbeTargetError(`${id} has no IP yet (${podPhaseText(object)})`);
      return pickFamily(ips, family, id);
    }
    case 'svc': {
      const id = `service ${ref.namespace}/${ref.name}`;
      if (!object) throw new ProbeTargetError(`${id} does not exist`);
      const spec = (object.spec ?? {}) as { clusterIPs?: string[]; clusterIP?: string };
      const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None');
      if (!ips.length) throw new ProbeTargetError(`${id} is headless (no cluster IP): probe its pods`);
      return pickFamily(ips, family, id);
    }
    case 'nodeport': {
      const host = findHost(cluster, 'node', ref.node);
      const ips = cluster.families.map((f) => host.addresses[f]).filter((ip): ip is string => !!ip);
      return pickFamily(ips, family, `node ${ref.node}`);
    }
  }
}

/** --family must be one the cluster has. */
export function checkFamily(cluster: SandboxClusterConfig, family: SandboxFamily | undefined): void {
  if (family && !cluster.families.includes(family)) {
    throw new ConfigError('--family', `the sandbox is ${cluster.stack} (${cluster.families.join(', ')}): it has no ${family}`);
  }
}
