import ipaddr from 'ipaddr.js';
import { AddressError } from '@kr/errors';
import { hostPrefixLength, type Family } from './family.js';

/**
 * A parsed IP address in canonical text form: IPv4 dotted decimal, IPv6 lower case and
 * compressed per RFC 5952, never with a zone index.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) stay IPv6. Go's net.IP (and so
 * kube-router) quietly treats them as IPv4, which would let an IPv6 field smuggle an
 * IPv4 address into the other family's dataplane. Here the family is what was written;
 * the text keeps the mixed notation RFC 5952 recommends, and `unmapIPv4()` converts
 * explicitly where a caller wants that.
 */
export class IPAddress {
  private constructor(
    readonly family: Family,
    /** Canonical text. */
    readonly address: string,
    /** The address as an unsigned integer of 32 or 128 bits; used for ordering and masks. */
    readonly value: bigint,
  ) {}

  /** Builds an address from its integer value (masking results, ranges). */
  static fromValue(family: Family, value: bigint): IPAddress {
    const bits = BigInt(hostPrefixLength(family));
    if (value < 0n || value >> bits !== 0n) {
      throw new AddressError(value.toString(), `integer does not fit an ${family} address`);
    }
    return new IPAddress(family, formatValue(family, value), value);
  }

  /** @internal used by the parser, which already holds the canonical text. */
  static create(family: Family, address: string, value: bigint): IPAddress {
    return new IPAddress(family, address, value);
  }

  get bits(): 32 | 128 {
    return hostPrefixLength(this.family);
  }

  equals(other: IPAddress): boolean {
    return this.family === other.family && this.value === other.value;
  }

  toString(): string {
    return this.address;
  }

  toJSON(): string {
    return this.address;
  }
}

/** Parses an IP address; throws AddressError naming the input and the reason. */
export function parseIP(input: string): IPAddress {
  const result = parseIPInternal(input);
  if (typeof result === 'string') throw new AddressError(input, result);
  return result;
}

/** Like parseIP, but returns undefined for anything that is not an address. */
export function tryParseIP(input: string): IPAddress | undefined {
  const result = parseIPInternal(input);
  return typeof result === 'string' ? undefined : result;
}

export function isIP(input: string): boolean {
  return typeof parseIPInternal(input) !== 'string';
}

/** The canonical text of an address (e.g. for map keys of user input). */
export function canonicalIP(input: string): string {
  return parseIP(input).address;
}

/** Accepts either form; strings are parsed (and may throw AddressError). */
export function toIP(input: string | IPAddress): IPAddress {
  return typeof input === 'string' ? parseIP(input) : input;
}

export function isIPv4Mapped(ip: IPAddress): boolean {
  return ip.family === 'ipv6' && ip.value >> 32n === 0xffffn;
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; any other address is returned unchanged. */
export function unmapIPv4(ip: IPAddress): IPAddress {
  return isIPv4Mapped(ip) ? IPAddress.fromValue('ipv4', ip.value & 0xffffffffn) : ip;
}

/**
 * @internal Returns the reason as a string on failure so the try/is variants do not pay
 * for an exception on every miss (they run over every address of every watched object).
 */
export function parseIPInternal(input: string): IPAddress | string {
  if (typeof input !== 'string') return 'not a string';
  if (input === '') return 'empty address';
  if (input.trim() !== input) return 'surrounding whitespace';
  if (input.includes('/')) return 'a CIDR where an address was expected';
  if (input.includes(':')) return parseIPv6(input);
  return parseIPv4(input);
}

function parseIPv4(input: string): IPAddress | string {
  // ipaddr.js also accepts "10.1", hex and octal forms; Kubernetes and Go do not, and
  // "010.0.0.1" meaning 8.0.0.1 to one tool and 10.0.0.1 to another is a classic trap.
  if (!ipaddr.IPv4.isValidFourPartDecimal(input)) return 'not a valid IPv4 address (expected a.b.c.d)';
  const octets = ipaddr.IPv4.parse(input).octets;
  let value = 0n;
  for (const octet of octets) value = (value << 8n) | BigInt(octet);
  return IPAddress.create('ipv4', octets.join('.'), value);
}

function parseIPv6(input: string): IPAddress | string {
  if (input.includes('%')) return 'zone index not allowed';
  const dotted = input.lastIndexOf(':');
  if (input.includes('.', dotted) && !ipaddr.IPv4.isValidFourPartDecimal(input.slice(dotted + 1))) {
    return 'not a valid IPv6 address (bad embedded IPv4 part)';
  }
  if (!ipaddr.IPv6.isValid(input)) return 'not a valid IPv6 address';
  const parts = ipaddr.IPv6.parse(input).parts;
  let value = 0n;
  for (const part of parts) value = (value << 16n) | BigInt(part);
  return IPAddress.create('ipv6', formatValue('ipv6', value), value);
}

/** Canonical text of an integer address value. */
export function formatValue(family: Family, value: bigint): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
  }
  if (value >> 32n === 0xffffn) {
    return `::ffff:${formatValue('ipv4', value & 0xffffffffn)}`;
  }
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toRFC5952String();
}
