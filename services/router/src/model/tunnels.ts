// Overlay tunnel naming and sizes. Pure.
//
// Names: Linux limits interface names to 15 characters, so a tunnel is named after a hash
// of its remote end, "tun-" + 11 hex digits of SHA-256, like kube-router v2
// (tunnels.GenerateTunnelName). kube-router hashes the address text with "." and ":"
// removed, so "1.2.3.4" and "::1234" collide, and so do "21.3.0.4" and "2.13.0.4" (its
// own TODO says so). We hash "<family>/<canonical address>": stable across restarts,
// distinct per family, no stripping collisions. The "tun-" prefix is kept so operators
// recognise the links (and leftovers of kube-router are found as stale and removed).
//
// VXLAN needs one VNI per remote node on this node (the kernel demultiplexes a UDP port
// by VNI and refuses two devices with the same VNI and port) and the same VNI on both
// ends. The VNI is a hash of the unordered pair of tunnel ends, so each side computes it
// alone; routes.ts reports the rare collision between two remotes (2^-24 per pair).
//
// Overhead (bytes an encapsulated packet grows by, per outer family), what the CNI
// subtracts from the interface MTU for pods:
//   ipip   IPv4: outer IPv4 header 20.
//          IPv6 (ip6tnl): outer IPv6 header 40 + 8 for the tunnel encapsulation limit
//          option (RFC 2473) the kernel adds unless the link has `encaplimit none`;
//          kube-router's links keep the default, so 48.
//   fou    GUE, as kube-router configures it: outer header + UDP 8 + GUE 4, so IPv4 32;
//          IPv6 40 + 8 + 4 + 8 (encapsulation limit, as above) = 60.
//   vxlan  outer header + UDP 8 + VXLAN 8 + inner Ethernet 14: IPv4 50, IPv6 70.
import { createHash } from 'node:crypto';
import type { Family, IPAddress } from '@kr/ip';

export type OverlayEncap = 'ipip' | 'fou' | 'vxlan';
export const OVERLAY_ENCAPS: readonly OverlayEncap[] = ['ipip', 'fou', 'vxlan'];
export type OverlayType = 'subnet' | 'full';

/** --enable-overlay, --overlay-type, --overlay-encap, --overlay-encap-port. */
export interface OverlaySettings {
  readonly enabled: boolean;
  readonly type: OverlayType;
  readonly encap: OverlayEncap;
  /** UDP port for fou and vxlan. */
  readonly port: number;
}

export const OVERLAY_OVERHEAD: Readonly<Record<OverlayEncap, Readonly<Record<Family, number>>>> = {
  ipip: { ipv4: 20, ipv6: 40 + 8 },
  fou: { ipv4: 20 + 8 + 4, ipv6: 40 + 8 + 4 + 8 },
  vxlan: { ipv4: 20 + 8 + 8 + 14, ipv6: 40 + 8 + 8 + 14 },
};

/** What RouterState publishes for the CNI's auto-MTU; undefined when there is no overlay. */
export function overlayOverhead(overlay: { readonly enabled: boolean; readonly encap: OverlayEncap }): { encap: OverlayEncap; ipv4: number; ipv6: number } | undefined {
  if (!overlay.enabled) return undefined;
  return { encap: overlay.encap, ...OVERLAY_OVERHEAD[overlay.encap] };
}

export const TUNNEL_NAME_PREFIX = 'tun-';

export function tunnelName(remote: IPAddress): string {
  return TUNNEL_NAME_PREFIX + sha256(`${remote.family}/${remote.address}`).slice(0, 11);
}

/** Whether a link name has the shape of our tunnel names (for finding stale ones). */
export function isTunnelName(name: string): boolean {
  return /^tun-[0-9a-f]{11}$/.test(name);
}

/** The VXLAN network identifier of the tunnel between two addresses: 1..16777215, symmetric. */
export function tunnelVni(a: IPAddress, b: IPAddress): number {
  const [low, high] = a.value <= b.value ? [a, b] : [b, a];
  const vni = parseInt(sha256(`${low.family}/${low.address}|${high.address}`).slice(0, 6), 16);
  return vni === 0 ? 1 : vni;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
