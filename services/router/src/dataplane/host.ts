// What the router needs to know about the node's own links: the subnets it is directly
// connected to (a next hop there is reachable without a tunnel).
import { IpExecutor, type ToolOptions } from '@kr/dataplane';
import { Cidr, tryParseIP } from '@kr/ip';
import type { ConnectedSubnet } from '../model/index.js';
import { TUNNEL_NAME_PREFIX } from '../model/index.js';

export async function connectedSubnets(tool: ToolOptions = {}): Promise<ConnectedSubnet[]> {
  const links = await new IpExecutor(tool).addresses();
  const out: ConnectedSubnet[] = [];
  for (const link of links) {
    // Our own tunnels never define a connected subnet (their ends are what we route to).
    if (!link.ifname || link.ifname === 'lo' || link.ifname.startsWith(TUNNEL_NAME_PREFIX)) continue;
    for (const a of link.addr_info ?? []) {
      if (a.scope !== 'global' || a.local === undefined || a.prefixlen === undefined) continue;
      const ip = tryParseIP(a.local);
      if (!ip) continue;
      out.push({ cidr: Cidr.of(ip, a.prefixlen), dev: link.ifname });
    }
  }
  return out;
}

/** Every address configured on the node's interfaces (any scope but host). */
export async function localAddresses(tool: ToolOptions = {}): Promise<string[]> {
  const links = await new IpExecutor(tool).addresses();
  return links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.scope !== 'host' && a.local !== undefined).map((a) => tryParseIP(a.local!)?.address ?? ''));
}
