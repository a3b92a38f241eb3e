import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Family } from '@kr/ip';
import { DataplaneError } from '@kr/errors';
import { IpExecutor } from './ip.js';
import { ipBatchScope, normaliseAddresses, normaliseLinks, normaliseRoutes } from './ip-scope.js';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from './testing/index.js';

// Test IP plan (inside throwaway namespaces only):
//   link kr-test0; IPv4 198.18.0.1/24, gateway 198.18.0.2, routed 198.18.8.0/24
//                  IPv6 2001:db8:1::1/64, gateway 2001:db8:1::2, routed 2001:db8:8::/64
//   our routes: protocol 77, table 100 (as a controller marks its own)
const LINK = 'kr-test0';
const PROTO = 77;
const TABLE = 100;

interface FamilyPlan {
  address: string;
  gateway: string;
  routed: string;
  neighbour: string;
}

const plan: Record<Family, FamilyPlan> = {
  ipv4: { address: '198.18.0.1/24', gateway: '198.18.0.2', routed: '198.18.8.0/24', neighbour: '198.18.0.9' },
  ipv6: { address: '2001:db8:1::1/64', gateway: '2001:db8:1::2', routed: '2001:db8:8::/64', neighbour: '2001:db8:1::9' },
};

const rows: { name: string; families: Family[] }[] = [
  { name: 'IPv4', families: ['ipv4'] },
  { name: 'IPv6', families: ['ipv6'] },
  { name: 'dual-stack', families: ['ipv4', 'ipv6'] },
];

/** Idempotent commands only: `ip link add` has no replace form, so plans emit it for absent links alone. */
function batch(families: readonly Family[], gateway = (f: Family) => plan[f].gateway): string[] {
  return [
    `link set ${LINK} mtu 1400 up`,
    ...families.flatMap((f) => {
      const p = plan[f];
      // nodad: the IPv6 address is usable at once, so the gateway is on-link immediately.
      return [
        `address replace ${p.address} dev ${LINK}${f === 'ipv6' ? ' nodad' : ''}`,
        `route replace ${p.routed} via ${gateway(f)} dev ${LINK} proto ${PROTO} table ${TABLE}`,
        `route replace ${p.routed} via ${gateway(f)} dev ${LINK} proto ${PROTO}`,
        `neigh replace ${p.neighbour} lladdr 02:00:00:00:00:09 dev ${LINK} nud permanent`,
      ];
    }),
  ];
}

describe('ipBatchScope', () => {
  it.each([
    { name: 'IPv4 route', lines: ['route replace 198.18.8.0/24 via 198.18.0.2 proto 77'], kinds: ['routes'], families: ['ipv4'] },
    { name: 'IPv6 address', lines: ['address add 2001:db8:1::1/64 dev x nodad'], kinds: ['addresses'], families: ['ipv6'] },
    { name: 'dual-stack, abbreviated objects', lines: ['a add 198.18.0.1/24 dev x', 'r add 2001:db8:8::/64 dev x', 'n add 198.18.0.9 lladdr 02:00:00:00:00:09 dev x'], kinds: ['addresses', 'routes', 'neighbours'], families: ['ipv4', 'ipv6'] },
    { name: '-6 flag without address', lines: ['-6 route flush proto 77'], kinds: ['routes'], families: ['ipv6'] },
    { name: '-f inet', lines: ['-f inet rule add pref 100 table 100'], kinds: ['rules'], families: ['ipv4'] },
    { name: 'a MAC is not an IPv6 address', lines: ['link set x address 02:00:00:00:00:01'], kinds: ['links'], families: ['ipv4', 'ipv6'] },
    { name: 'unknown object reads everything', lines: ['netns list'], kinds: ['links', 'addresses', 'routes', 'neighbours', 'rules'], families: ['ipv4', 'ipv6'] },
    { name: 'comments and blank lines', lines: ['# route add 2001:db8::/64', '', 'link set x up'], kinds: ['links'], families: ['ipv4', 'ipv6'] },
  ])('$name', ({ lines, kinds, families }) => {
    const scope = ipBatchScope(lines);
    expect([...scope.kinds].sort()).toEqual([...kinds].sort());
    expect([...scope.families].sort()).toEqual([...families].sort());
  });
});

