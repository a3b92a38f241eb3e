import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { IpsetExecutor, normaliseIpsetSave, parseIpsetSave, setsInRestoreInput } from './ipset.js';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from './testing/index.js';

// Test IP plan (inside throwaway namespaces only):
//   IPv4 pods 198.18.0.10, 198.18.0.11; blocks 198.18.4.0/22, 198.18.9.9 (host)
//   IPv6 pods 2001:db8:1::10, 2001:db8:1::11; blocks 2001:db8:4::/48, 2001:db8:9::9

interface SetRow {
  name: string;
  set: string;
  type: 'hash:ip' | 'hash:net';
  family: 'inet' | 'inet6';
  members: string[];
  /** How the kernel prints the members back, sorted. */
  saved: string[];
}

const rows: SetRow[] = [
  { name: 'IPv4 hash:ip', set: 'kr-test-pods4', type: 'hash:ip', family: 'inet', members: ['198.18.0.10', '198.18.0.11'], saved: ['198.18.0.10', '198.18.0.11'] },
  { name: 'IPv6 hash:ip', set: 'kr-test-pods6', type: 'hash:ip', family: 'inet6', members: ['2001:db8:1::10', '2001:db8:1:0::11'], saved: ['2001:db8:1::10', '2001:db8:1::11'] },
  { name: 'IPv4 hash:net', set: 'kr-test-blocks4', type: 'hash:net', family: 'inet', members: ['198.18.4.0/22', '198.18.9.9/32'], saved: ['198.18.4.0/22', '198.18.9.9'] },
  { name: 'IPv6 hash:net', set: 'kr-test-blocks6', type: 'hash:net', family: 'inet6', members: ['2001:db8:4::/48', '2001:db8:9::9/128'], saved: ['2001:db8:4::/48', '2001:db8:9::9'] },
];

function restoreInput(rows: readonly SetRow[]): string {
  return rows
    .flatMap((r) => [`create ${r.set} ${r.type} family ${r.family} hashsize 1024 maxelem 65536`, ...r.members.map((m) => `add ${r.set} ${m}`)])
    .concat('')
    .join('\n');
}

/** kube-router's atomic replace: fill a temporary set, swap it in, drop the old one. */
function swapInput(r: SetRow, members: readonly string[]): string {
  const tmp = `${r.set}-tmp`.slice(0, 31);
  return [
    `create ${r.set} ${r.type} family ${r.family}`,
    `create ${tmp} ${r.type} family ${r.family}`,
    `flush ${tmp}`,
    ...members.map((m) => `add ${tmp} ${m}`),
    `swap ${tmp} ${r.set}`,
    `destroy ${tmp}`,
    '',
  ].join('\n');
}

describe('ipset parsing', () => {
  const save = [
    'create kr-a hash:ip family inet hashsize 1024 maxelem 65536 timeout 300 counters bucketsize 12 initval 0xe14399da',
    'add kr-a 198.18.0.11 timeout 299 packets 0 bytes 0',
    'add kr-a 198.18.0.10 timeout 12 packets 5 bytes 300',
    'create kr-b hash:net family inet6 hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x68e682e4',
    'add kr-b 2001:db8:4::/48 comment "pod block, ns default"',
    '',
  ].join('\n');

  it('parses sets, members and quoted comments', () => {
    expect(parseIpsetSave(save)).toEqual([
      {
        name: 'kr-a',
        type: 'hash:ip',
        options: 'family inet hashsize 1024 maxelem 65536 timeout 300 counters bucketsize 12 initval 0xe14399da',
        members: [
          { entry: '198.18.0.11', options: 'timeout 299 packets 0 bytes 0' },
          { entry: '198.18.0.10', options: 'timeout 12 packets 5 bytes 300' },
        ],
      },
      {
        name: 'kr-b',
        type: 'hash:net',
        options: 'family inet6 hashsize 1024 maxelem 65536 comment bucketsize 12 initval 0x68e682e4',
        members: [{ entry: '2001:db8:4::/48', options: 'comment "pod block, ns default"' }],
      },
    ]);
  });

  it('normalises: hash seed, remaining timeouts and counters dropped, members sorted', () => {
    expect(normaliseIpsetSave(save)).toBe(
      [
        'create kr-a hash:ip family inet hashsize 1024 maxelem 65536 timeout 300 counters bucketsize 12',
        'add kr-a 198.18.0.10',
        'add kr-a 198.18.0.11',
        'create kr-b hash:net family inet6 hashsize 1024 maxelem 65536 comment bucketsize 12',
        'add kr-b 2001:db8:4::/48 comment "pod block, ns default"',
      ].join('\n'),
    );
  });

  it.each([
    { input: restoreInput(rows.slice(0, 2)), want: ['kr-test-pods4', 'kr-test-pods6'] },
    { input: swapInput(rows[0]!, ['198.18.0.10']), want: ['kr-test-pods4', 'kr-test-pods4-tmp'] },
    { input: 'add a 198.18.0.1\nflush\n', want: 'all' },
    { input: 'destroy\n', want: 'all' },
    { input: '-A a 198.18.0.1\n', want: 'all' },
  ])('sets named by restore input: $want', ({ input, want }) => {
    expect(setsInRestoreInput(input)).toEqual(want);
  });
});

