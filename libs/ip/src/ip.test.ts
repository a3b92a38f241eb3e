import { describe, expect, it } from 'vitest';
import { AddressError } from '@kr/errors';
import {
  Cidr,
  canonicalIP,
  compareIPs,
  contains,
  containsCidr,
  dualStackPair,
  familyOf,
  filterFamilies,
  firstPerFamily,
  hostCidr,
  hostPrefixLength,
  familyFromKubernetes,
  isCIDR,
  isCidrOfFamily,
  isIP,
  kubernetesFamilyName,
  otherFamily,
  isIPv4Mapped,
  overlaps,
  parseCIDR,
  parseCidrList,
  parseDualStackCIDRs,
  parseDualStackIPs,
  parseIP,
  parseIPList,
  parseInterfaceAddress,
  parseListSettled,
  perFamilyList,
  sortCIDRs,
  sortIPs,
  splitList,
  tryParseCIDR,
  tryParseIP,
  unmapIPv4,
  type Family,
} from './index.js';

// Test IP plan (documentation / ULA ranges only):
//   IPv4: 10.0.0.0/24 pod range, 192.0.2.0/24 (TEST-NET-1) node addresses
//   IPv6: fd00::/64 pod range, 2001:db8::/32 (documentation) node addresses
//   mapped: ::ffff:10.0.0.1 — an IPv6 address that embeds an IPv4 one

function thrownBy(fn: () => unknown): AddressError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AddressError) return err;
    throw err;
  }
  throw new Error('expected an AddressError');
}

describe('parseIP', () => {
  it.each<{ input: string; family: Family; canonical: string }>([
    { input: '10.0.0.1', family: 'ipv4', canonical: '10.0.0.1' },
    { input: '0.0.0.0', family: 'ipv4', canonical: '0.0.0.0' },
    { input: '255.255.255.255', family: 'ipv4', canonical: '255.255.255.255' },
    { input: '2001:DB8::1', family: 'ipv6', canonical: '2001:db8::1' },
    { input: '2001:0db8:0000:0000:0000:0000:0000:0001', family: 'ipv6', canonical: '2001:db8::1' },
    { input: 'fd00:0:0:1:0:0:0:5', family: 'ipv6', canonical: 'fd00:0:0:1::5' },
    { input: '::', family: 'ipv6', canonical: '::' },
    { input: '::1', family: 'ipv6', canonical: '::1' },
    // mapped addresses stay IPv6 (see IPAddress doc) and keep mixed notation
    { input: '::ffff:10.0.0.1', family: 'ipv6', canonical: '::ffff:10.0.0.1' },
    { input: '::FFFF:a00:1', family: 'ipv6', canonical: '::ffff:10.0.0.1' },
  ])('$input → $canonical ($family)', ({ input, family, canonical }) => {
    const ip = parseIP(input);
    expect(ip.family).toBe(family);
    expect(ip.address).toBe(canonical);
    expect(String(ip)).toBe(canonical);
    expect(tryParseIP(input)?.address).toBe(canonical);
    expect(isIP(input)).toBe(true);
    expect(canonicalIP(input)).toBe(canonical);
  });

  it.each([
    { input: '', reason: /empty/ },
    { input: 'garbage', reason: /IPv4/ },
    { input: '10.0.0', reason: /IPv4/ },
    { input: '10.0.0.256', reason: /IPv4/ },
    { input: '010.0.0.1', reason: /IPv4/ },
    { input: '0x0a.0.0.1', reason: /IPv4/ },
    { input: ' 10.0.0.1', reason: /whitespace/ },
    { input: '10.0.0.1/32', reason: /CIDR/ },
    { input: '2001:db8::1::2', reason: /IPv6/ },
    { input: '2001:db8::g', reason: /IPv6/ },
    { input: 'fe80::1%eth0', reason: /zone/ },
    { input: '::ffff:010.0.0.1', reason: /embedded IPv4/ },
    { input: 'fd00::/64', reason: /CIDR/ },
  ])('rejects $input', ({ input, reason }) => {
    const err = thrownBy(() => parseIP(input));
    expect(err.input).toBe(input);
    expect(err.reason).toMatch(reason);
    expect(tryParseIP(input)).toBeUndefined();
    expect(isIP(input)).toBe(false);
  });

  it('converts mapped addresses only on request', () => {
    const mapped = parseIP('::ffff:10.0.0.1');
    expect(isIPv4Mapped(mapped)).toBe(true);
    expect(unmapIPv4(mapped).address).toBe('10.0.0.1');
    expect(unmapIPv4(mapped).family).toBe('ipv4');
    expect(isIPv4Mapped(parseIP('fd00::1'))).toBe(false);
    expect(unmapIPv4(parseIP('fd00::1')).address).toBe('fd00::1');
    // a mapped address is not "the same" as the IPv4 one
    expect(mapped.equals(parseIP('10.0.0.1'))).toBe(false);
  });
});

