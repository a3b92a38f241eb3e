import { toIP, type IPAddress } from './address.js';
import { toCidr, type Cidr } from './cidr.js';
import type { Family } from './family.js';

export interface SortOptions {
  /** Which family sorts first. Default 'ipv4' (Kubernetes' usual order). */
  readonly first?: Family;
}

function familyRank(family: Family, first: Family): number {
  return family === first ? 0 : 1;
}

function compareValues(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders by family, then numerically within a family. */
export function compareIPs(a: string | IPAddress, b: string | IPAddress, options: SortOptions = {}): number {
  const x = toIP(a);
  const y = toIP(b);
  const first = options.first ?? 'ipv4';
  return familyRank(x.family, first) - familyRank(y.family, first) || compareValues(x.value, y.value);
}

/** Orders by family, then network address, then prefix length (wider first). */
export function compareCIDRs(a: string | Cidr, b: string | Cidr, options: SortOptions = {}): number {
  const x = toCidr(a);
  const y = toCidr(b);
  const first = options.first ?? 'ipv4';
  return (
    familyRank(x.family, first) - familyRank(y.family, first) ||
    compareValues(x.value, y.value) ||
    x.prefixLength - y.prefixLength
  );
}

/** A sorted copy; strings are parsed once each (AddressError on garbage) and returned as given. */
export function sortIPs<T extends string | IPAddress>(items: readonly T[], options: SortOptions = {}): T[] {
  const keyed = items.map((item) => ({ item, ip: toIP(item) }));
  keyed.sort((a, b) => compareIPs(a.ip, b.ip, options));
  return keyed.map((k) => k.item);
}

export function sortCIDRs<T extends string | Cidr>(items: readonly T[], options: SortOptions = {}): T[] {
  const keyed = items.map((item) => ({ item, cidr: toCidr(item) }));
  keyed.sort((a, b) => compareCIDRs(a.cidr, b.cidr, options));
  return keyed.map((k) => k.item);
}
