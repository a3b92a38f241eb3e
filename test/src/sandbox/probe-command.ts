// `probe` and `matrix`: resolve where a probe runs and what it connects to, run the
// probe client there, and say who answered.
import { familyOf } from '@kr/ip';
import { resourcePath, KINDS, type KubeObj, type SimulatorClient } from './api.js';
import type { MatrixArgs, ProbeArgs } from './args.js';
import { formatMatrix, type MatrixCell, type MatrixTable } from './matrix.js';
import { POD_NETNS_ANNOTATION, type SandboxClusterConfig, type SandboxFamily } from './node/index.js';
import { runProbes } from './probe.js';
import { checkFamily, describeSource, describeTarget, findHost, parseSource, parseTarget, podIPs, podNetns, podPhaseText, targetAddress } from './targets.js';

export interface ProbeOutcome {
  readonly from: string;
  readonly to: string;
  readonly ip: string;
  readonly port: number;
  readonly protocol: string;
  readonly ok: boolean;
  readonly answeredBy?: string;
  readonly error?: string;
  readonly ms: number;
}

async function sourceNetns(api: SimulatorClient, cluster: SandboxClusterConfig, from: string): Promise<string> {
  const ref = parseSource(from);
  if (ref.kind !== 'pod') return findHost(cluster, ref.kind, ref.name).netns;
  return podNetns(await api.find(resourcePath(KINDS.Pod!, ref.namespace, ref.name)), ref);
}

export async function probe(api: SimulatorClient, cluster: SandboxClusterConfig, probeClient: string, args: ProbeArgs): Promise<ProbeOutcome> {
  checkFamily(cluster, args.family);
  const target = parseTarget(args.to);
  const netns = await sourceNetns(api, cluster, args.from);
  const object =
    target.kind === 'pod'
      ? await api.find(resourcePath(KINDS.Pod!, target.namespace, target.name))
      : target.kind === 'svc'
        ? await api.find(resourcePath(KINDS.Service!, target.namespace, target.name))
        : undefined;
  const ip = targetAddress(target, object, cluster, args.family);
  const [result] = await runProbes(probeClient, netns, [{ id: describeTarget(target), ip, port: args.port, protocol: args.protocol }], args.timeoutMs);
  return {
    from: describeSource(parseSource(args.from)),
    to: describeTarget(target),
    ip,
    port: args.port,
    protocol: args.protocol,
    ok: result!.ok,
    ...(result!.answeredBy !== undefined ? { answeredBy: result!.answeredBy } : {}),
    ...(result!.error !== undefined ? { error: result!.error } : {}),
    ms: result!.ms,
  };
}

export function formatProbe(o: ProbeOutcome): string {
  return o.ok ? `${o.answeredBy ?? '(answered)'}\n` : `${o.from} -> ${o.to} (${o.ip} ${o.protocol}/${o.port}): could not connect: ${o.error ?? 'no answer'}\n`;
}

interface MatrixPod {
  readonly id: string;
  readonly netns: string;
  readonly ip: string;
}

/** Pods that can take part: running, with a namespace and an address of the family. */
export function matrixPods(pods: readonly KubeObj[], family: SandboxFamily, namespaces: readonly string[] | undefined): { pods: MatrixPod[]; skipped: string[] } {
  const out: MatrixPod[] = [];
  const skipped: string[] = [];
  const sorted = [...pods]
    .filter((p) => !namespaces || namespaces.includes(p.metadata?.namespace ?? ''))
    .sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  for (const p of sorted) {
    const id = `${p.metadata?.namespace}/${p.metadata?.name}`;
    const netns = p.metadata?.annotations?.[POD_NETNS_ANNOTATION];
    const ip = podIPs(p).find((a) => familyOf(a) === family);
    const running = (p.status as { phase?: string } | undefined)?.phase === 'Running' && !p.metadata?.deletionTimestamp;
    if (!running || !netns) skipped.push(`${id}: ${podPhaseText(p)}`);
    else if (!ip) skipped.push(`${id}: no ${family} address`);
    else out.push({ id, netns, ip });
  }
  return { pods: out, skipped };
}

export async function matrix(api: SimulatorClient, cluster: SandboxClusterConfig, probeClient: string, args: MatrixArgs): Promise<MatrixTable> {
  checkFamily(cluster, args.family);
  const family = args.family ?? cluster.families[0]!;
  const { pods, skipped } = matrixPods((await api.list('/api/v1/pods')).items, family, args.namespaces);
  const targets = pods.map((p) => ({ id: p.id, ip: p.ip, port: args.port, protocol: args.protocol }));
  // One probe client per source pod, all at once: each probes every target concurrently.
  const rows = await Promise.all(pods.map((p) => runProbes(probeClient, p.netns, targets, args.timeoutMs)));
  const cells: MatrixCell[] = pods.flatMap((from, i) =>
    rows[i]!.map((r) => ({
      from: from.id,
      to: r.id,
      ok: r.ok,
      ...(r.answeredBy !== undefined ? { answeredBy: r.answeredBy } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
    })),
  );
  return { title: `${args.protocol}/${args.port} over ${family} (rows: from, columns: to)`, pods: pods.map((p) => p.id), cells, skipped };
}

export { formatMatrix };