describe('ip state normalisers', () => {
  it('keep configuration and drop carrier, timers, lifetimes and DAD state', () => {
    const link = {
      ifindex: 2, ifname: 'kr-test0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1400, operstate: 'UNKNOWN', qdisc: 'noqueue',
      linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0, hello_timer: 0.1, gc_timer: 12.3, topology_change_detected: 0 } },
    };
    expect(normaliseLinks([link])).toEqual([
      { ifindex: 2, ifname: 'kr-test0', mtu: 1400, flags: ['BROADCAST', 'MULTICAST', 'UP'], kind: 'bridge', data: { stp_state: 0 }, slaveKind: undefined },
    ]);
    const iface = {
      ifname: 'kr-test0',
      addr_info: [
        { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link', tentative: true, valid_life_time: 4294967295, preferred_life_time: 4294967295 },
        { family: 'inet', local: '198.18.0.1', prefixlen: 24, scope: 'global', valid_life_time: 3000, preferred_life_time: 3000 },
      ],
    };
    expect(normaliseAddresses([iface])).toEqual([
      { ifname: 'kr-test0', family: 'inet', local: '198.18.0.1', prefixlen: 24, scope: 'global' },
      { ifname: 'kr-test0', family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
    ]);
    expect(
      normaliseRoutes([
        { dst: '2001:db8:8::/64', expires: 30, flags: ['linkdown', 'onlink'] },
        { type: 'local', dst: 'fe80::1', table: 'local', protocol: 'kernel', flags: [] },
        { type: '2', dst: '198.18.0.1', table: '255', protocol: '2', flags: [] },
        { type: '2', dst: '198.18.0.7', table: '255', protocol: '77', flags: [] },
      ]),
    ).toEqual([
      { dst: '2001:db8:8::/64', flags: ['onlink'] },
      { type: '2', dst: '198.18.0.7', table: '255', protocol: '77', flags: [] },
    ]);
  });
});

