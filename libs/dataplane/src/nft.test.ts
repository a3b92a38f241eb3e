import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { NftExecutor, normaliseNftListing } from './nft.js';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from './testing/index.js';

// Test IP plan (inside throwaway namespaces only):
//   IPv4 198.18.0.0/24 allowed, 198.18.1.0/24 added later
//   IPv6 2001:db8:1::/64 allowed, 2001:db8:2::/64 added later
const TABLE = 'kube-router-test';

interface FamilyRow {
  name: string;
  family: 'ip' | 'ip6' | 'inet';
  /** Set declarations and rules, one per line, as nft prints them. */
  sets: { name: string; type: string; element: string; extra: string }[];
}

const rows: FamilyRow[] = [
  { name: 'IPv4', family: 'ip', sets: [{ name: 'allowed4', type: 'ipv4_addr', element: '198.18.0.0/24', extra: '198.18.1.0/24' }] },
  { name: 'IPv6', family: 'ip6', sets: [{ name: 'allowed6', type: 'ipv6_addr', element: '2001:db8:1::/64', extra: '2001:db8:2::/64' }] },
  {
    name: 'dual-stack',
    family: 'inet',
    sets: [
      { name: 'allowed4', type: 'ipv4_addr', element: '198.18.0.0/24', extra: '198.18.1.0/24' },
      { name: 'allowed6', type: 'ipv6_addr', element: '2001:db8:1::/64', extra: '2001:db8:2::/64' },
    ],
  },
];

function match(type: string): string {
  return type === 'ipv4_addr' ? 'ip saddr' : 'ip6 saddr';
}

function script(row: FamilyRow): string {
  const t = `${row.family} ${TABLE}`;
  return [
    `add table ${t}`,
    `flush table ${t}`,
    `add chain ${t} input { type filter hook input priority 0; policy accept; }`,
    ...row.sets.map((s) => `add set ${t} ${s.name} { type ${s.type}; flags interval; elements = { ${s.element} } }`),
    ...row.sets.map((s) => `add rule ${t} input ${match(s.type)} @${s.name} counter accept`),
    '',
  ].join('\n');
}

function expectedListing(row: FamilyRow): string {
  const sets = row.sets.map((s) => `\tset ${s.name} {\n\t\ttype ${s.type}\n\t\tflags interval\n\t\telements = { ${s.element} }\n\t}\n`);
  const rules = row.sets.map((s) => `\t\t${match(s.type)} @${s.name} counter accept`);
  return [
    `table ${row.family} ${TABLE} {`,
    sets.join('\n'),
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    ...rules,
    '\t}',
    '}',
  ].join('\n');
}

describe('normaliseNftListing', () => {
  it('drops counters, expiry and trailing space', () => {
    const raw = 'table ip t {\n\tcounter c {\n\t\tpackets 3 bytes 180\n\t}\n\tset s {\n\t\telements = { 198.18.0.1 expires 59m59s984ms }  \n\t}\n\tchain x {\n\t\tip saddr 198.18.0.1 counter packets 1 bytes 60 drop\n\t}\n}\n';
    expect(normaliseNftListing(raw)).toBe(
      'table ip t {\n\tcounter c {\n\t}\n\tset s {\n\t\telements = { 198.18.0.1 }\n\t}\n\tchain x {\n\t\tip saddr 198.18.0.1 counter drop\n\t}\n}',
    );
  });
});

describe.skipIf(!isRoot())(`NftExecutor in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it.each(rows)('$name: apply twice → changed, then unchanged; read back', async (row) => {
    await withNetns(async (netns) => {
      const nft = new NftExecutor({ netns });
      const ref = { family: row.family, name: TABLE };
      expect(await nft.tableExists(ref)).toBe(false);
      expect(await nft.listTable(ref)).toBeUndefined();

      expect(await nft.apply(script(row))).toEqual({ changed: true });
      expect(await nft.apply(script(row))).toEqual({ changed: false });

      expect(await nft.tableExists(ref)).toBe(true);
      expect(await nft.snapshot([ref])).toBe(expectedListing(row));
      const objects = (await nft.listTable(ref))!;
      expect(objects.filter((o) => 'rule' in o)).toHaveLength(row.sets.length);
      const setNames = objects.flatMap((o) => ('set' in o ? [(o['set'] as { name: string }).name] : []));
      expect(setNames.sort()).toEqual(row.sets.map((s) => s.name).sort());
      expect((await nft.listRuleset()).some((o) => 'table' in o)).toBe(true);

      // A real difference is reported, also when only a set element changes.
      const s = row.sets[0]!;
      expect(await nft.apply(`add element ${row.family} ${TABLE} ${s.name} { ${s.extra} }\n`)).toEqual({ changed: true });
      expect(await nft.apply(`add element ${row.family} ${TABLE} ${s.name} { ${s.extra} }\n`)).toEqual({ changed: false });
    });
  });

  it('judges change against the whole ruleset when asked to', async () => {
    await withNetns(async (netns) => {
      const nft = new NftExecutor({ netns });
      const row = rows[2]!;
      expect(await nft.apply(script(row), { scope: 'ruleset' })).toEqual({ changed: true });
      expect(await nft.apply(script(row), { scope: 'ruleset' })).toEqual({ changed: false });
    });
  });

  it.each([
    { name: 'syntax error', bad: `add rule inet ${TABLE} input ip saddr 198.18.0.1 dropx`, line: 3 },
    { name: 'kernel rejects a jump to a missing chain', bad: `add rule inet ${TABLE} input jump nowhere`, line: 3 },
  ])('$name: DataplaneError names the failing line, nothing is applied', async ({ bad, line }) => {
    await withNetns(async (netns) => {
      const nft = new NftExecutor({ netns });
      const input = [`add table inet ${TABLE}`, `add chain inet ${TABLE} input`, bad, `add rule inet ${TABLE} input accept`, ''].join('\n');
      const err = (await nft.apply(input).catch((e: unknown) => e)) as DataplaneError;
      expect(err).toBeInstanceOf(DataplaneError);
      expect(err.exitCode).toBe(1);
      expect(err.failingLine).toEqual({ number: line, text: bad });
      expect(err.command.slice(0, 4)).toEqual(['ip', 'netns', 'exec', netns]);
      // One transaction: the valid lines before the bad one were not applied either.
      expect(await nft.tableExists({ family: 'inet', name: TABLE })).toBe(false);
      await expect(nft.check(input)).rejects.toThrow(DataplaneError);
    });
  });
});
