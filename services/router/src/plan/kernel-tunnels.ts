// Overlay tunnels: the exact iproute2 commands for each encap, and the plan that turns
// desired tunnels vs the links we find into one `ip -batch`. Pure.
//
// What we create, per encap and outer family (kube-router's choices where it has them):
//   vxlan  both   `link add name N [mtu M] address MAC type vxlan id VNI remote R local L
//                  dstport P nolearning`, then `addrgenmode none` and up, plus permanent
//                  neighbours for the route gateways (VXLAN_GATEWAY) → the remote's MAC.
//   ipip   ipv4   `type ipip mode ipip ... ttl inherit nopmtudisc` (kube-router creates
//                  its ipip links through netlink with TTL 0 and PMTU discovery off).
//   ipip   ipv6   `type ip6tnl mode any ... hoplimit inherit encaplimit none` (mode any as
//                  kube-router's netlink default, so IPv4 can ride an IPv6 underlay too).
//   fou    both   kube-router's exact command (GUE on --overlay-encap-port, ttl 225, mode
//                  ipip / ip6ip6) plus `fou add port P gue [-6]` for the receive side.
// `encaplimit none` drops the 8-byte tunnel encapsulation limit option of ip6tnl, which a
// node-to-node overlay has no use for; it keeps the overhead at the IPv6 header alone.
//
// VXLAN, point to point: one link per remote, keyed in the kernel by (VNI, UDP port,
// outer family) — two links with the same VNI and port cannot coexist, whatever their
// addresses. So the VNI identifies the node *pair*: vxlanVni(a, b) is a hash of both
// outer addresses, the same on both ends, 24 bits. Two of one node's peers hashing to the
// same VNI (about n²/2²⁵ for n peers: 3e-5 at 30 nodes) make the second link add fail
// with "A VXLAN device with the specified VNI already exists", reported, not hidden.
// Each end's MAC is derived from its outer address (vxlanMac), so a node knows the MAC
// of the far end without asking, and the neighbour entries are static.
import { createHash } from 'node:crypto';
import { ConfigError } from '@kr/errors';
import { parseIP, type Cidr, type Family, type IPAddress } from '@kr/ip';
import {
  DEFAULT_FOU_PORT,
  DEFAULT_VXLAN_PORT,
  MAX_LINK_NAME,
  TUNNEL_NAME_PREFIX,
  VXLAN_GATEWAY,
  isValidLinkName,
} from '../dataplane/kernel/names.js';
import type { FouPort, KernelRoute, ObservedNeighbour, ObservedTunnel, TunnelEncap, TunnelSpec } from '../dataplane/kernel/types.js';

/** kube-router's TTL for fou tunnels. */
const FOU_TTL = 225;
const MAX_VNI = 0xffffff;