describe('parseCIDR', () => {
  it.each<{ input: string; strict: string | RegExp; lenient: string; family: Family }>([
    { input: '10.0.0.0/24', strict: '10.0.0.0/24', lenient: '10.0.0.0/24', family: 'ipv4' },
    { input: '10.0.0.1/24', strict: /host bits set \(the network is 10\.0\.0\.0\/24\)/, lenient: '10.0.0.0/24', family: 'ipv4' },
    { input: '10.0.0.1/32', strict: '10.0.0.1/32', lenient: '10.0.0.1/32', family: 'ipv4' },
    { input: '0.0.0.0/0', strict: '0.0.0.0/0', lenient: '0.0.0.0/0', family: 'ipv4' },
    { input: 'FD00::/64', strict: 'fd00::/64', lenient: 'fd00::/64', family: 'ipv6' },
    { input: 'fd00::5/64', strict: /host bits set \(the network is fd00::\/64\)/, lenient: 'fd00::/64', family: 'ipv6' },
    { input: '2001:db8:0:0:1::/80', strict: '2001:db8:0:0:1::/80', lenient: '2001:db8:0:0:1::/80', family: 'ipv6' },
    { input: '::/0', strict: '::/0', lenient: '::/0', family: 'ipv6' },
    { input: '::ffff:10.0.0.0/120', strict: '::ffff:10.0.0.0/120', lenient: '::ffff:10.0.0.0/120', family: 'ipv6' },
  ])('$input ($family)', ({ input, strict, lenient, family }) => {
    const cidr = parseCIDR(input);
    expect(cidr.toString()).toBe(lenient);
    expect(cidr.family).toBe(family);
    if (typeof strict === 'string') {
      expect(parseCIDR(input, { strict: true }).toString()).toBe(strict);
    } else {
      const err = thrownBy(() => parseCIDR(input, { strict: true }));
      expect(err.input).toBe(input);
      expect(err.reason).toMatch(strict);
      expect(isCIDR(input, { strict: true })).toBe(false);
    }
  });

  it.each([
    { input: '10.0.0.0', reason: /missing/ },
    { input: '10.0.0.0/33', reason: /0\.\.32/ },
    { input: '10.0.0.0/024', reason: /0\.\.32/ },
    { input: '10.0.0.0/-1', reason: /0\.\.32/ },
    { input: '10.0.0.0/', reason: /0\.\.32/ },
    { input: 'fd00::/129', reason: /0\.\.128/ },
    { input: 'fd00::/64/1', reason: /0\.\.128/ },
    { input: 'garbage/8', reason: /IPv4/ },
    { input: 'fe80::%eth0/64', reason: /zone/ },
    { input: '', reason: /missing/ },
  ])('rejects $input', ({ input, reason }) => {
    const err = thrownBy(() => parseCIDR(input));
    expect(err.input).toBe(input);
    expect(err.reason).toMatch(reason);
    expect(tryParseCIDR(input)).toBeUndefined();
    expect(isCIDR(input)).toBe(false);
  });

  it.each([
    { input: '10.0.0.5/24', ip: '10.0.0.5', cidr: '10.0.0.0/24' },
    { input: 'fd00::5/64', ip: 'fd00::5', cidr: 'fd00::/64' },
  ])('parseInterfaceAddress $input', ({ input, ip, cidr }) => {
    const parsed = parseInterfaceAddress(input);
    expect(parsed.ip.address).toBe(ip);
    expect(parsed.cidr.toString()).toBe(cidr);
  });

  it.each([
    { cidr: '10.0.0.0/24', network: '10.0.0.0', last: '10.0.0.255', isHost: false },
    { cidr: '10.0.0.7/32', network: '10.0.0.7', last: '10.0.0.7', isHost: true },
    { cidr: 'fd00::/64', network: 'fd00::', last: 'fd00::ffff:ffff:ffff:ffff', isHost: false },
    { cidr: 'fd00::7/128', network: 'fd00::7', last: 'fd00::7', isHost: true },
  ])('range of $cidr', ({ cidr, network, last, isHost }) => {
    const parsed = parseCIDR(cidr);
    expect(parsed.network.address).toBe(network);
    expect(parsed.last.address).toBe(last);
    expect(parsed.isHost).toBe(isHost);
  });
});

