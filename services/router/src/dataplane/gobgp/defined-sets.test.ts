// DefinedSetSpec ↔ GoBGP defined sets: dual-stack prefix sets as per-family pairs,
// sentinels that keep sets from being empty, and in-place edits.
//
// Test IP plan: pods 10.244.0.0/16 / fd00:10:244::/48, VIPs 10.96.0.0/16 / fd00:96::/112,
// peers 198.18.0.2 / fd42:198:18::2.
import { parseCIDR } from '@kr/ip';
import { gobgp } from '@kr/proto/gobgp';
import { describe, expect, it } from 'vitest';
import type { DefinedSetSpec } from '../../model/bgp-types.js';
import { definedSetChanges, definedSetEquals, fromApiDefinedSets, toApiDefinedSets } from './defined-sets.js';

const entry = (cidr: string, maskLengthMin: number, maskLengthMax: number) => ({ cidr: parseCIDR(cidr), maskLengthMin, maskLengthMax });
const prefixSet = (name: string, ...prefixes: ReturnType<typeof entry>[]): DefinedSetSpec => ({ kind: 'prefix', name, prefixes });

const V4 = entry('10.96.0.0/16', 16, 32);
const V6 = entry('fd00:96::/112', 112, 128);

describe('toApiDefinedSets', () => {
  it.each([
    { name: 'IPv4 only', spec: prefixSet('vips', V4), v4: ['0.0.0.0/32 32..32', '10.96.0.0/16 16..32'], v6: ['::/128 128..128'] },
    { name: 'IPv6 only', spec: prefixSet('vips', V6), v4: ['0.0.0.0/32 32..32'], v6: ['::/128 128..128', 'fd00:96::/112 112..128'] },
    { name: 'dual-stack', spec: prefixSet('vips', V4, V6), v4: ['0.0.0.0/32 32..32', '10.96.0.0/16 16..32'], v6: ['::/128 128..128', 'fd00:96::/112 112..128'] },
    { name: 'empty', spec: prefixSet('vips'), v4: ['0.0.0.0/32 32..32'], v6: ['::/128 128..128'] },
  ])('$name prefix set: one GoBGP set per family, each with its sentinel', ({ spec, v4, v6 }) => {
    const sets = toApiDefinedSets(spec);
    const text = (s: gobgp.DefinedSet) => s.prefixes.map((p) => `${p.ipPrefix} ${p.maskLengthMin}..${p.maskLengthMax}`);
    expect(sets.map((s) => [s.name, s.definedType])).toEqual([
      ['vips-ipv4', gobgp.DefinedType.PREFIX],
      ['vips-ipv6', gobgp.DefinedType.PREFIX],
    ]);
    expect(sets.map(text)).toEqual([v4, v6]);
    // Reading them back gives the spec (sentinels hidden).
    const [back] = fromApiDefinedSets(sets);
    expect(back && definedSetEquals(spec, back)).toBe(true);
  });

  it.each([
    { name: 'neighbour set of both families', spec: { kind: 'neighbor', name: 'peers', neighbors: [parseCIDR('198.18.0.2/32'), parseCIDR('fd42:198:18::2/128')] } as DefinedSetSpec, list: ['0.0.0.0/32', '198.18.0.2/32', 'fd42:198:18::2/128'] },
    { name: 'empty neighbour set', spec: { kind: 'neighbor', name: 'peers', neighbors: [] } as DefinedSetSpec, list: ['0.0.0.0/32'] },
    { name: 'community set', spec: { kind: 'community', name: 'c', communities: ['64512:100', '4227858632', 'no-export'] } as DefinedSetSpec, list: ['64512:100', '64512:200', '65535:65281'] },
  ])('$name: one GoBGP set', ({ spec, list }) => {
    const sets = toApiDefinedSets(spec);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.list).toEqual(list);
    const [back] = fromApiDefinedSets(sets);
    expect(back && definedSetEquals(spec, back)).toBe(true);
  });
});

