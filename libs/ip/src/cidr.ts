import { AddressError } from '@kr/errors';
import { IPAddress, parseIPInternal, toIP } from './address.js';
import { hostPrefixLength, type Family } from './family.js';

/** A network: canonical network address and prefix length (`10.0.0.0/24`, `fd00::/64`). */
export class Cidr {
  private constructor(
    readonly family: Family,
    /** Canonical text of the network address (host bits zero). */
    readonly address: string,
    readonly prefixLength: number,
    /** The network address as an integer (see IPAddress.value). */
    readonly value: bigint,
  ) {}

  /** The network containing `ip` at `prefixLength` (host bits are masked off). */
  static of(ip: IPAddress, prefixLength: number): Cidr {
    const bits = hostPrefixLength(ip.family);
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
      throw new AddressError(`${ip.address}/${prefixLength}`, `prefix length must be 0..${bits}`);
    }
    const network = ip.value & maskOf(bits, prefixLength);
    const address = network === ip.value ? ip : IPAddress.fromValue(ip.family, network);
    return new Cidr(ip.family, address.address, prefixLength, network);
  }

  /** The network address as an IPAddress. */
  get network(): IPAddress {
    return IPAddress.fromValue(this.family, this.value);
  }

  /** The last address of the range (the IPv4 broadcast address). */
  get last(): IPAddress {
    const bits = hostPrefixLength(this.family);
    const hostMask = ((1n << BigInt(bits)) - 1n) ^ maskOf(bits, this.prefixLength);
    return IPAddress.fromValue(this.family, this.value | hostMask);
  }

  get isHost(): boolean {
    return this.prefixLength === hostPrefixLength(this.family);
  }

  equals(other: Cidr): boolean {
    return this.family === other.family && this.value === other.value && this.prefixLength === other.prefixLength;
  }

  toString(): string {
    return `${this.address}/${this.prefixLength}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

export interface ParseCidrOptions {
  /**
   * Reject CIDRs with host bits set (`10.0.0.1/24`). Default false: such input is
   * masked to its network (`10.0.0.0/24`), which is what Go's net.ParseCIDR, and so
   * kube-router and Kubernetes' own IP-block handling, do.
   */
  readonly strict?: boolean;
}

/** Parses a CIDR to its canonical network form; throws AddressError with the reason. */
export function parseCIDR(input: string, options: ParseCidrOptions = {}): Cidr {
  const result = parseCidrInternal(input, options.strict ?? false);
  if (typeof result === 'string') throw new AddressError(input, result);
  return result.cidr;
}

export function tryParseCIDR(input: string, options: ParseCidrOptions = {}): Cidr | undefined {
  const result = parseCidrInternal(input, options.strict ?? false);
  return typeof result === 'string' ? undefined : result.cidr;
}

export function isCIDR(input: string, options: ParseCidrOptions = {}): boolean {
  return typeof parseCidrInternal(input, options.strict ?? false) !== 'string';
}

/**
 * An interface address such as `10.0.0.5/24` (what `ip addr` shows): the address and its
 * network, like Go's net.ParseCIDR returns both.
 */
export function parseInterfaceAddress(input: string): { ip: IPAddress; cidr: Cidr } {
  const result = parseCidrInternal(input, false);
  if (typeof result === 'string') throw new AddressError(input, result);
  return result;
}

/** Accepts either form; strings are parsed leniently (and may throw AddressError). */
export function toCidr(input: string | Cidr): Cidr {
  return typeof input === 'string' ? parseCIDR(input) : input;
}

/** The host route of an address: `/32` for IPv4, `/128` for IPv6. */
export function hostCidr(ip: string | IPAddress): Cidr {
  const address = toIP(ip);
  return Cidr.of(address, hostPrefixLength(address.family));
}

/** Whether `ip` lies in `cidr`. Addresses of the other family are never contained. */
export function contains(cidr: string | Cidr, ip: string | IPAddress): boolean {
  const network = toCidr(cidr);
  const address = toIP(ip);
  if (network.family !== address.family) return false;
  return (address.value & maskOf(hostPrefixLength(network.family), network.prefixLength)) === network.value;
}

/** Whether `inner` is a subnet of (or equal to) `outer`. */
export function containsCidr(outer: string | Cidr, inner: string | Cidr): boolean {
  const a = toCidr(outer);
  const b = toCidr(inner);
  if (a.family !== b.family || b.prefixLength < a.prefixLength) return false;
  return (b.value & maskOf(hostPrefixLength(a.family), a.prefixLength)) === a.value;
}

/** Whether two networks share any address (for CIDRs: one contains the other). */
export function overlaps(a: string | Cidr, b: string | Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

function maskOf(bits: number, prefixLength: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefixLength)) << BigInt(bits - prefixLength);
}

function parseCidrInternal(input: string, strict: boolean): { ip: IPAddress; cidr: Cidr } | string {
  if (typeof input !== 'string') return 'not a string';
  const slash = input.indexOf('/');
  if (slash < 0) return 'missing "/<prefix length>"';
  const addressText = input.slice(0, slash);
  const prefixText = input.slice(slash + 1);
  const ip = parseIPInternal(addressText);
  if (typeof ip === 'string') return ip;
  const bits = hostPrefixLength(ip.family);
  // Decimal digits only, no sign or leading zeros: "/024" or "/+24" are typos, not intent.
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    return `prefix length must be an integer 0..${bits}`;
  }
  const cidr = Cidr.of(ip, Number(prefixText));
  if (strict && cidr.value !== ip.value) {
    return `host bits set (the network is ${cidr.toString()})`;
  }
  return { ip, cidr };
}