describe('host prefixes', () => {
  it.each([
    { ip: '10.0.0.1', cidr: '10.0.0.1/32', bits: 32 },
    { ip: '2001:DB8::1', cidr: '2001:db8::1/128', bits: 128 },
  ])('$ip → $cidr', ({ ip, cidr, bits }) => {
    expect(hostCidr(ip).toString()).toBe(cidr);
    expect(hostPrefixLength(familyOf(ip))).toBe(bits);
  });
});

describe('containment', () => {
  it.each([
    { cidr: '10.0.0.0/24', ip: '10.0.0.5', expected: true },
    { cidr: '10.0.0.0/24', ip: '10.0.1.5', expected: false },
    { cidr: '0.0.0.0/0', ip: '192.0.2.1', expected: true },
    { cidr: 'fd00::/64', ip: 'fd00::5', expected: true },
    { cidr: 'fd00::/64', ip: 'fd00:0:0:1::5', expected: false },
    { cidr: '::/0', ip: '2001:db8::1', expected: true },
    // families never mix, not even through mapped addresses or the catch-all routes
    { cidr: '0.0.0.0/0', ip: 'fd00::5', expected: false },
    { cidr: '::/0', ip: '10.0.0.5', expected: false },
    { cidr: '10.0.0.0/24', ip: '::ffff:10.0.0.5', expected: false },
    { cidr: '::ffff:10.0.0.0/120', ip: '::ffff:10.0.0.5', expected: true },
  ])('$cidr contains $ip: $expected', ({ cidr, ip, expected }) => {
    expect(contains(cidr, ip)).toBe(expected);
    expect(contains(parseCIDR(cidr), parseIP(ip))).toBe(expected);
  });

  it.each([
    { a: '10.0.0.0/16', b: '10.0.1.0/24', aContainsB: true, overlap: true },
    { a: '10.0.1.0/24', b: '10.0.0.0/16', aContainsB: false, overlap: true },
    { a: '10.0.0.0/24', b: '10.0.0.0/24', aContainsB: true, overlap: true },
    { a: '10.0.0.0/24', b: '10.0.1.0/24', aContainsB: false, overlap: false },
    { a: 'fd00::/48', b: 'fd00:0:0:1::/64', aContainsB: true, overlap: true },
    { a: 'fd00:0:0:1::/64', b: 'fd00:0:0:2::/64', aContainsB: false, overlap: false },
    { a: '0.0.0.0/0', b: '::/0', aContainsB: false, overlap: false },
    { a: '10.0.0.0/8', b: 'fd00::/64', aContainsB: false, overlap: false },
  ])('$a vs $b', ({ a, b, aContainsB, overlap }) => {
    expect(containsCidr(a, b)).toBe(aContainsB);
    expect(overlaps(a, b)).toBe(overlap);
    expect(overlaps(b, a)).toBe(overlap);
  });

  it('throws on garbage instead of answering false', () => {
    expect(() => contains('10.0.0.0/24', 'nope')).toThrow(AddressError);
    expect(() => overlaps('nope', '10.0.0.0/24')).toThrow(AddressError);
  });
});

