import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpExecutor } from '@kr/dataplane';
import { createTestNetns, isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, type TestNetns } from '@kr/dataplane/testing';
import { parseIP, type Family } from '@kr/ip';
import { resolveTunnel, tunnelMatches, vxlanMac } from '../../plan/kernel-tunnels.js';
import { listFouPorts } from './fou.js';
import { VXLAN_GATEWAY } from './names.js';
import { parseTunnelLinks } from './tunnel-links.js';
import { KernelTunnels } from './tunnels.js';
import { tunnelSupport } from './testing/support.js';
import type { TunnelEncap, TunnelSpec } from './types.js';

// Test IP plan (inside a throwaway namespace only):
//   eth0 (veth, peer eth0-peer)  198.18.1.10/24   2001:db8:1::10/64   (this node)
//   remote nodes                 198.18.2.10      2001:db8:2::10
//                                198.18.3.10      2001:db8:3::10      (after a change)
//   a foreign link tun-other (a veth) that must survive every sync
const local = { ipv4: parseIP('198.18.1.10'), ipv6: parseIP('2001:db8:1::10') };
const remote = { ipv4: parseIP('198.18.2.10'), ipv6: parseIP('2001:db8:2::10') };
const moved = { ipv4: parseIP('198.18.3.10'), ipv6: parseIP('2001:db8:3::10') };

interface Row {
  name: string;
  encap: TunnelEncap;
  family: Family;
  inner: Family[];
  mtu: number;
}

const rows: Row[] = [
  { name: 'vxlan over IPv4, dual-stack inside', encap: 'vxlan', family: 'ipv4', inner: ['ipv4', 'ipv6'], mtu: 1450 },
  { name: 'vxlan over IPv6', encap: 'vxlan', family: 'ipv6', inner: ['ipv6'], mtu: 1430 },
  { name: 'ipip over IPv4', encap: 'ipip', family: 'ipv4', inner: ['ipv4'], mtu: 1480 },
  { name: 'ipip over IPv6 (ip6tnl)', encap: 'ipip', family: 'ipv6', inner: ['ipv4', 'ipv6'], mtu: 1460 },
  { name: 'fou over IPv4', encap: 'fou', family: 'ipv4', inner: ['ipv4'], mtu: 1468 },
  { name: 'fou over IPv6', encap: 'fou', family: 'ipv6', inner: ['ipv6'], mtu: 1448 },
];

// Probed once, before the tests are declared, so a skip carries its reason in its name.
const support = isRoot() ? await Promise.all(rows.map((r) => tunnelSupport(r.encap, r.family))) : [];
const cases = rows.map((row, i) => {
  const s = support[i];
  const skip = !isRoot() ? ROOT_REQUIRED : s && !s.ok ? ` (${s.reason})` : '';
  if (s && !s.ok) console.info(`${row.name}: ${s.reason}: ${s.detail}`);
  return { ...row, skip, title: `${row.name}${skip}` };
});

function spec(row: Row, extra: Partial<TunnelSpec> = {}): TunnelSpec {
  return { name: `tun-t${row.family === 'ipv4' ? 4 : 6}`, encap: row.encap, family: row.family, local: local[row.family], remote: remote[row.family], mtu: row.mtu, innerFamilies: row.inner, ...extra };
}