describe.skipIf(!isRoot())(`IpsetExecutor in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it.each(rows)('$name: restore twice → changed, then unchanged; read back', async (row) => {
    await withNetns(async (netns) => {
      const ipset = new IpsetExecutor({ netns });
      expect(await ipset.save(row.set)).toEqual([]);
      expect(await ipset.restore(restoreInput([row]))).toEqual({ changed: true });
      expect(await ipset.restore(restoreInput([row]))).toEqual({ changed: false });
      const [set] = await ipset.save(row.set);
      expect(set).toMatchObject({ name: row.set, type: row.type });
      expect(set!.options).toContain(`family ${row.family}`);
      expect(set!.members.map((m) => m.entry).sort()).toEqual(row.saved);
      expect(await ipset.listNames()).toEqual([row.set]);
    });
  });

  it('dual-stack: all four sets in one restore', async () => {
    await withNetns(async (netns) => {
      const ipset = new IpsetExecutor({ netns });
      expect(await ipset.restore(restoreInput(rows))).toEqual({ changed: true });
      expect(await ipset.restore(restoreInput(rows))).toEqual({ changed: false });
      const sets = await ipset.save();
      expect(sets.map((s) => [s.name, s.members.map((m) => m.entry).sort()])).toEqual(rows.map((r) => [r.set, r.saved]));
    });
  });

  it.each(rows)('$name: swap-based replace reports only real content changes', async (row) => {
    await withNetns(async (netns) => {
      const ipset = new IpsetExecutor({ netns });
      const one = row.members.slice(0, 1);
      expect(await ipset.restore(swapInput(row, row.members))).toEqual({ changed: true });
      expect(await ipset.restore(swapInput(row, row.members))).toEqual({ changed: false });
      expect(await ipset.restore(swapInput(row, one))).toEqual({ changed: true });
      expect((await ipset.save(row.set))[0]!.members.map((m) => m.entry)).toEqual(row.saved.slice(0, 1));
      expect(await ipset.listNames()).toEqual([row.set]);
    });
  });

  it.each([
    { name: 'IPv4 address in an IPv4 set', set: 'kr-test-bad4', family: 'inet', bad: 'add kr-test-bad4 198.18.0.x' },
    { name: 'IPv6 address in an IPv4 set', set: 'kr-test-bad4', family: 'inet', bad: 'add kr-test-bad4 2001:db8::1' },
    { name: 'IPv4 address in an IPv6 set', set: 'kr-test-bad6', family: 'inet6', bad: 'add kr-test-bad6 198.18.0.1' },
  ])('$name: DataplaneError with the failing line; the set created before it stays', async ({ set, family, bad }) => {
    await withNetns(async (netns) => {
      const ipset = new IpsetExecutor({ netns });
      const good = family === 'inet' ? '198.18.0.1' : '2001:db8::1';
      const input = [`create ${set} hash:ip family ${family}`, `add ${set} ${good}`, bad, ''].join('\n');
      const err = (await ipset.restore(input).catch((e: unknown) => e)) as DataplaneError;
      expect(err).toBeInstanceOf(DataplaneError);
      expect(err.failingLine).toEqual({ number: 3, text: bad });
      // The set created before the failure is still there: restore is not a transaction.
      // (Whether the buffered `add` before it survives depends on the ipset release.)
      expect(await ipset.listNames()).toEqual([set]);
    });
  });
});
