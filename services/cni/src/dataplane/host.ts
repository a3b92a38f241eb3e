// The node's interfaces and addresses, as `ip -j address show` lists them.
import type { IpExecutor } from '@kr/dataplane';
import { tryParseIP, type IPAddress } from '@kr/ip';
import type { HostInterface } from '../model/uplink.js';

export async function readHostInterfaces(ip: IpExecutor): Promise<HostInterface[]> {
  const listing = await ip.addresses();
  return listing.map((iface) => ({
    name: iface.ifname,
    mtu: typeof iface['mtu'] === 'number' ? iface['mtu'] : 0,
    addresses: iface.addr_info.map((a) => tryParseIP(a.local)).filter((a): a is IPAddress => a !== undefined),
  }));
}
