// What an `ip -batch` input touches (object kinds and address families), and the
// normalised read-back of that scope for change detection. Only configuration counts:
// carrier, operational state, timers, lifetimes and learned neighbours change on their
// own and would otherwise make every apply look like a change.

import { isIP } from 'node:net';
import type { Family } from '@kr/ip';

export type IpObjectKind = 'links' | 'addresses' | 'routes' | 'neighbours' | 'rules';

export interface IpBatchScope {
  readonly kinds: ReadonlySet<IpObjectKind>;
  readonly families: ReadonlySet<Family>;
}

// ip matches an object by prefix, in its own table order (ip/ip.c `cmds[]`): "a" is
// address, "r" route, "n" neigh, "l" link. Only the ones that matter here are listed
// with what they touch; anything else means "everything". Nexthop objects are not read
// back themselves, only the routes that use them.
const OBJECTS: readonly [string, IpObjectKind[] | 'other'][] = [
  ['address', ['addresses']],
  ['addrlabel', 'other'],
  ['maddress', 'other'],
  ['route', ['routes']],
  ['rule', ['rules']],
  ['neighbour', ['neighbours']],
  ['neighbor', ['neighbours']],
  ['ntable', 'other'],
  ['link', ['links']],
  ['tunnel', ['links']],
  ['tuntap', ['links']],
  ['nexthop', ['routes']],
];

const ALL_KINDS: readonly IpObjectKind[] = ['links', 'addresses', 'routes', 'neighbours', 'rules'];

function objectKinds(word: string): readonly IpObjectKind[] {
  for (const [name, kinds] of OBJECTS) {
    if (name.startsWith(word)) return kinds === 'other' ? ALL_KINDS : kinds;
  }
  return ALL_KINDS;
}

/** The family of an address-like token (`10.0.0.0/8`, `2001:db8::1`), if it is one. */
function tokenFamily(token: string): Family | undefined {
  const kind = isIP(token.split('/')[0]!);
  return kind === 4 ? 'ipv4' : kind === 6 ? 'ipv6' : undefined;
}

export function ipBatchScope(lines: readonly string[]): IpBatchScope {
  const kinds = new Set<IpObjectKind>();
  const families = new Set<Family>();
  for (const raw of lines.flatMap((l) => l.split('\n'))) {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0 || words[0]!.startsWith('#')) continue;
    let lineFamily: Family | undefined;
    let i = 0;
    // Leading options, as on the command line: -4, -6, -f inet6, -family inet.
    while (words[i]?.startsWith('-')) {
      const option = words[i]!;
      if (option === '-4') lineFamily = 'ipv4';
      else if (option === '-6') lineFamily = 'ipv6';
      else if (option === '-f' || option === '-family') {
        const value = words[++i];
        if (value === 'inet') lineFamily = 'ipv4';
        else if (value === 'inet6') lineFamily = 'ipv6';
      }
      i++;
    }
    const object = words[i];
    if (object === undefined) continue;
    for (const kind of objectKinds(object)) kinds.add(kind);
    if (!lineFamily) {
      for (const word of words.slice(i + 1)) {
        lineFamily = tokenFamily(word);
        if (lineFamily) break;
      }
    }
    // A line without any address (e.g. `neigh flush dev x`) may reach either family.
    if (lineFamily) families.add(lineFamily);
    else {
      families.add('ipv4');
      families.add('ipv6');
    }
  }
  return { kinds, families };
}

type Json = Record<string, unknown>;

// Link flags that follow carrier and operational state, not configuration.
const VOLATILE_LINK_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN', 'DORMANT', 'ECHO']);
const LINK_FIELDS = ['ifindex', 'ifname', 'link', 'link_netnsid', 'master', 'mtu', 'group', 'txqlen', 'link_type', 'address', 'broadcast'];

function pick(object: Json, fields: readonly string[]): Json {
  const out: Json = {};
  for (const field of fields) if (object[field] !== undefined) out[field] = object[field];
  return out;
}

function withoutVolatileInfoData(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  // Bridges report running timers and topology state in info_data.
  return Object.fromEntries(Object.entries(data as Json).filter(([key]) => !key.endsWith('_timer') && !key.startsWith('topology_change')));
}

export function normaliseLinks(links: readonly Json[]): Json[] {
  return links.map((link) => {
    const info = (link['linkinfo'] ?? {}) as Json;
    return {
      ...pick(link, LINK_FIELDS),
      flags: ((link['flags'] ?? []) as string[]).filter((f) => !VOLATILE_LINK_FLAGS.has(f)),
      kind: info['info_kind'],
      data: withoutVolatileInfoData(info['info_data']),
      slaveKind: info['info_slave_kind'],
    };
  });
}

const ADDRESS_FIELDS = ['family', 'local', 'address', 'prefixlen', 'scope', 'label', 'broadcast', 'noprefixroute', 'nodad', 'mngtmpaddr', 'home'];

export function normaliseAddresses(interfaces: readonly Json[]): Json[] {
  const out: Json[] = [];
  for (const iface of interfaces) {
    for (const info of (iface['addr_info'] ?? []) as Json[]) {
      // Lifetimes count down and tentative/optimistic flip during DAD: not configuration.
      out.push({ ifname: iface['ifname'], ...pick(info, ADDRESS_FIELDS) });
    }
  }
  return sortByJson(out);
}

/**
 * The local table's kernel routes are derived from addresses, and for IPv6 they appear
 * only when duplicate address detection completes, a second or so after the address (or
 * the link-local address of a link just set up): they would make an apply racing DAD
 * look like a change. Addresses are compared on their own.
 */
function isDerivedLocalRoute(route: Json): boolean {
  const table = route['table'];
  const protocol = route['protocol'];
  return (table === 'local' || table === '255') && (protocol === 'kernel' || protocol === '2');
}

export function normaliseRoutes(routes: readonly Json[]): Json[] {
  return sortByJson(
    routes.filter((route) => !isDerivedLocalRoute(route)).map((route) => {
      const { expires: _expires, flags, ...rest } = route;
      // `linkdown` and `offload` follow carrier and hardware, not configuration.
      return { ...rest, flags: ((flags ?? []) as string[]).filter((f) => f !== 'linkdown' && f !== 'offload') };
    }),
  );
}

export function normaliseNeighbours(neighbours: readonly Json[]): Json[] {
  // Only entries someone configured; learned ones come and go with traffic.
  const configured = neighbours.filter((n) => ((n['state'] ?? []) as string[]).some((s) => s === 'PERMANENT' || s === 'NOARP'));
  return sortByJson(configured.map((n) => pick(n, ['dst', 'dev', 'lladdr', 'state', 'router', 'proxy'])));
}

function sortByJson(items: Json[]): Json[] {
  return items
    .map((item) => [JSON.stringify(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}