describe.skipIf(!isRoot())(`IpExecutor in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  // This kernel has no dummy driver; a port-less bridge is just as inert and is what the CNI creates anyway.
  const createLink = `link add ${LINK} type bridge`;

  it.each(rows)('$name: batch twice → changed, then unchanged; read back', async ({ families }) => {
    await withNetns(async (netns) => {
      const ip = new IpExecutor({ netns });
      expect(await ip.links(LINK)).toEqual([]);
      expect(await ip.routes({ family: 'ipv4', dev: LINK })).toEqual([]);
      expect(await ip.routes({ family: 'ipv6', table: TABLE })).toEqual([]);
      expect(await ip.batch([createLink])).toEqual({ changed: true });
      expect(await ip.batch(batch(families))).toEqual({ changed: true });
      expect(await ip.batch(batch(families))).toEqual({ changed: false });

      const [link] = await ip.links(LINK);
      expect(link).toMatchObject({ ifname: LINK, mtu: 1400, linkinfo: { info_kind: 'bridge' } });
      expect(link!.flags).toContain('UP');

      for (const family of ['ipv4', 'ipv6'] as const) {
        const p = plan[family];
        const wanted = families.includes(family);
        const addresses = (await ip.addresses({ family, dev: LINK })).flatMap((i) => i.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
        expect(addresses.includes(p.address), `${family} address`).toBe(wanted);
        const ours = await ip.routes({ family, table: TABLE, proto: PROTO });
        expect(ours.map((r) => [r.dst, r.gateway, r.dev])).toEqual(wanted ? [[p.routed, p.gateway, LINK]] : []);
        const main = await ip.routes({ family, proto: PROTO, numeric: true });
        expect(main.map((r) => r.dst)).toEqual(wanted ? [p.routed] : []);
        const all = await ip.routes({ family, table: 'all', numeric: true });
        expect(all.filter((r) => r.protocol === String(PROTO)).map((r) => r.table ?? '254').sort()).toEqual(wanted ? [String(TABLE), '254'] : []);
        const neighbours = await ip.neighbours({ family, dev: LINK });
        expect(neighbours.filter((n) => n.state?.includes('PERMANENT')).map((n) => n.dst)).toEqual(wanted ? [p.neighbour] : []);
      }

      // A different gateway is a real change.
      const other = (f: Family) => (f === 'ipv4' ? '198.18.0.3' : '2001:db8:1::3');
      expect(await ip.batch(batch(families, other))).toEqual({ changed: true });
      expect(await ip.batch(batch(families, other))).toEqual({ changed: false });
    });
  });

  it('IPv6 duplicate address detection finishing later is not a change', async () => {
    await withNetns(async (netns) => {
      const ip = new IpExecutor({ netns });
      await ip.batch([createLink, `link set ${LINK} up`]);
      const scope = ipBatchScope(batch(['ipv6']));
      const tentative = async () =>
        (await ip.addresses({ family: 'ipv6', dev: LINK })).flatMap((i) => i.addr_info).some((a) => a['tentative'] === true);
      expect(await tentative()).toBe(true);
      const before = await ip.snapshot(scope);
      // DAD: a random start delay of up to 1 s, then one probe and 1 s of waiting.
      const deadline = Date.now() + 5000;
      while ((await tentative()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await tentative()).toBe(false);
      expect(await ip.snapshot(scope)).toBe(before);
    });
  });

  it.each([
    { name: 'IPv4 bad prefix', bad: 'address add 198.18.0.300/24 dev kr-test0' },
    { name: 'IPv6 bad prefix', bad: 'address add 2001:db8:::1/64 dev kr-test0' },
    { name: 'unknown device', bad: 'route replace 198.18.8.0/24 dev kr-nowhere' },
  ])('$name: DataplaneError with the failing line; ip stops there', async ({ bad }) => {
    await withNetns(async (netns) => {
      const ip = new IpExecutor({ netns });
      const lines = [createLink, `link set ${LINK} up`, bad, 'address add 198.18.0.1/24 dev kr-test0'];
      const err = (await ip.batch(lines).catch((e: unknown) => e)) as DataplaneError;
      expect(err).toBeInstanceOf(DataplaneError);
      expect(err.exitCode).toBe(1);
      expect(err.failingLine).toEqual({ number: 3, text: bad });
      expect(err.command.slice(0, 3)).toEqual(['ip', '-n', netns]);
      // Not a transaction: lines 1-2 stayed applied; line 4 never ran.
      expect((await ip.links(LINK))[0]?.flags).toContain('UP');
      expect((await ip.addresses({ family: 'ipv4', dev: LINK }))[0]?.addr_info ?? []).toEqual([]);
    });
  });

  it('with force, ip runs the lines after a refused command and reports the first failing line', async () => {
    await withNetns(async (netns) => {
      const ip = new IpExecutor({ netns });
      const bad = 'route replace 198.18.8.0/24 dev kr-nowhere';
      const err = (await ip.batch([createLink, bad, 'address add 198.18.0.1/24 dev kr-test0'], { force: true }).catch((e: unknown) => e)) as DataplaneError;
      expect(err.failingLine).toEqual({ number: 2, text: bad });
      expect(err.command).toContain('-force');
      const addresses = (await ip.addresses({ family: 'ipv4', dev: LINK })).flatMap((i) => i.addr_info.map((a) => a.local));
      expect(addresses).toEqual(['198.18.0.1']);
    });
  });
});