/** Bytes the encapsulation adds to every packet: what the pod MTU must leave room for. */
export function tunnelOverhead(encap: TunnelEncap, outer: Family): number {
  const ip = outer === 'ipv4' ? 20 : 40;
  switch (encap) {
    case 'ipip':
      return ip;
    case 'fou':
      return ip + 8 + 4; // UDP + GUE header
    case 'vxlan':
      return ip + 8 + 8 + 14; // UDP + VXLAN header + inner Ethernet
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The MAC of our vxlan links whose outer (local) address is `address`: locally administered, unicast. */
export function vxlanMac(address: IPAddress): string {
  const bytes = [0x02, ...digest(`kr-vxlan-mac ${address.address}`).subarray(0, 5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The VNI of the vxlan link between two outer addresses; symmetric, 1..2²⁴-1. */
export function vxlanVni(a: IPAddress, b: IPAddress): number {
  const [x, y] = [a.address, b.address].sort();
  const vni = digest(`kr-vxlan-vni ${x} ${y}`).readUIntBE(0, 3);
  return vni === 0 ? 1 : vni;
}

/**
 * The route to `prefix` through `tunnel`, as kube-router routes over its tunnels: a
 * device route with the node's address as source for ipip/fou (point-to-point links
 * need no gateway); for vxlan, an Ethernet link, via VXLAN_GATEWAY (pinned by the
 * tunnel's neighbour entries).
 */
export function tunnelRoute(tunnel: TunnelSpec, prefix: Cidr, source?: IPAddress): KernelRoute {
  const base = { prefix, family: prefix.family, dev: tunnel.name, ...(source ? { source } : {}) };
  if (tunnel.encap !== 'vxlan') return base;
  return { ...base, via: parseIP(VXLAN_GATEWAY[prefix.family]), onlink: prefix.family === 'ipv4' };
}

/** A spec with every default filled in. */
export interface ResolvedTunnel {
  readonly spec: TunnelSpec;
  readonly port?: number;
  readonly vni?: number;
  readonly mac?: string;
  readonly innerFamilies: readonly Family[];
  /** Settings read back in ObservedTunnel.details that must match. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
  /** Permanent neighbours the link needs (vxlan). */
  readonly neighbours: readonly { readonly address: string; readonly mac: string }[];
}

const INNER_FAMILIES: Record<TunnelEncap, Record<Family, readonly Family[]>> = {
  vxlan: { ipv4: ['ipv4', 'ipv6'], ipv6: ['ipv4', 'ipv6'] },
  ipip: { ipv4: ['ipv4'], ipv6: ['ipv4', 'ipv6'] },
  fou: { ipv4: ['ipv4'], ipv6: ['ipv6'] },
};

function invalid(spec: TunnelSpec, reason: string): never {
  throw new ConfigError(`tunnel ${spec.name}`, reason);
}

export interface ResolveOptions {
  /**
   * Whether the kernel has IPv6 at all (not booted with ipv6.disable=1). Without it a
   * link has no IPv6 settings: `addrgenmode` cannot be set, nor read back.
   */
  readonly ipv6?: boolean;
}

export function resolveTunnel(spec: TunnelSpec, options: ResolveOptions = {}): ResolvedTunnel {
  const ipv6 = options.ipv6 ?? true;
  if (!spec.name.startsWith(TUNNEL_NAME_PREFIX) || spec.name.length > MAX_LINK_NAME || !isValidLinkName(spec.name)) {
    invalid(spec, `a tunnel name is ${TUNNEL_NAME_PREFIX} plus at most ${MAX_LINK_NAME - TUNNEL_NAME_PREFIX.length} letters, digits, '-' or '_'`);
  }
  for (const [what, address] of [['local', spec.local], ['remote', spec.remote]] as const) {
    if (address.family !== spec.family) invalid(spec, `${what} address ${address.address} is not ${spec.family}`);
  }
  const innerFamilies = spec.innerFamilies ?? [spec.family];
  if (!ipv6 && (spec.family === 'ipv6' || innerFamilies.includes('ipv6'))) invalid(spec, 'this kernel has no IPv6');
  for (const inner of innerFamilies) {
    if (!INNER_FAMILIES[spec.encap][spec.family].includes(inner)) {
      invalid(spec, `${spec.encap} over ${spec.family} cannot carry ${inner} (use vxlan, or ipip over IPv6)`);
    }
  }
  if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)) invalid(spec, `mtu ${spec.mtu} out of range`);
  if (spec.port !== undefined && (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)) invalid(spec, `port ${spec.port} out of range`);
  if (spec.vni !== undefined && (!Number.isInteger(spec.vni) || spec.vni < 0 || spec.vni > MAX_VNI)) invalid(spec, `vni ${spec.vni} out of range`);

  switch (spec.encap) {
    case 'vxlan': {
      const remoteMac = vxlanMac(spec.remote);
      return {
        spec,
        innerFamilies,
        port: spec.port ?? DEFAULT_VXLAN_PORT,
        vni: spec.vni ?? vxlanVni(spec.local, spec.remote),
        mac: vxlanMac(spec.local),
        // No IPv6 link-local address (and so no DAD, router and multicast listener
        // solicitations sent to the remote): the tunnel is addressed by static neighbours.
        details: ipv6 ? { learning: false, addrGenMode: 'none' } : { learning: false },
        neighbours: [...new Set(innerFamilies)].sort().map((f) => ({ address: VXLAN_GATEWAY[f], mac: remoteMac })),
      };
    }
    case 'ipip':
      return {
        spec,
        innerFamilies,
        details: spec.family === 'ipv4' ? { proto: 'ipip', ttl: 0, pmtudisc: false } : { proto: 'any', ttl: 0, encapLimit: 'none' },
        neighbours: [],
      };
    case 'fou':
      return {
        spec,
        innerFamilies,
        port: spec.port ?? DEFAULT_FOU_PORT,
        details:
          spec.family === 'ipv4'
            ? { proto: 'ipip', ttl: FOU_TTL, encapType: 'gue' }
            : { proto: 'ip6ip6', ttl: FOU_TTL, encapType: 'gue', encapLimit: 'none' },
        neighbours: [],
      };
  }
}

/** The `ip -batch` lines that create the link (and its neighbours) from nothing. */
export function renderTunnelCreate(tunnel: ResolvedTunnel): string[] {
  const { spec } = tunnel;
  const head = ['link', 'add', 'name', spec.name];
  if (spec.mtu !== undefined) head.push('mtu', String(spec.mtu));
  const ends = ['remote', spec.remote.address, 'local', spec.local.address];
  const up = `link set ${spec.name} up`;
  switch (spec.encap) {
    case 'vxlan':
      return [
        [...head, 'address', tunnel.mac!, 'type', 'vxlan', 'id', String(tunnel.vni), ...ends, 'dstport', String(tunnel.port), 'nolearning'].join(' '),
        // Not on `link add`: ip sends it as IFLA_AF_SPEC, which RTM_NEWLINK refuses.
        ...(tunnel.details['addrGenMode'] === 'none' ? [`link set ${spec.name} addrgenmode none`] : []),
        up,
        ...tunnel.neighbours.map((n) => neighbourLine(spec.name, n.address, n.mac)),
      ];
    case 'ipip':
      return [
        (spec.family === 'ipv4'
          ? [...head, 'type', 'ipip', 'mode', 'ipip', ...ends, 'ttl', 'inherit', 'nopmtudisc']
          : [...head, 'type', 'ip6tnl', 'mode', 'any', ...ends, 'hoplimit', 'inherit', 'encaplimit', 'none']
        ).join(' '),
        up,
      ];
    case 'fou': {
      const encap = ['encap', 'gue', 'encap-sport', 'auto', 'encap-dport', String(tunnel.port)];
      return [
        (spec.family === 'ipv4'
          ? [...head, 'type', 'ipip', 'mode', 'ipip', ...ends, 'ttl', String(FOU_TTL), ...encap]
          : [...head, 'type', 'ip6tnl', 'mode', 'ip6ip6', ...ends, 'hoplimit', String(FOU_TTL), 'encaplimit', 'none', ...encap]
        ).join(' '),
        up,
      ];
    }
  }
}

/** `fou add|del port P gue [-6]`: in a batch, `-6` must follow the command (ip reads no options there). */
export function fouLine(verb: 'add' | 'del', port: FouPort): string {
  const words = ['fou', verb, 'port', String(port.port)];
  if (verb === 'add') words.push('gue');
  if (port.family === 'ipv6') words.push('-6');
  return words.join(' ');
}

function neighbourLine(dev: string, address: string, mac: string): string {
  return `neigh replace ${address} lladdr ${mac} dev ${dev} nud permanent`;
}

/** Whether an existing link is the desired one in everything that needs a re-create to change. */
export function tunnelMatches(want: ResolvedTunnel, have: ObservedTunnel): boolean {
  const { spec } = want;
  return (
    have.encap === spec.encap &&
    have.family === spec.family &&
    have.local?.address === spec.local.address &&
    have.remote?.address === spec.remote.address &&
    have.port === want.port &&
    have.vni === want.vni &&
    (want.mac === undefined || have.mac === want.mac) &&
    Object.entries(want.details).every(([field, value]) => have.details[field] === value)
  );
}

export interface ObservedTunnelState {
  readonly links: readonly ObservedTunnel[];
  /** Permanent neighbour entries on our links. */
  readonly neighbours: readonly ObservedNeighbour[];
  readonly fouPorts: readonly FouPort[];
}

export interface TunnelPlanOptions {
  /**
   * fou ports that are ours even when no tunnel uses them (the configured encap port),
   * so a switch away from fou removes the receive port. Ports of desired fou tunnels
   * are always ours.
   */
  readonly fouPorts?: readonly number[];
  /** See ResolveOptions.ipv6. Default true. */
  readonly ipv6?: boolean;
  /**
   * Leave our links (and fou ports) that are not desired (while GoBGP's RIB warms up
   * after a BGP server start, see model/rib-warmup.ts: deleting a link deletes the routes
   * over it).
   */
  readonly keepUnwanted?: boolean;
}

export interface TunnelPlan {
  readonly lines: readonly string[];
  readonly created: readonly string[];
  /** Present with other settings: deleted and created again. */
  readonly recreated: readonly string[];
  /** Set up, MTU or neighbours repaired in place. */
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  /** Links of ours not desired, left in place (keepUnwanted). */
  readonly kept: readonly string[];
  readonly unchanged: number;
}

const fouKey = (p: { family: Family; port: number }) => `${p.family} ${p.port}`;

/**
 * Plan our tunnels. Order in the batch: deletions (so a re-created link or a new link
 * with the same endpoints or VNI does not collide with the old one), fou receive ports,
 * creations, in-place repairs, then stale fou ports.
 */
export function planTunnels(desired: readonly TunnelSpec[], observed: ObservedTunnelState, options: TunnelPlanOptions = {}): TunnelPlan {
  const wanted = new Map<string, ResolvedTunnel>();
  for (const spec of desired) {
    if (wanted.has(spec.name)) throw new ConfigError(`tunnel ${spec.name}`, 'more than one desired tunnel with this name');
    wanted.set(spec.name, resolveTunnel(spec, { ipv6: options.ipv6 ?? true }));
  }
  const existing = new Map(observed.links.map((link) => [link.name, link]));

  const deletions: string[] = [];
  const creations: string[] = [];
  const repairs: string[] = [];
  const created: string[] = [];
  const recreated: string[] = [];
  const updated: string[] = [];
  const removed: string[] = [];
  const kept: string[] = [];
  let unchanged = 0;

  for (const link of [...observed.links].sort(byName)) {
    if (!wanted.has(link.name) && options.keepUnwanted) kept.push(link.name);
    else if (!wanted.has(link.name)) {
      removed.push(link.name);
      deletions.push(`link del ${link.name}`);
    }
  }
  for (const want of [...wanted.values()].sort((a, b) => byName(a.spec, b.spec))) {
    const name = want.spec.name;
    const have = existing.get(name);
    if (have === undefined || !tunnelMatches(want, have)) {
      if (have !== undefined) {
        recreated.push(name);
        deletions.push(`link del ${name}`);
      } else created.push(name);
      creations.push(...renderTunnelCreate(want));
      continue;
    }
    const fixes: string[] = [];
    if (want.spec.mtu !== undefined && have.mtu !== want.spec.mtu) fixes.push(`link set ${name} mtu ${want.spec.mtu}`);
    if (!have.up) fixes.push(`link set ${name} up`);
    const present = observed.neighbours.filter((n) => n.dev === name);
    for (const n of want.neighbours) {
      const found = present.find((p) => p.address.address === n.address);
      if (found?.mac !== n.mac) fixes.push(neighbourLine(name, n.address, n.mac));
    }
    for (const p of present) {
      if (!want.neighbours.some((n) => n.address === p.address.address)) fixes.push(`neigh del ${p.address.address} dev ${name}`);
    }
    if (fixes.length > 0) {
      updated.push(name);
      repairs.push(...fixes);
    } else unchanged++;
  }

  // fou receive ports: one per (family, port) that a desired fou tunnel uses.
  const neededPorts = new Map<string, FouPort>();
  for (const want of wanted.values()) {
    if (want.spec.encap === 'fou') {
      const port = { family: want.spec.family, port: want.port!, gue: true };
      neededPorts.set(fouKey(port), port);
    }
  }
  const ownedPorts = new Set([...(options.fouPorts ?? []), ...[...neededPorts.values()].map((p) => p.port)]);
  const present = new Map(observed.fouPorts.map((p) => [fouKey(p), p]));
  const fouAdds = [...neededPorts.values()].filter((p) => !present.get(fouKey(p))?.gue).sort(byFou);
  const fouDels = options.keepUnwanted ? [] : observed.fouPorts.filter((p) => p.gue && ownedPorts.has(p.port) && !neededPorts.has(fouKey(p))).sort(byFou);

  const lines = [...deletions, ...fouAdds.map((p) => fouLine('add', p)), ...creations, ...repairs, ...fouDels.map((p) => fouLine('del', p))];
  return { lines, created, recreated, updated, removed, kept, unchanged };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function byFou(a: FouPort, b: FouPort): number {
  return a.family.localeCompare(b.family) || a.port - b.port;
}
