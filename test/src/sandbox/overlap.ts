// The sandbox must not use a range the machine itself uses: its pods, services or fabric
// would shadow (or be shadowed by) the root namespace's networks for anyone who looks at
// both, and a later issue's route to the sandbox would capture real traffic. `up`
// reads the root namespace's addresses and routes (read-only, `ip -j`) and refuses.
// Parsing and comparison here are pure.
import { overlaps, parseCIDR, parseIP, tryParseCIDR, type Cidr } from '@kr/ip';
import type { AddressPlan } from './plan.js';

/** A network the root namespace uses, and where it comes from (for the error message). */
export interface RootPrefix {
  readonly cidr: Cidr;
  readonly source: string;
}

/** A range the sandbox wants, and the flag that changes it (none for the fixed fabric). */
export interface SandboxRange {
  readonly cidr: string;
  readonly what: string;
  readonly flag?: string;
}

export interface Overlap {
  readonly range: SandboxRange;
  readonly root: RootPrefix;
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

interface IpRouteJson {
  dst?: string;
  dev?: string;
  table?: string;
  type?: string;
}

/** Networks of the root namespace's interface addresses (`ip -j addr show`). */
export function prefixesFromAddresses(json: unknown): RootPrefix[] {
  const out: RootPrefix[] = [];
  for (const link of (Array.isArray(json) ? json : []) as IpAddrJson[]) {
    for (const a of link.addr_info ?? []) {
      if (!a.local || a.prefixlen === undefined) continue;
      const cidr = tryParseCIDR(`${a.local}/${a.prefixlen}`);
      if (cidr) out.push({ cidr, source: `address ${a.local}/${a.prefixlen} on ${link.ifname ?? '?'}` });
    }
  }
  return out;
}

/**
 * Destinations of the root namespace's routes (`ip -j route show table all`, per family).
 * Default routes are left out: they cover everything and say nothing about a range.
 */
export function prefixesFromRoutes(json: unknown): RootPrefix[] {
  const out: RootPrefix[] = [];
  for (const r of (Array.isArray(json) ? json : []) as IpRouteJson[]) {
    if (!r.dst || r.dst === 'default') continue;
    const cidr = r.dst.includes('/') ? tryParseCIDR(r.dst) : hostPrefix(r.dst);
    if (!cidr || cidr.prefixLength === 0) continue;
    const where = [r.type && r.type !== 'unicast' ? r.type : '', r.dev ? `dev ${r.dev}` : '', r.table && r.table !== 'main' ? `table ${r.table}` : '']
      .filter(Boolean)
      .join(' ');
    out.push({ cidr, source: `route ${r.dst}${where ? ` (${where})` : ''}` });
  }
  return out;
}

function hostPrefix(ip: string): Cidr | undefined {
  try {
    const address = parseIP(ip);
    return parseCIDR(`${address.address}/${address.family === 'ipv4' ? 32 : 128}`);
  } catch {
    // Not an address (e.g. a route type iproute2 prints differently): not a range to check.
    return undefined;
  }
}

/** Every range the sandbox will use, with the flag that moves it. */
export function sandboxRanges(plan: AddressPlan): SandboxRange[] {
  return [
    ...plan.clusterCidrs.map((cidr) => ({ cidr, what: 'pod range', flag: '--cluster-cidrs' })),
    ...plan.serviceCidrs.map((cidr) => ({ cidr, what: 'service range', flag: '--service-cidrs' })),
    ...plan.subnets.flatMap((s) => [s.ipv4, s.ipv6].filter((c): c is string => !!c).map((cidr) => ({ cidr, what: `fabric subnet ${s.index}` }))),
  ];
}

export function findOverlaps(ranges: readonly SandboxRange[], root: readonly RootPrefix[]): Overlap[] {
  return ranges.flatMap((range) => root.filter((r) => overlaps(range.cidr, r.cidr)).map((r) => ({ range, root: r })));
}

/** One line per sandbox range, naming everything of the root namespace it collides with. */
export function formatOverlaps(found: readonly Overlap[]): string {
  const byRange = new Map<string, { range: SandboxRange; sources: string[] }>();
  for (const o of found) {
    const key = `${o.range.what} ${o.range.cidr}`;
    const entry = byRange.get(key) ?? { range: o.range, sources: [] };
    entry.sources.push(o.root.source);
    byRange.set(key, entry);
  }
  const lines = [...byRange.values()].map(
    ({ range, sources }) =>
      `  the sandbox's ${range.what} ${range.cidr} overlaps the root namespace's ${sources.join(', ')}` +
      (range.flag ? `; choose another range with ${range.flag}` : ' (the fabric ranges 198.18.0.0/16 and fd42:198:18::/48 are fixed)'),
  );
  return `refusing to start: address ranges overlap this machine's own networks\n${lines.join('\n')}`;
}
