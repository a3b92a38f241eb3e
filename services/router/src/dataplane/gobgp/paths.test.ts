// PathSpec ↔ GoBGP Path mapping, without gobgpd: what goes on the wire per family and
// what comes back.
//
// Test IP plan: node 198.18.0.1 / fd42:198:18::1, pods 10.244.1.0/24 / fd00:10:244:1::/64,
// VIPs 10.96.0.10/32 / fd00:96::10/128, peer 198.18.0.2.
import { parseCIDR, parseIP } from '@kr/ip';
import { gobgp, gobgpAttr } from '@kr/proto/gobgp';
import { describe, expect, it } from 'vitest';
import type { PathSpec } from '../../model/bgp-types.js';
import { anyTypeName, packAny, unpackAny } from './any.js';
import { GobgpSpecError } from './errors.js';
import { toApiFamily } from './families.js';
import { fromApiPath, pathKey, pathMatches, toApiPath, toApiWithdrawal } from './paths.js';

const NODE_V6 = parseIP('fd42:198:18::1');

const spec = (prefix: string, nextHop: string, extra: Partial<PathSpec> = {}): PathSpec => ({
  prefix: parseCIDR(prefix),
  nextHop: parseIP(nextHop),
  kind: 'pod-cidr',
  ...extra,
});

describe('toApiPath', () => {
  const rows = [
    { name: 'IPv4 pod CIDR', path: spec('10.244.1.0/24', '198.18.0.1'), attrs: ['OriginAttribute', 'NextHopAttribute'], nextHops: ['198.18.0.1'] },
    { name: 'IPv6 pod CIDR', path: spec('fd00:10:244:1::/64', 'fd42:198:18::1'), attrs: ['OriginAttribute', 'MpReachNLRIAttribute'], nextHops: ['fd42:198:18::1'] },
    {
      name: 'IPv4 VIP with communities',
      path: spec('10.96.0.10/32', '198.18.0.1', { kind: 'cluster-ip', communities: ['64512:100', 'no-export', '64512:100'] }),
      attrs: ['OriginAttribute', 'NextHopAttribute', 'CommunitiesAttribute'],
      nextHops: ['198.18.0.1'],
    },
    {
      name: 'IPv6 VIP with communities',
      path: spec('fd00:96::10/128', 'fd42:198:18::1', { kind: 'cluster-ip', communities: ['4194304100'] }),
      attrs: ['OriginAttribute', 'MpReachNLRIAttribute', 'CommunitiesAttribute'],
      nextHops: ['fd42:198:18::1'],
    },
  ];
  it.each(rows)('$name: next hop of the prefix family, attributes GoBGP understands', ({ path, attrs, nextHops }) => {
    const api = toApiPath(path);
    expect(api.family).toEqual(toApiFamily(path.prefix.family));
    expect(api.pattrs.map(anyTypeName)).toEqual(attrs);
    const nlri = unpackAny(api.nlri!, 'IPAddressPrefix', gobgpAttr.IPAddressPrefix);
    expect(nlri).toEqual({ prefix: path.prefix.address, prefixLen: path.prefix.prefixLength });
    const decoded = fromApiPath(api)!;
    expect(decoded.nextHop.address).toBe(nextHops[0]);
    expect(decoded.prefix.equals(path.prefix)).toBe(true);
    expect(pathMatches(path, decoded)).toBe(true);
    if (path.prefix.family === 'ipv6') {
      // MP_REACH carries the NLRI too: GoBGP rejects an MP_REACH without one.
      const mp = unpackAny(api.pattrs[1]!, 'MpReachNLRIAttribute', gobgpAttr.MpReachNLRIAttribute)!;
      expect(mp.nextHops).toEqual(nextHops);
      expect(mp.nlris).toHaveLength(1);
    }
  });

  const invalid = [
    { name: 'IPv6 prefix with an IPv4 next hop', path: spec('fd00:10:244:1::/64', '198.18.0.1'), reason: /not ipv6/ },
    { name: 'IPv4 prefix with an IPv6 next hop', path: spec('10.244.1.0/24', 'fd42:198:18::1'), reason: /not ipv4/ },
    { name: 'IPv6 prefix with an IPv4-mapped next hop', path: spec('fd00:10:244:1::/64', '::ffff:198.18.0.1'), reason: /IPv4-mapped/ },
    { name: 'an unparsable community', path: spec('10.244.1.0/24', '198.18.0.1', { communities: ['65536:1'] }), reason: /community/ },
    { name: 'AS-path prepend on the path', path: spec('10.244.1.0/24', '198.18.0.1', { asPathPrepend: { asn: 64512, repeat: 2 } }), reason: /export policy/ },
  ];
  it.each(invalid)('refuses $name', ({ path, reason }) => {
    expect(() => toApiPath(path)).toThrow(GobgpSpecError);
    expect(() => toApiPath(path)).toThrow(reason);
  });
});

