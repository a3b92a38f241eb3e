import { AddressError } from '@kr/errors';
import { parseIPInternal, type IPAddress } from './address.js';
import { parseCIDR, tryParseCIDR, type Cidr, type ParseCidrOptions } from './cidr.js';
import { FAMILIES, type EnabledFamilies, type Family } from './family.js';

/** One value per family, as in dual-stack fields (podCIDRs, clusterIPs, node IPs). */
export interface PerFamily<T> {
  ipv4?: T;
  ipv6?: T;
}

type Addressish = IPAddress | Cidr;

/** The family of an address or CIDR (strings: a `/` means CIDR); AddressError on garbage. */
export function familyOf(input: string | Addressish): Family {
  if (typeof input !== 'string') return input.family;
  if (input.includes('/')) return parseCIDR(input).family;
  const ip = parseIPInternal(input);
  if (typeof ip === 'string') throw new AddressError(input, `${ip}; neither an address nor a CIDR`);
  return ip.family;
}

/**
 * Splits a comma-separated list: items are trimmed, empty items (`a,,b`, a trailing
 * comma) are dropped, as Kubernetes' own flag parsing of such lists does.
 */
export function splitList(input: string): string[] {
  return input
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Parses `"10.0.0.0/24, fd00::/64"`; throws AddressError naming the bad item. */
export function parseCidrList(input: string | readonly string[], options: ParseCidrOptions = {}): Cidr[] {
  const items = typeof input === 'string' ? splitList(input) : input;
  return items.map((item) => parseCIDR(item, options));
}

/** Parses `"10.0.0.1, fd00::1"`; throws AddressError naming the bad item. */
export function parseIPList(input: string | readonly string[]): IPAddress[] {
  const items = typeof input === 'string' ? splitList(input) : input;
  return items.map((item) => {
    const ip = parseIPInternal(item);
    if (typeof ip === 'string') throw new AddressError(item, ip);
    return ip;
  });
}

/** Parses every item and keeps going: good values and one AddressError per bad item. */
export function parseListSettled<T>(
  input: string | readonly string[],
  parse: (item: string) => T,
): { values: T[]; errors: AddressError[] } {
  const items = typeof input === 'string' ? splitList(input) : input;
  const values: T[] = [];
  const errors: AddressError[] = [];
  for (const item of items) {
    try {
      values.push(parse(item));
    } catch (err) {
      errors.push(err instanceof AddressError ? err : new AddressError(item, String(err), { cause: err }));
    }
  }
  return { values, errors };
}

/** The first item of each family; later items of a family are ignored. */
export function firstPerFamily<T extends Addressish>(items: Iterable<T>): PerFamily<T> {
  const result: PerFamily<T> = {};
  for (const item of items) {
    if (result[item.family] === undefined) result[item.family] = item;
  }
  return result;
}

/**
 * Validates a dual-stack list (at most one item per family, as Kubernetes requires of
 * node.spec.podCIDRs and service.spec.clusterIPs) and returns it per family. The
 * AddressError's input is the whole list and its reason names the duplicate family.
 */
export function dualStackPair<T extends Addressish>(items: readonly T[]): PerFamily<T> {
  const result: PerFamily<T> = {};
  for (const item of items) {
    const seen = result[item.family];
    if (seen !== undefined) {
      throw new AddressError(
        items.map(String).join(','),
        `more than one ${item.family} entry (${String(seen)} and ${String(item)}); at most one per family is allowed`,
      );
    }
    result[item.family] = item;
  }
  return result;
}

/** Parses and validates a dual-stack CIDR list such as node.spec.podCIDRs. */
export function parseDualStackCIDRs(input: string | readonly string[], options: ParseCidrOptions = {}): PerFamily<Cidr> {
  return dualStackPair(parseCidrList(input, options));
}

/** Parses and validates a dual-stack address list such as service.spec.clusterIPs. */
export function parseDualStackIPs(input: string | readonly string[]): PerFamily<IPAddress> {
  return dualStackPair(parseIPList(input));
}

/** A PerFamily back as a list, `first` family first (default ipv4). */
export function perFamilyList<T>(pair: PerFamily<T>, first: Family = 'ipv4'): T[] {
  const order = first === 'ipv4' ? FAMILIES : [...FAMILIES].reverse();
  return order.flatMap((family) => (pair[family] === undefined ? [] : [pair[family]]));
}

export interface DroppedItem<T> {
  readonly item: T;
  readonly family: Family;
  readonly reason: string;
}

/**
 * Drops items of a disabled family. Callers log the dropped ones (kube-router warns and
 * skips e.g. ipBlock CIDRs of a family that is not enabled); nothing is dropped silently.
 */
export function filterFamilies<T extends Addressish>(
  items: readonly T[],
  enabled: EnabledFamilies,
): { kept: T[]; dropped: DroppedItem<T>[] } {
  const kept: T[] = [];
  const dropped: DroppedItem<T>[] = [];
  for (const item of items) {
    if (enabled[item.family]) kept.push(item);
    else dropped.push({ item, family: item.family, reason: `${item.family} is not enabled` });
  }
  return { kept, dropped };
}

/** Whether a string is a CIDR of the family (lenient parse). */
export function isCidrOfFamily(input: string, family: Family): boolean {
  return tryParseCIDR(input)?.family === family;
}