describe('ordering', () => {
  it.each<{ name: string; input: string[]; first?: Family; expected: string[] }>([
    { name: 'ipv4 numeric, not lexical', input: ['10.0.0.10', '10.0.0.9', '9.0.0.1'], expected: ['9.0.0.1', '10.0.0.9', '10.0.0.10'] },
    { name: 'ipv6 numeric', input: ['fd00::10', 'fd00::9', '2001:db8::1'], expected: ['2001:db8::1', 'fd00::9', 'fd00::10'] },
    { name: 'dual: ipv4 first by default', input: ['fd00::1', '10.0.0.2', '::1', '10.0.0.1'], expected: ['10.0.0.1', '10.0.0.2', '::1', 'fd00::1'] },
    { name: 'dual: ipv6 first on request', input: ['10.0.0.1', 'fd00::1'], first: 'ipv6', expected: ['fd00::1', '10.0.0.1'] },
    { name: 'mapped sorts as ipv6', input: ['::ffff:10.0.0.1', '10.0.0.2'], expected: ['10.0.0.2', '::ffff:10.0.0.1'] },
  ])('sortIPs: $name', ({ input, first, expected }) => {
    expect(sortIPs(input, first ? { first } : {})).toEqual(expected);
  });

  it.each<{ name: string; input: string[]; first?: Family; expected: string[] }>([
    { name: 'ipv4 by network then length', input: ['10.0.1.0/24', '10.0.0.0/24', '10.0.0.0/16'], expected: ['10.0.0.0/16', '10.0.0.0/24', '10.0.1.0/24'] },
    { name: 'ipv6', input: ['fd00:0:0:2::/64', 'fd00::/48', 'fd00:0:0:1::/64'], expected: ['fd00::/48', 'fd00:0:0:1::/64', 'fd00:0:0:2::/64'] },
    { name: 'dual', input: ['fd00::/64', '10.0.0.0/24'], expected: ['10.0.0.0/24', 'fd00::/64'] },
    { name: 'dual ipv6 first', input: ['10.0.0.0/24', 'fd00::/64'], first: 'ipv6', expected: ['fd00::/64', '10.0.0.0/24'] },
  ])('sortCIDRs: $name', ({ input, first, expected }) => {
    expect(sortCIDRs(input, first ? { first } : {})).toEqual(expected);
  });

  it('compareIPs is consistent with equality', () => {
    expect(compareIPs('2001:DB8::1', '2001:db8::1')).toBe(0);
    expect(compareIPs('10.0.0.1', 'fd00::1')).toBeLessThan(0);
    expect(compareIPs('10.0.0.1', 'fd00::1', { first: 'ipv6' })).toBeGreaterThan(0);
  });
});

describe('lists and dual-stack pairing', () => {
  it.each([
    { input: '10.0.0.0/24', ipv4: '10.0.0.0/24', ipv6: undefined },
    { input: 'fd00::/64', ipv4: undefined, ipv6: 'fd00::/64' },
    { input: '10.0.0.0/24,fd00::/64', ipv4: '10.0.0.0/24', ipv6: 'fd00::/64' },
    { input: ' fd00::/64 , 10.0.0.0/24 ,', ipv4: '10.0.0.0/24', ipv6: 'fd00::/64' },
    { input: '', ipv4: undefined, ipv6: undefined },
  ])('parseDualStackCIDRs "$input"', ({ input, ipv4, ipv6 }) => {
    const pair = parseDualStackCIDRs(input);
    expect(pair.ipv4?.toString()).toBe(ipv4);
    expect(pair.ipv6?.toString()).toBe(ipv6);
  });

  it.each([
    { input: '10.0.0.0/24,10.0.1.0/24', reason: /more than one ipv4 entry \(10\.0\.0\.0\/24 and 10\.0\.1\.0\/24\)/ },
    { input: 'fd00::/64,fd01::/64', reason: /more than one ipv6 entry/ },
    { input: '10.0.0.0/24,fd00::/64,fd01::/64', reason: /more than one ipv6 entry/ },
  ])('dual-stack lists allow one per family: $input', ({ input, reason }) => {
    const err = thrownBy(() => parseDualStackCIDRs(input));
    expect(err.input).toBe(input);
    expect(err.reason).toMatch(reason);
    expect(err.reason).toMatch(/at most one per family/);
  });

  it.each([
    { input: '10.0.0.1', ipv4: '10.0.0.1', ipv6: undefined },
    { input: '2001:DB8::1', ipv4: undefined, ipv6: '2001:db8::1' },
    { input: '2001:db8::1,10.0.0.1', ipv4: '10.0.0.1', ipv6: '2001:db8::1' },
  ])('parseDualStackIPs "$input"', ({ input, ipv4, ipv6 }) => {
    const pair = parseDualStackIPs(input);
    expect(pair.ipv4?.address).toBe(ipv4);
    expect(pair.ipv6?.address).toBe(ipv6);
    expect(perFamilyList(pair).map(String)).toEqual([ipv4, ipv6].filter(Boolean));
  });

  it.each([
    { input: ['10.0.0.1', '10.0.0.2', 'fd00::1'], ipv4: '10.0.0.1', ipv6: 'fd00::1' },
    { input: ['fd00::2', 'fd00::1'], ipv4: undefined, ipv6: 'fd00::2' },
    { input: ['10.0.0.2'], ipv4: '10.0.0.2', ipv6: undefined },
  ])('firstPerFamily $input', ({ input, ipv4, ipv6 }) => {
    const pair = firstPerFamily(parseIPList(input));
    expect(pair.ipv4?.address).toBe(ipv4);
    expect(pair.ipv6?.address).toBe(ipv6);
  });

  it('perFamilyList honours the preferred family', () => {
    const pair = dualStackPair(parseCidrList('10.0.0.0/24,fd00::/64'));
    expect(perFamilyList(pair, 'ipv6').map(String)).toEqual(['fd00::/64', '10.0.0.0/24']);
  });

  it('parseCidrList names the bad item', () => {
    const err = thrownBy(() => parseCidrList('10.0.0.0/24,fd00::/129'));
    expect(err.input).toBe('fd00::/129');
  });

  it('parseListSettled keeps the good items and reports each bad one', () => {
    const { values, errors } = parseListSettled('10.0.0.0/24, junk, fd00::/64, 10.0.0.1', (s) => parseCIDR(s));
    expect(values.map(String)).toEqual(['10.0.0.0/24', 'fd00::/64']);
    expect(errors.map((e) => e.input)).toEqual(['junk', '10.0.0.1']);
  });

  it('splitList trims and drops empty items', () => {
    expect(splitList(' a, ,b ,')).toEqual(['a', 'b']);
    expect(splitList('')).toEqual([]);
  });
});

