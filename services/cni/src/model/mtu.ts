// Auto-MTU: the largest MTU pods can use without fragmenting, as kube-router's
// --auto-mtu computes it: the MTU of the node's own interface (the one holding its
// primary IP), minus what the overlay tunnel adds when the router runs one.
//
// The router publishes the overhead per *outer* family: a tunnel to another node is of
// the family of the node addresses it connects (IPv4 pod traffic rides an IPv4 tunnel,
// IPv6 pod traffic an IPv6 one, as kube-router hashes the family into tunnel names). A
// pod has one interface and one MTU for both of its families, so the MTU must fit the
// worst tunnel it may use: the largest overhead among the enabled families.
import type { Family } from '@kr/ip';
import type { nodestate } from '@kr/proto';

export interface OverlayOverhead {
  /** "ipip", "fou", "vxlan" */
  readonly encap: string;
  readonly ipv4: number;
  readonly ipv6: number;
}

/** The overhead the router announces; undefined when it runs no overlay (or is absent). */
export function overlayOverheadOf(router: nodestate.RouterState | undefined): OverlayOverhead | undefined {
  if (!router || router.overlayEncap === '') return undefined;
  return { encap: router.overlayEncap, ipv4: router.overlayOverheadIpv4, ipv6: router.overlayOverheadIpv6 };
}

export function sameOverhead(a: OverlayOverhead | undefined, b: OverlayOverhead | undefined): boolean {
  return a?.encap === b?.encap && a?.ipv4 === b?.ipv4 && a?.ipv6 === b?.ipv6;
}

// IPv6 is switched off on links below 1280 bytes (RFC 8200 minimum); IPv4's floor is 68.
const MINIMUM_MTU: Record<Family, number> = { ipv4: 68, ipv6: 1280 };

export type PodMtu =
  | { readonly ok: true; readonly mtu: number; readonly overhead: number }
  | { readonly ok: false; readonly reason: string };

export function computePodMtu(interfaceMtu: number, overlay: OverlayOverhead | undefined, families: readonly Family[]): PodMtu {
  const overhead = overlay ? Math.max(0, ...families.map((f) => overlay[f])) : 0;
  const mtu = interfaceMtu - overhead;
  const floor = Math.max(...families.map((f) => MINIMUM_MTU[f]));
  if (mtu < floor) {
    const why = overlay ? `interface MTU ${interfaceMtu} minus ${overlay.encap} overhead ${overhead}` : `interface MTU ${interfaceMtu}`;
    return { ok: false, reason: `${why} leaves ${mtu}, below the minimum ${floor} for ${families.join(' and ')}` };
  }
  return { ok: true, mtu, overhead };
}
