import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpExecutor } from '@kr/dataplane';
import { createTestNetns, isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, type TestNetns } from '@kr/dataplane/testing';
import { parseCIDR, parseIP, type Family } from '@kr/ip';
import { KernelRoutes } from './routes.js';
import type { KernelRoute } from './types.js';

// Test IP plan (inside a throwaway namespace only):
//   eth0 (veth, peer eth0-peer)  198.18.0.1/24          2001:db8:1::1/64
//   neighbour node B             198.18.0.2             2001:db8:1::2
//   pods of B (via B)            10.244.2.0/24          fd00:10:244:2::/64
//   pods of C (device route)     10.244.3.0/24          fd00:10:244:3::/64
//   pods of D (onlink)           10.244.4.0/24 via 198.18.9.9 onlink
//   foreign routes (proto static) 10.96.0.0/12         fd00:96::/108
const plan = {
  ipv4: { address: '198.18.0.1/24', node: '198.18.0.1', b: '198.18.0.2', bPods: '10.244.2.0/24', cPods: '10.244.3.0/24', foreign: '10.96.0.0/12' },
  ipv6: { address: '2001:db8:1::1/64', node: '2001:db8:1::1', b: '2001:db8:1::2', bPods: 'fd00:10:244:2::/64', cPods: 'fd00:10:244:3::/64', foreign: 'fd00:96::/108' },
};

function desiredRoutes(families: readonly Family[]): KernelRoute[] {
  return families.flatMap((f): KernelRoute[] => {
    const p = plan[f];
    const routes: KernelRoute[] = [
      { prefix: parseCIDR(p.bPods), family: f, via: parseIP(p.b) },
      { prefix: parseCIDR(p.cPods), family: f, dev: 'eth0', source: parseIP(p.node) },
    ];
    if (f === 'ipv4') routes.push({ prefix: parseCIDR('10.244.4.0/24'), family: f, via: parseIP('198.18.9.9'), dev: 'eth0', onlink: true });
    return routes;
  });
}

/** Our routes as `ip route show proto 17` lists them, as text. */
async function ownRoutesText(ip: IpExecutor, family: Family): Promise<string[]> {
  const routes = await ip.routes({ family, table: 'main', proto: 17 });
  return routes.map((r) => [r.dst, r.gateway && `via ${r.gateway}`, r.dev && `dev ${r.dev}`, r['prefsrc'] && `src ${String(r['prefsrc'])}`].filter(Boolean).join(' ')).sort();
}

const rows: { name: string; families: Family[] }[] = [
  { name: 'IPv4', families: ['ipv4'] },
  { name: 'IPv6', families: ['ipv6'] },
  { name: 'dual-stack', families: ['ipv4', 'ipv6'] },
];