describe('fromApiDefinedSets', () => {
  it('folds family pairs, reads GoBGP community regexps, keeps foreign sets by name', () => {
    const sets = [
      gobgp.DefinedSet.fromPartial({ definedType: gobgp.DefinedType.PREFIX, name: 'x-ipv6', prefixes: [{ ipPrefix: '::/128', maskLengthMin: 128, maskLengthMax: 128 }, { ipPrefix: 'fd00:96::/112', maskLengthMin: 112, maskLengthMax: 128 }] }),
      gobgp.DefinedSet.fromPartial({ definedType: gobgp.DefinedType.PREFIX, name: 'x-ipv4', prefixes: [{ ipPrefix: '10.96.0.0/16', maskLengthMin: 16, maskLengthMax: 32 }] }),
      gobgp.DefinedSet.fromPartial({ definedType: gobgp.DefinedType.PREFIX, name: 'legacy', prefixes: [{ ipPrefix: '10.0.0.0/8', maskLengthMin: 8, maskLengthMax: 8 }] }),
      gobgp.DefinedSet.fromPartial({ definedType: gobgp.DefinedType.COMMUNITY, name: 'c', list: ['^64512:100$', '^65.*'] }),
    ];
    const specs = fromApiDefinedSets(sets);
    expect(specs.map((s) => s.name)).toEqual(['c', 'legacy', 'x']);
    expect(definedSetEquals(specs[2]!, prefixSet('x', V6, V4))).toBe(true);
    expect(specs[0]).toEqual({ kind: 'community', name: 'c', communities: ['64512:100', '^65.*'] });
  });
});

describe('definedSetEquals', () => {
  it.each([
    { a: prefixSet('x', V4, V6), b: prefixSet('x', V6, V4, V4), equal: true },
    { a: prefixSet('x', V4), b: prefixSet('x', entry('10.96.0.0/16', 16, 24)), equal: false },
    { a: prefixSet('x', V4), b: prefixSet('y', V4), equal: false },
    { a: { kind: 'community', name: 'c', communities: ['no-export'] } as DefinedSetSpec, b: { kind: 'community', name: 'c', communities: ['65535:65281'] } as DefinedSetSpec, equal: true },
  ])('#%# → $equal', ({ a, b, equal }) => {
    expect(definedSetEquals(a, b)).toBe(equal);
  });
});

describe('definedSetChanges', () => {
  const names = (sets: gobgp.DefinedSet[]) => sets.map((s) => [s.name, ...s.prefixes.map((p) => p.ipPrefix), ...s.list]);
  it.each([
    { name: 'IPv4 → dual: add the IPv6 entry only', from: prefixSet('x', V4), to: prefixSet('x', V4, V6), add: [['x-ipv6', 'fd00:96::/112']], remove: [] },
    { name: 'dual → IPv6: remove the IPv4 entry only', from: prefixSet('x', V4, V6), to: prefixSet('x', V6), add: [], remove: [['x-ipv4', '10.96.0.0/16']] },
    { name: 'dual → empty: remove both, keep sentinels', from: prefixSet('x', V4, V6), to: prefixSet('x'), add: [], remove: [['x-ipv4', '10.96.0.0/16'], ['x-ipv6', 'fd00:96::/112']] },
    { name: 'mask range change: swap the entry', from: prefixSet('x', V4), to: prefixSet('x', entry('10.96.0.0/16', 16, 24)), add: [['x-ipv4', '10.96.0.0/16']], remove: [['x-ipv4', '10.96.0.0/16']] },
    {
      name: 'neighbours',
      from: { kind: 'neighbor', name: 'n', neighbors: [parseCIDR('198.18.0.2/32')] } as DefinedSetSpec,
      to: { kind: 'neighbor', name: 'n', neighbors: [parseCIDR('fd42:198:18::2/128')] } as DefinedSetSpec,
      add: [['n', 'fd42:198:18::2/128']],
      remove: [['n', '198.18.0.2/32']],
    },
  ])('$name', ({ from, to, add, remove }) => {
    const changes = definedSetChanges(to, from);
    expect(names(changes.add)).toEqual(add);
    expect(names(changes.remove)).toEqual(remove);
    expect(definedSetChanges(to, to)).toEqual({ add: [], remove: [] });
  });
});