describe.skipIf(!isRoot())(`KernelTunnels in a namespace${ROOT_REQUIRED}`, () => {
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
      'address add 198.18.1.10/24 dev eth0',
      'address add 2001:db8:1::10/64 dev eth0 nodad',
      'link set eth0-peer up',
      'link set eth0 up',
      'link add tun-other type veth peer name tun-other-p',
    ]);
  });
  afterEach(async () => {
    await ns.delete();
  });

  async function readBack(name: string) {
    const [observed] = parseTunnelLinks(await ip.links(name));
    return observed;
  }

  describe.each(cases)('$title', (row) => {
    it.skipIf(row.skip !== '')('creates the link up with its MTU, and a second sync changes nothing', async () => {
      const tunnels = new KernelTunnels({ netns: ns.name });
      const want = spec(row);
      expect(await tunnels.sync([want])).toMatchObject({ changed: true, created: [want.name] });
      const observed = await readBack(want.name);
      expect(observed).toMatchObject({ up: true, mtu: row.mtu, encap: row.encap, family: row.family });
      expect(tunnelMatches(resolveTunnel(want), observed!)).toBe(true);
      if (row.encap === 'vxlan') {
        const neighbours = await ip.neighbours({ dev: want.name });
        expect(neighbours.map((n) => `${n.dst} ${n.lladdr} ${(n.state ?? []).join()}`).sort()).toEqual(
          row.inner.map((f) => `${VXLAN_GATEWAY[f]} ${vxlanMac(remote[row.family])} PERMANENT`).sort(),
        );
      }
      if (row.encap === 'fou') expect(await listFouPorts({ netns: ns.name })).toEqual([{ family: row.family, port: 5555, gue: true }]);
      expect(await tunnels.sync([want])).toMatchObject({ changed: false, lines: [], unchanged: 1 });
      // A restart: a new instance finds the link as its own and leaves it alone.
      expect(await new KernelTunnels({ netns: ns.name }).sync([want])).toMatchObject({ changed: false, lines: [] });
    });

    it.skipIf(row.skip !== '')('repairs MTU, neighbours and state in place', async () => {
      const tunnels = new KernelTunnels({ netns: ns.name });
      const want = spec(row);
      await tunnels.sync([want]);
      const { ifindex } = (await ip.links(want.name))[0]!;
      const expectRepaired = async () => {
        const [link] = await ip.links(want.name);
        expect(link).toMatchObject({ ifindex, mtu: row.mtu });
        expect(link!.flags).toContain('UP');
        if (row.encap === 'vxlan') {
          expect((await ip.neighbours({ dev: want.name })).map((n) => n.dst).sort()).toEqual(row.inner.map((f) => VXLAN_GATEWAY[f]).sort());
        }
        expect(await tunnels.sync([want])).toMatchObject({ changed: false });
      };

      const drift = [`link set ${want.name} mtu 1300`];
      if (row.encap === 'vxlan') drift.push(`neigh del ${VXLAN_GATEWAY[row.inner[0]!]} dev ${want.name}`, `neigh add 169.254.0.77 lladdr 02:00:00:00:00:77 dev ${want.name} nud permanent`);
      await ip.batch(drift);
      expect(await tunnels.sync([want])).toMatchObject({ changed: true, updated: [want.name], recreated: [], created: [] });
      await expectRepaired();

      // Taking a link down also flushes its neighbours, permanent ones included.
      await ip.batch([`link set ${want.name} down`]);
      expect(await tunnels.sync([want])).toMatchObject({ changed: true, updated: [want.name] });
      await expectRepaired();
    });

    it.skipIf(row.skip !== '')('re-creates the link when its remote changes', async () => {
      const tunnels = new KernelTunnels({ netns: ns.name });
      await tunnels.sync([spec(row)]);
      const changed = spec(row, { remote: moved[row.family] });
      expect(await tunnels.sync([changed])).toMatchObject({ changed: true, recreated: [changed.name] });
      expect((await readBack(changed.name))?.remote?.address).toBe(moved[row.family].address);
      expect(await tunnels.sync([changed])).toMatchObject({ changed: false });
    });

    it.skipIf(row.skip !== '')('deletes stale links of ours (and our fou port) and nothing else', async () => {
      const tunnels = new KernelTunnels({ netns: ns.name }, { fouPorts: [5555] });
      const other = spec(row, { name: 'tun-u9', remote: moved[row.family], ...(row.encap === 'vxlan' ? { vni: 4242 } : {}) });
      await tunnels.sync([spec(row), other]);
      expect(await tunnels.sync([other])).toMatchObject({ changed: true, removed: [spec(row).name] });
      expect(await tunnels.sync([])).toMatchObject({ changed: true, removed: ['tun-u9'] });
      const names = (await ip.links()).map((l) => l.ifname);
      expect(names).toContain('tun-other');
      expect(names.filter((n) => n.startsWith('tun-t') || n === 'tun-u9')).toEqual([]);
      expect(await listFouPorts({ netns: ns.name })).toEqual([]);
    });
  });
});
