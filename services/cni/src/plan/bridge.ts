// The bridge pods attach to: desired (link up, MTU, one gateway address per family) vs
// what the kernel has, as `ip -batch` lines. Empty lines mean nothing to do.
//
// The addresses must match the CNI configuration exactly. The bridge plugin, adding the
// first pod, puts the IPAM gateway on the bridge and fails for IPv4 when the bridge
// already holds a different IPv4 address ("already has an IP address different from"),
// so stale gateway addresses (an old pod CIDR) are removed. Link-local addresses are the
// kernel's and are left alone.
import { tryParseIP, type Family } from '@kr/ip';

export interface BridgeAddress {
  readonly family: Family;
  /** Canonical address text. */
  readonly ip: string;
  readonly prefixLength: number;
}

export interface BridgeDesired {
  readonly name: string;
  /** Set when auto-MTU determined it; the link's MTU is left alone otherwise. */
  readonly mtu?: number;
  readonly addresses: readonly BridgeAddress[];
}

export interface BridgeObserved {
  readonly link?: { readonly kind: string | undefined; readonly mtu: number; readonly up: boolean };
  readonly addresses: readonly (BridgeAddress & { readonly scope: string })[];
}

export type BridgePlan =
  | { readonly ok: true; readonly linkLines: readonly string[]; readonly addressLines: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const key = (a: BridgeAddress) => `${a.ip}/${a.prefixLength}`;

export function planBridge(desired: BridgeDesired, observed: BridgeObserved): BridgePlan {
  const dev = desired.name;
  const linkLines: string[] = [];
  const link = observed.link;
  if (link && link.kind !== 'bridge') {
    // Someone else's interface under our name: deleting it could cut the node off.
    return { ok: false, reason: `${dev} exists but is a ${link.kind ?? 'plain'} interface, not a bridge; remove or rename it` };
  }
  if (!link) linkLines.push(`link add name ${dev} type bridge`);
  if (desired.mtu !== undefined && link?.mtu !== desired.mtu) linkLines.push(`link set dev ${dev} mtu ${desired.mtu}`);
  if (!link?.up) linkLines.push(`link set dev ${dev} up`);

  const wanted = new Set(desired.addresses.map(key));
  const present = new Set(observed.addresses.map(key));
  const addressLines: string[] = [];
  // Deletions first: removing an IPv4 primary address also drops its secondaries.
  for (const a of observed.addresses) {
    if (a.scope !== 'link' && !wanted.has(key(a))) addressLines.push(`address del ${key(a)} dev ${dev}`);
  }
  for (const a of desired.addresses) {
    if (present.has(key(a))) continue;
    // nodad: the gateway is ours by construction, and duplicate address detection would
    // keep it tentative (unusable) while the bridge has no ports and so no carrier.
    addressLines.push(`address replace ${key(a)} dev ${dev}${a.family === 'ipv6' ? ' nodad' : ''}`);
  }
  return { ok: true, linkLines, addressLines };
}

/** Reads `ip -j addr` entries of the bridge into comparable addresses. */
export function bridgeAddressesFrom(infos: readonly { local: string; prefixlen: number; scope?: string }[]): (BridgeAddress & { scope: string })[] {
  const out: (BridgeAddress & { scope: string })[] = [];
  for (const info of infos) {
    const ip = tryParseIP(info.local);
    if (ip) out.push({ family: ip.family, ip: ip.address, prefixLength: info.prefixlen, scope: info.scope ?? 'global' });
  }
  return out;
}