describe.skipIf(!isRoot())(`KernelRoutes in a namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  let ns: TestNetns;
  let ip: IpExecutor;

  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint()).toBe(rootBefore);
  });
  beforeEach(async () => {
    ns = await createTestNetns();
    ip = new IpExecutor({ netns: ns.name });
    await ip.batch([
      'link add eth0 type veth peer name eth0-peer',
      `address add ${plan.ipv4.address} dev eth0`,
      `address add ${plan.ipv6.address} dev eth0 nodad`,
      'link set eth0-peer up',
      'link set eth0 up',
    ]);
  });
  afterEach(async () => {
    await ns.delete();
  });

  describe.each(rows)('$name', ({ families }) => {
    const desired = desiredRoutes(families);
    const expectedText = (f: Family) => {
      const p = plan[f];
      return [
        `${p.bPods} via ${p.b} dev eth0`,
        `${p.cPods} dev eth0 src ${p.node}`,
        ...(f === 'ipv4' ? ['10.244.4.0/24 via 198.18.9.9 dev eth0'] : []),
      ].sort();
    };

    it('installs the routes, and a second sync changes nothing', async () => {
      const routes = new KernelRoutes({ netns: ns.name });
      const first = await routes.sync(desired);
      expect(first).toMatchObject({ changed: true, added: desired.length, removed: 0 });
      for (const f of families) expect(await ownRoutesText(ip, f)).toEqual(expectedText(f));
      const second = await routes.sync(desired);
      expect(second).toMatchObject({ changed: false, added: 0, updated: 0, removed: 0, unchanged: desired.length, lines: [] });
    });

    it('repairs drift and never touches a route of another protocol', async () => {
      const routes = new KernelRoutes({ netns: ns.name });
      await routes.sync(desired);
      for (const f of families) {
        await ip.batch([`route del ${plan[f].bPods} proto 17`, `route add ${plan[f].foreign} via ${plan[f].b} proto static`]);
      }
      const repair = await routes.sync(desired);
      expect(repair).toMatchObject({ changed: true, added: families.length, removed: 0 });
      for (const f of families) {
        expect(await ownRoutesText(ip, f)).toEqual(expectedText(f));
        const foreign = await ip.routes({ family: f, table: 'main', proto: 'static' });
        expect(foreign.map((r) => r.dst)).toEqual([plan[f].foreign]);
      }
    });

    it('replaces a route of ours that was changed by hand', async () => {
      const routes = new KernelRoutes({ netns: ns.name });
      await routes.sync(desired);
      for (const f of families) await ip.batch([`route replace ${plan[f].bPods} dev eth0 proto 17`]);
      expect(await routes.sync(desired)).toMatchObject({ changed: true, updated: families.length, added: 0 });
      for (const f of families) expect(await ownRoutesText(ip, f)).toEqual(expectedText(f));
    });

    it('removes stale routes of ours (also of a family no longer wanted) and keeps foreign ones', async () => {
      const routes = new KernelRoutes({ netns: ns.name });
      await routes.sync(desiredRoutes(['ipv4', 'ipv6']));
      for (const f of families) await ip.batch([`route add ${plan[f].foreign} via ${plan[f].b} proto static`]);
      const fewer = desired.filter((r) => r.prefix.toString() !== plan[families[0]!].cPods);
      const result = await routes.sync(fewer);
      const allCount = desiredRoutes(['ipv4', 'ipv6']).length;
      expect(result).toMatchObject({ changed: true, removed: allCount - fewer.length });
      expect((await routes.list()).map((r) => r.prefix.toString()).sort()).toEqual(fewer.map((r) => r.prefix.toString()).sort());
      for (const f of families) expect((await ip.routes({ family: f, table: 'main', proto: 'static' })).map((r) => r.dst)).toEqual([plan[f].foreign]);
    });

    it('leaves a foreign route on a wanted prefix alone, reports it, and installs ours once it is gone', async () => {
      for (const f of families) await ip.batch([`route add ${plan[f].bPods} via ${plan[f].b} proto static`]);
      const routes = new KernelRoutes({ netns: ns.name });
      const blocked = await routes.sync(desired);
      expect(blocked.conflicts.map((c) => c.route.prefix.toString()).sort()).toEqual(families.map((f) => plan[f].bPods).sort());
      for (const f of families) {
        expect((await ip.routes({ family: f, table: 'main', proto: 'static' })).map((r) => r.dst)).toEqual([plan[f].bPods]);
        await ip.batch([`route del ${plan[f].bPods} proto static`]);
      }
      expect(await routes.sync(desired)).toMatchObject({ conflicts: [], added: families.length });
    });

    it('a restart (a new instance) finds its routes: nothing flushed, nothing duplicated', async () => {
      await new KernelRoutes({ netns: ns.name }).sync(desired);
      const before = await ip.snapshot({ kinds: new Set(['routes']), families: new Set(families) });
      expect(await new KernelRoutes({ netns: ns.name }).sync(desired)).toMatchObject({ changed: false, lines: [] });
      expect(await ip.snapshot({ kinds: new Set(['routes']), families: new Set(families) })).toBe(before);
    });
  });

  it('clears routes of ours it did not make (a typed and a multipath one, at other metrics)', async () => {
    await ip.batch([
      'route add unreachable 10.99.0.0/16 proto 17',
      'route add 10.97.0.0/16 proto 17 metric 7 nexthop via 198.18.0.2 nexthop via 198.18.0.3',
      'route add fd00:99::/64 proto 17 nexthop via 2001:db8:1::2 dev eth0 nexthop via 2001:db8:1::3 dev eth0',
    ]);
    const result = await new KernelRoutes({ netns: ns.name }).sync([]);
    expect(result).toMatchObject({ changed: true, removed: 3 });
    expect(await new KernelRoutes({ netns: ns.name }).list()).toEqual([]);
  });
});