describe('toApiWithdrawal', () => {
  it.each([
    { prefix: '10.244.1.0/24', nextHop: undefined, expected: '0.0.0.0' },
    { prefix: 'fd00:10:244:1::/64', nextHop: undefined, expected: '::' },
    { prefix: 'fd00:10:244:1::/64', nextHop: NODE_V6, expected: 'fd42:198:18::1' },
    // A next hop of the other family is not used.
    { prefix: '10.244.1.0/24', nextHop: NODE_V6, expected: '0.0.0.0' },
  ])('$prefix withdraws with next hop $expected', ({ prefix, nextHop, expected }) => {
    const api = toApiWithdrawal(parseCIDR(prefix), nextHop);
    expect(api.isWithdraw).toBe(true);
    expect(fromApiPath(api)!.nextHop.address).toBe(expected);
  });
});

describe('fromApiPath', () => {
  const learned = (prefix: string, pattrs: gobgp.Path['pattrs'], extra: Partial<gobgp.Path> = {}) => {
    const cidr = parseCIDR(prefix);
    return gobgp.Path.fromPartial({
      nlri: packAny('IPAddressPrefix', gobgpAttr.IPAddressPrefix, { prefix: cidr.address, prefixLen: cidr.prefixLength }),
      pattrs,
      family: toApiFamily(cidr.family),
      neighborIp: '198.18.0.2',
      best: true,
      ...extra,
    });
  };
  const mpReach = (nextHops: string[]) => packAny('MpReachNLRIAttribute', gobgpAttr.MpReachNLRIAttribute, { family: toApiFamily('ipv6'), nextHops, nlris: [] });
  const asPath = (numbers: number[]) => packAny('AsPathAttribute', gobgpAttr.AsPathAttribute, { segments: [{ type: gobgpAttr.AsSegment_Type.AS_SEQUENCE, numbers }] });

  it.each([
    {
      name: 'IPv4 from a peer',
      path: learned('10.244.2.0/24', [packAny('NextHopAttribute', gobgpAttr.NextHopAttribute, { nextHop: '198.18.0.2' }), asPath([64513])]),
      want: { prefix: '10.244.2.0/24', nextHop: '198.18.0.2', peer: '198.18.0.2', asPath: [64513], local: false },
    },
    {
      name: 'IPv6 with global and link-local next hops: the global one',
      path: learned('fd00:10:244:2::/64', [mpReach(['fe80::1', 'fd42:198:18::2'])]),
      want: { prefix: 'fd00:10:244:2::/64', nextHop: 'fd42:198:18::2', peer: '198.18.0.2', asPath: [], local: false },
    },
    {
      // Go prints ::ffff:198.18.0.2 as "198.18.0.2"; it stays an IPv6 (mapped) next hop.
      name: 'IPv6 whose next hop GoBGP reports as dotted quad: IPv4-mapped',
      path: learned('fd00:10:244:2::/64', [mpReach(['198.18.0.2'])]),
      want: { prefix: 'fd00:10:244:2::/64', nextHop: '::ffff:198.18.0.2', peer: '198.18.0.2', asPath: [], local: false },
    },
    {
      name: 'a local path (no source address)',
      path: learned('10.244.1.0/24', [packAny('NextHopAttribute', gobgpAttr.NextHopAttribute, { nextHop: '198.18.0.1' })], { neighborIp: '<nil>' }),
      want: { prefix: '10.244.1.0/24', nextHop: '198.18.0.1', peer: undefined, asPath: [], local: true },
    },
  ])('$name', ({ path, want }) => {
    const got = fromApiPath(path)!;
    expect({ prefix: got.prefix.toString(), nextHop: got.nextHop.address, peer: got.peer?.address, asPath: got.asPath, local: got.local }).toEqual(want);
  });

  it('skips families other than IPv4/IPv6 unicast', () => {
    const path = learned('10.244.2.0/24', []);
    expect(fromApiPath({ ...path, family: { afi: gobgp.Family_Afi.AFI_IP, safi: gobgp.Family_Safi.SAFI_MPLS_VPN } })).toBeUndefined();
  });
});

describe('pathMatches and pathKey', () => {
  const base = spec('10.244.1.0/24', '198.18.0.1', { communities: ['64512:100', '64512:200'] });
  it.each([
    { name: 'same, communities in another order and spelling', other: spec('10.244.1.0/24', '198.18.0.1', { communities: ['4227858632', '64512:100'] }), match: true },
    { name: 'other next hop', other: spec('10.244.1.0/24', '198.18.0.3', { communities: ['64512:100', '64512:200'] }), match: false },
    { name: 'other communities', other: spec('10.244.1.0/24', '198.18.0.1', { communities: ['64512:100'] }), match: false },
    { name: 'other prefix', other: spec('10.244.2.0/24', '198.18.0.1', { communities: ['64512:100', '64512:200'] }), match: false },
  ])('$name → $match', ({ other, match }) => {
    expect(pathMatches(base, other)).toBe(match);
  });
  it('keys a path by its prefix, per family', () => {
    expect([spec('10.244.1.0/24', '198.18.0.1'), spec('fd00:10:244:1::/64', 'fd42:198:18::1')].map(pathKey)).toEqual(['10.244.1.0/24', 'fd00:10:244:1::/64']);
  });
});