describe('family filter', () => {
  const items = parseCidrList('10.0.0.0/24,fd00::/64,192.0.2.0/24');
  it.each([
    { enabled: { ipv4: true, ipv6: false }, kept: ['10.0.0.0/24', '192.0.2.0/24'], dropped: ['fd00::/64'] },
    { enabled: { ipv4: false, ipv6: true }, kept: ['fd00::/64'], dropped: ['10.0.0.0/24', '192.0.2.0/24'] },
    { enabled: { ipv4: true, ipv6: true }, kept: ['10.0.0.0/24', 'fd00::/64', '192.0.2.0/24'], dropped: [] },
  ])('enabled $enabled', ({ enabled, kept, dropped }) => {
    const result = filterFamilies(items, enabled);
    expect(result.kept.map(String)).toEqual(kept);
    expect(result.dropped.map((d) => String(d.item))).toEqual(dropped);
    for (const d of result.dropped) expect(d.reason).toBe(`${d.family} is not enabled`);
  });
});

describe('familyOf', () => {
  it.each<{ input: string; family: Family }>([
    { input: '10.0.0.1', family: 'ipv4' },
    { input: '10.0.0.0/24', family: 'ipv4' },
    { input: 'fd00::1', family: 'ipv6' },
    { input: 'fd00::/64', family: 'ipv6' },
    { input: '::ffff:10.0.0.1', family: 'ipv6' },
  ])('$input → $family', ({ input, family }) => {
    expect(familyOf(input)).toBe(family);
  });

  it('rejects garbage', () => {
    expect(thrownBy(() => familyOf('nope')).reason).toMatch(/neither an address nor a CIDR/);
  });

  it.each<{ input: string; family: Family; expected: boolean }>([
    { input: '10.0.0.0/24', family: 'ipv4', expected: true },
    { input: '10.0.0.0/24', family: 'ipv6', expected: false },
    { input: 'fd00::/64', family: 'ipv6', expected: true },
    { input: '10.0.0.1', family: 'ipv4', expected: false },
    { input: 'junk', family: 'ipv6', expected: false },
  ])('isCidrOfFamily($input, $family) = $expected', ({ input, family, expected }) => {
    expect(isCidrOfFamily(input, family)).toBe(expected);
  });

  it.each<{ family: Family; k8s: 'IPv4' | 'IPv6'; other: Family }>([
    { family: 'ipv4', k8s: 'IPv4', other: 'ipv6' },
    { family: 'ipv6', k8s: 'IPv6', other: 'ipv4' },
  ])('Kubernetes spelling of $family', ({ family, k8s, other }) => {
    expect(kubernetesFamilyName(family)).toBe(k8s);
    expect(familyFromKubernetes(k8s)).toBe(family);
    expect(otherFamily(family)).toBe(other);
    expect(familyFromKubernetes(family)).toBeUndefined();
  });

  it('Cidr.of masks and validates prefix lengths', () => {
    expect(Cidr.of(parseIP('fd00::1'), 64).toString()).toBe('fd00::/64');
    expect(() => Cidr.of(parseIP('10.0.0.1'), 33)).toThrow(AddressError);
  });
});
