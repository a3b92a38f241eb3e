// `kr status`: the node's state as the bus has it, plus each controller's own answer
// over its admin API. Either source may be missing (a controller switched off, the bus
// down); the report says which and why instead of failing as a whole.
import { AdminCallError, ServingStatus, connectController } from '@kr/admin';
import type { Bus, SectionName, SectionTypes } from '@kr/bus';
import { errorMessage } from '@kr/errors';
import { admin, nodestate } from '@kr/proto';

export interface ControllerReport {
  readonly controller: SectionName;
  readonly adminAddress: string;
  readonly reachable: boolean;
  readonly error?: string;
  readonly serving?: string;
  readonly status?: admin.GetStatusResponse;
  readonly section?: SectionTypes[SectionName];
}

export interface StatusReport {
  readonly node?: string;
  readonly bus: { readonly url: string; readonly connected: boolean; readonly error?: string };
  readonly controllers: readonly ControllerReport[];
}

export async function collectStatus(
  bus: Bus,
  busUrl: string,
  addresses: Readonly<Record<SectionName, string>>,
  timeoutMs: number,
): Promise<StatusReport> {
  const controllers = Object.keys(addresses) as SectionName[];
  const [sections, reports] = await Promise.all([
    bus.readSections(controllers, timeoutMs).then(
      (s) => ({ ok: true as const, s }),
      (err: unknown) => ({ ok: false as const, error: errorMessage(err) }),
    ),
    Promise.all(controllers.map((c) => askController(c, addresses[c], timeoutMs))),
  ]);
  const withSections = reports.map((r) => {
    const section = sections.ok ? sections.s[r.controller] : undefined;
    return section ? { ...r, section } : r;
  });
  const node =
    withSections.map((r) => r.status?.node).find((n) => n) ?? withSections.map((r) => r.section?.header?.node).find((n) => n);
  return {
    ...(node ? { node } : {}),
    bus: { url: busUrl, connected: sections.ok, ...(sections.ok ? {} : { error: sections.error }) },
    controllers: withSections,
  };
}

async function askController(controller: SectionName, address: string, timeoutMs: number): Promise<ControllerReport> {
  const conn = connectController(address, { deadlineMs: timeoutMs });
  try {
    const [status, serving] = await Promise.all([conn.getStatus(), conn.healthCheck('')]);
    return { controller, adminAddress: address, reachable: true, status, serving: ServingStatus[serving] ?? String(serving) };
  } catch (err) {
    const error = err instanceof AdminCallError && err.codeName === 'UNAVAILABLE' ? 'not running (admin API unreachable)' : errorMessage(err);
    return { controller, adminAddress: address, reachable: false, error };
  } finally {
    conn.close();
  }
}

const HEALTH_NAMES: Record<number, string> = {
  [nodestate.Health.HEALTH_UNSPECIFIED]: 'unknown',
  [nodestate.Health.HEALTH_STARTING]: 'starting',
  [nodestate.Health.HEALTH_HEALTHY]: 'healthy',
  [nodestate.Health.HEALTH_DEGRADED]: 'degraded',
  [nodestate.Health.HEALTH_FAILING]: 'failing',
  [nodestate.Health.HEALTH_STOPPING]: 'stopping',
};

export function healthName(h: nodestate.Health | undefined): string {
  return HEALTH_NAMES[h ?? 0] ?? 'unknown';
}

/** The health to show: the controller's own answer, else its last published section. */
export function reportHealth(r: ControllerReport): string {
  if (r.status) return healthName(r.status.health);
  if (r.section?.header) return `${healthName(r.section.header.health)} (bus only)`;
  return 'absent';
}

function ago(d: Date | undefined, now: Date): string {
  if (!d) return '-';
  const s = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

function ms(d: { seconds: number; nanos: number } | undefined): string {
  if (!d) return '-';
  const v = d.seconds * 1000 + d.nanos / 1e6;
  return v < 1000 ? `${v.toFixed(1)}ms` : `${(v / 1000).toFixed(2)}s`;
}

/** One line of the controller's own facts, from its section. */
function detail(r: ControllerReport): string {
  const s = r.section as Partial<SectionTypes[SectionName]> | undefined;
  if (!s) return r.error ?? '';
  const cidrs = (p: { cidr: string }[] | undefined) => (p && p.length ? p.map((x) => x.cidr).join(',') : 'none');
  switch (r.controller) {
    case 'cni': {
      const c = s as Partial<nodestate.CniState>;
      return `pod CIDRs ${cidrs(c.podCidrs)}, bridge ${c.bridge || '-'}`;
    }
    case 'router': {
      const c = s as Partial<nodestate.RouterState>;
      return `${c.clusterNodes?.length ?? 0} nodes, ${c.peers?.length ?? 0} peers, cluster pod CIDRs ${cidrs(c.clusterPodCidrs)}`;
    }
    case 'proxy': {
      const c = s as Partial<nodestate.ProxyState>;
      return `mode ${c.mode || '-'}, ${c.services ?? 0} services, ${c.endpoints ?? 0} ready endpoints, ${c.vips?.length ?? 0} VIPs`;
    }
    case 'firewall': {
      const c = s as Partial<nodestate.FirewallState>;
      return `mode ${c.mode || '-'}, ${c.policies ?? 0} policies, ${c.localPods ?? 0} local pods`;
    }
  }
}

export function formatStatusTable(report: StatusReport, now = new Date()): string {
  const lines = [
    `node ${report.node ?? '(unknown)'}   bus ${report.bus.url}: ${report.bus.connected ? 'connected' : `unreachable (${report.bus.error ?? 'no answer'})`}`,
    '',
  ];
  const rows = [['CONTROLLER', 'HEALTH', 'GRPC', 'GEN', 'UPDATED', 'LAST SYNC', 'ADMIN', 'DETAIL']];
  for (const r of report.controllers) {
    const h = r.status?.header ?? r.section?.header;
    rows.push([
      r.controller,
      reportHealth(r),
      r.serving ?? '-',
      h ? String(h.generation) : '-',
      ago(h?.updated, now),
      ms(h?.lastSyncDuration),
      r.adminAddress,
      detail(r),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const reasons = report.controllers.flatMap((r) =>
    (r.status?.healthReasons ?? r.section?.header?.healthReasons ?? []).map((why) => `  ${r.controller}: ${why}`),
  );
  if (reasons.length) lines.push('', 'reasons:', ...reasons);
  return `${lines.join('\n')}\n`;
}

export function statusJson(report: StatusReport): unknown {
  return {
    node: report.node ?? null,
    bus: report.bus,
    controllers: Object.fromEntries(
      report.controllers.map((r) => {
        const codec = r.section ? sectionToJson(r.controller, r.section) : null;
        return [
          r.controller,
          {
            health: reportHealth(r),
            admin: {
              address: r.adminAddress,
              reachable: r.reachable,
              ...(r.error ? { error: r.error } : {}),
              ...(r.serving ? { serving: r.serving } : {}),
              ...(r.status ? { status: admin.GetStatusResponse.toJSON(r.status) } : {}),
            },
            section: codec,
          },
        ];
      }),
    ),
  };
}

function sectionToJson(c: SectionName, s: SectionTypes[SectionName]): unknown {
  switch (c) {
    case 'cni':
      return nodestate.CniState.toJSON(s as nodestate.CniState);
    case 'router':
      return nodestate.RouterState.toJSON(s as nodestate.RouterState);
    case 'proxy':
      return nodestate.ProxyState.toJSON(s as nodestate.ProxyState);
    case 'firewall':
      return nodestate.FirewallState.toJSON(s as nodestate.FirewallState);
  }
}
