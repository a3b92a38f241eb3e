// `status`: the sandbox as cluster.json describes it, the API's view (pod CIDRs, pods)
// and every node's controllers' own health. Formatting is pure.
import { errorMessage } from '@kr/errors';
import type { KubeObj, SimulatorClient } from './api.js';
import { nodeControllers } from './controllers.js';
import type { SandboxClusterConfig, SandboxHost } from './node/index.js';
import { podIPs } from './targets.js';

export interface HostStatus {
  readonly name: string;
  readonly subnet: number;
  readonly addresses: { readonly ipv4: string | null; readonly ipv6: string | null };
}

export interface NodeStatus extends HostStatus {
  readonly podCIDRs: readonly string[];
  readonly controllers: Readonly<Record<string, string>>;
}

export interface PodStatus {
  readonly namespace: string;
  readonly name: string;
  readonly node: string | null;
  readonly phase: string;
  readonly ips: readonly string[];
}

export interface SandboxStatus {
  readonly stack: string;
  readonly families: readonly string[];
  readonly clusterCidrs: readonly string[];
  readonly serviceCidrs: readonly string[];
  readonly api: { readonly url: string; readonly kubeconfig: string | null; readonly error?: string };
  readonly nodes: readonly NodeStatus[];
  readonly externals: readonly HostStatus[];
  readonly pods: readonly PodStatus[];
}

function host(h: SandboxHost): HostStatus {
  return { name: h.name, subnet: h.subnet, addresses: { ipv4: h.addresses.ipv4 ?? null, ipv6: h.addresses.ipv6 ?? null } };
}

export function podStatus(p: KubeObj): PodStatus {
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    node: (p.spec as { nodeName?: string } | undefined)?.nodeName ?? null,
    phase: p.metadata?.deletionTimestamp ? 'Terminating' : ((p.status as { phase?: string } | undefined)?.phase ?? 'Pending'),
    ips: podIPs(p),
  };
}

export async function collectStatus(api: SimulatorClient, cluster: SandboxClusterConfig, kr: string): Promise<SandboxStatus> {
  let apiError: string | undefined;
  const [nodes, pods] = await Promise.all([api.list('/api/v1/nodes'), api.list('/api/v1/pods')]).catch((err: unknown) => {
    apiError = errorMessage(err);
    return [{ metadata: {}, items: [] as KubeObj[] }, { metadata: {}, items: [] as KubeObj[] }];
  });
  const health = await Promise.all(cluster.nodes.map((n) => nodeControllers(kr, n.netns, cluster.controllers)));
  return {
    stack: cluster.stack,
    families: cluster.families,
    clusterCidrs: cluster.clusterCidrs,
    serviceCidrs: cluster.serviceCidrs,
    api: { url: cluster.api.url, kubeconfig: cluster.api.kubeconfig ?? null, ...(apiError ? { error: apiError } : {}) },
    nodes: cluster.nodes.map((n, i) => {
      const obj = nodes.items.find((o) => o.metadata?.name === n.name);
      return {
        ...host(n),
        podCIDRs: ((obj?.spec as { podCIDRs?: string[] } | undefined)?.podCIDRs ?? []).slice(),
        controllers: Object.fromEntries(Object.entries(health[i]!).map(([c, h]) => [c, h.health])),
      };
    }),
    externals: cluster.externals.map(host),
    pods: pods.items
      .map(podStatus)
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)),
  };
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatStatus(s: SandboxStatus): string {
  const addr = (a: HostStatus['addresses']) => [a.ipv4, a.ipv6].filter(Boolean).join(',');
  const out = [
    `sandbox: ${s.stack} (${s.families.join(', ')}), pods ${s.clusterCidrs.join(',')}, services ${s.serviceCidrs.join(',')}`,
    `API: ${s.api.url}${s.api.kubeconfig ? `  (kubectl --kubeconfig ${s.api.kubeconfig})` : ''}${s.api.error ? `  ERROR ${s.api.error}` : ''}`,
    '',
    ...table([
      ['NODE', 'SUBNET', 'ADDRESSES', 'POD CIDRS', 'CONTROLLERS'],
      ...s.nodes.map((n) => [
        n.name,
        String(n.subnet),
        addr(n.addresses),
        n.podCIDRs.join(',') || '-',
        Object.entries(n.controllers)
          .map(([c, h]) => `${c}:${h}`)
          .join(' ') || '-',
      ]),
    ]),
  ];
  if (s.externals.length) out.push('', ...table([['EXTERNAL', 'SUBNET', 'ADDRESSES'], ...s.externals.map((e) => [e.name, String(e.subnet), addr(e.addresses)])]));
  out.push('');
  if (s.pods.length) {
    out.push(...table([['POD', 'NODE', 'PHASE', 'IPS'], ...s.pods.map((p) => [`${p.namespace}/${p.name}`, p.node ?? '-', p.phase, p.ips.join(',') || '-'])]));
  } else {
    out.push('no pods (add some with `pnpm -s sandbox apply -f FILE`)');
  }
  return `${out.join('\n')}\n`;
}
