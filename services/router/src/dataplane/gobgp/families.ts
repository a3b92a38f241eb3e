// Our address families ↔ GoBGP's AFI/SAFI. The router only speaks unicast.
import type { Family } from '@kr/ip';
import { gobgp } from '@kr/proto/gobgp';

export function toApiFamily(family: Family): gobgp.Family {
  return {
    afi: family === 'ipv4' ? gobgp.Family_Afi.AFI_IP : gobgp.Family_Afi.AFI_IP6,
    safi: gobgp.Family_Safi.SAFI_UNICAST,
  };
}

/** IPv4/IPv6 unicast, or undefined for every other AFI/SAFI (VPN, EVPN, flowspec ...). */
export function fromApiFamily(family: gobgp.Family | undefined): Family | undefined {
  if (!family || family.safi !== gobgp.Family_Safi.SAFI_UNICAST) return undefined;
  if (family.afi === gobgp.Family_Afi.AFI_IP) return 'ipv4';
  if (family.afi === gobgp.Family_Afi.AFI_IP6) return 'ipv6';
  return undefined;
}

/** Families in the canonical order (IPv4 first), without duplicates. */
export function sortFamilies(families: Iterable<Family>): Family[] {
  const set = new Set(families);
  return (['ipv4', 'ipv6'] as const).filter((f) => set.has(f));
}
