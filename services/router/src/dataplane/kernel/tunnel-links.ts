// Reads our tunnels back from `ip -j -d link show`, `ip -j neigh show` and
// `ip -j fou show`. Field names are iproute2's JSON (ip/iplink_vxlan.c, ip/link_iptnl.c,
// ip/link_ip6tnl.c, ip/tunnel.c tnl_print_encap, ip/ipfou.c).
import { tryParseIP, type Family, type IPAddress } from '@kr/ip';
import type { IpLink, IpNeighbour } from '@kr/dataplane';
import { TUNNEL_LINK_KINDS, TUNNEL_NAME_PREFIX } from './names.js';
import type { FouPort, ObservedNeighbour, ObservedTunnel, TunnelEncap } from './types.js';

type Json = Readonly<Record<string, unknown>>;

/** A link is ours when it has our name prefix and is of a kind we create. */
export function isOwnTunnelLink(link: IpLink): boolean {
  return link.ifname.startsWith(TUNNEL_NAME_PREFIX) && TUNNEL_LINK_KINDS.includes(link.linkinfo?.info_kind ?? '');
}

function address(value: unknown): IPAddress | undefined {
  return typeof value === 'string' ? tryParseIP(value) : undefined;
}

function vxlan(link: IpLink, data: Json): ObservedTunnel {
  // IPv6 endpoints are printed as remote6/local6.
  const remote = address(data['remote']) ?? address(data['remote6']);
  const local = address(data['local']) ?? address(data['local6']);
  const family: Family = data['remote6'] !== undefined || data['local6'] !== undefined ? 'ipv6' : 'ipv4';
  return {
    ...common(link),
    encap: 'vxlan',
    family,
    ...(local ? { local } : {}),
    ...(remote ? { remote } : {}),
    ...(typeof data['port'] === 'number' ? { port: data['port'] } : {}),
    ...(typeof data['id'] === 'number' ? { vni: data['id'] } : {}),
    ...(typeof link.address === 'string' ? { mac: link.address } : {}),
    details: {
      learning: data['learning'] as boolean | undefined,
      addrGenMode: link['inet6_addr_gen_mode'] as string | undefined,
    },
  };
}

function ipTunnel(link: IpLink, data: Json, family: Family): ObservedTunnel {
  const encapObject = data['encap'] as Json | undefined;
  const encapType = typeof encapObject?.['type'] === 'string' ? encapObject['type'] : undefined;
  // Plain ipip has no encap; GUE is fou as kube-router (and we) configure it; direct fou
  // (no GUE) is not a shape we create.
  const encap: TunnelEncap | undefined = encapType === undefined ? 'ipip' : encapType === 'gue' ? 'fou' : undefined;
  const remote = address(data['remote']);
  const local = address(data['local']);
  const ignoresEncapLimit = data['ip6_tnl_f_ign_encap_limit'] === true;
  return {
    ...common(link),
    ...(encap ? { encap } : {}),
    family,
    ...(local ? { local } : {}),
    ...(remote ? { remote } : {}),
    ...(encap === 'fou' && typeof encapObject?.['dport'] === 'number' ? { port: encapObject['dport'] } : {}),
    details: {
      proto: data['proto'] as string | undefined,
      ttl: data['ttl'] as number | undefined,
      pmtudisc: data['pmtudisc'] as boolean | undefined,
      encapType,
      encapLimit: family === 'ipv6' ? (ignoresEncapLimit ? 'none' : (data['encap_limit'] as number | undefined)) : undefined,
    },
  };
}

function common(link: IpLink): Pick<ObservedTunnel, 'name' | 'mtu' | 'up'> {
  return { name: link.ifname, mtu: link.mtu, up: link.flags.includes('UP') };
}

/** Our tunnel links among `links` (all links of the namespace, with -d details). */
export function parseTunnelLinks(links: readonly IpLink[]): ObservedTunnel[] {
  const out: ObservedTunnel[] = [];
  for (const link of links) {
    if (!isOwnTunnelLink(link)) continue;
    const data = (link.linkinfo?.info_data ?? {}) as Json;
    switch (link.linkinfo?.info_kind) {
      case 'vxlan':
        out.push(vxlan(link, data));
        break;
      case 'ipip':
        out.push(ipTunnel(link, data, 'ipv4'));
        break;
      case 'ip6tnl':
        out.push(ipTunnel(link, data, 'ipv6'));
        break;
    }
  }
  return out;
}

/** Permanent neighbour entries on the given links (the ones we pin on vxlan tunnels). */
export function parseTunnelNeighbours(neighbours: readonly IpNeighbour[], links: ReadonlySet<string>): ObservedNeighbour[] {
  const out: ObservedNeighbour[] = [];
  for (const n of neighbours) {
    if (n.dev === undefined || !links.has(n.dev) || !(n.state ?? []).includes('PERMANENT')) continue;
    const ip = tryParseIP(n.dst);
    if (ip) out.push({ dev: n.dev, address: ip, ...(n.lladdr !== undefined ? { mac: n.lladdr } : {}) });
  }
  return out;
}

/** `ip -j fou show`: [{ port, gue: null, family: "inet" | "inet6" }] or { ipproto } for direct fou. */
export function parseFouPorts(entries: readonly Json[]): FouPort[] {
  return entries
    .filter((e) => typeof e['port'] === 'number')
    .map((e) => ({ family: e['family'] === 'inet6' ? 'ipv6' : 'ipv4', port: e['port'] as number, gue: 'gue' in e }));
}
