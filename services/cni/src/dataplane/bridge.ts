// kube-bridge in the kernel: read it, apply a plan's lines, delete it.
import type { IpExecutor } from '@kr/dataplane';
import { bridgeAddressesFrom, type BridgeObserved } from '../plan/bridge.js';

export async function observeBridge(ip: IpExecutor, name: string): Promise<BridgeObserved> {
  const [link] = await ip.links(name);
  if (!link) return { addresses: [] };
  const [iface] = await ip.addresses({ dev: name });
  return {
    link: { kind: link.linkinfo?.info_kind, mtu: link.mtu, up: link.flags.includes('UP') },
    addresses: bridgeAddressesFrom(iface?.addr_info ?? []),
  };
}

/** Runs the lines (nothing when empty); `changed` as read back from the kernel. */
export async function applyIpLines(ip: IpExecutor, lines: readonly string[]): Promise<boolean> {
  if (lines.length === 0) return false;
  return (await ip.batch(lines)).changed;
}

/** Deletes the bridge (its ports are detached, pods lose connectivity); false when absent. */
export async function deleteBridge(ip: IpExecutor, name: string): Promise<boolean> {
  const [link] = await ip.links(name);
  if (!link) return false;
  if (link.linkinfo?.info_kind !== 'bridge') return false;
  return (await ip.batch([`link delete dev ${name}`])).changed;
}
