import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED } from '@kr/dataplane/testing';
import type { Family } from '@kr/ip';
import { tunnelRoute } from '../../plan/kernel-tunnels.js';
import { KernelRoutes } from './routes.js';
import { KernelTunnels } from './tunnels.js';
import { tunnelSupport } from './testing/support.js';
import { createTwoNodes, sourceSeenBy, startSourceServer, txPackets, type SourceServer, type TestNode, type TwoNodes } from './testing/topology.js';
import type { TunnelEncap, TunnelSpec } from './types.js';

// Two nodes on different subnets (198.18.1.0/24 and 198.18.2.0/24, 2001:db8:1::/64 and
// 2001:db8:2::/64) joined by a router namespace, a pod behind each (10.244.1.2 /
// fd00:10:244:1::2 and 10.244.2.2 / fd00:10:244:2::2); see testing/topology.ts. The
// router knows nothing of the pod CIDRs: pod-to-pod traffic can only cross in a tunnel.

interface Row {
  name: string;
  encap: TunnelEncap;
  outer: Family;
  inner: Family[];
}

const rows: Row[] = [
  { name: 'vxlan over IPv4 carrying IPv4', encap: 'vxlan', outer: 'ipv4', inner: ['ipv4'] },
  { name: 'vxlan over IPv6 carrying IPv6', encap: 'vxlan', outer: 'ipv6', inner: ['ipv6'] },
  { name: 'vxlan over IPv4 carrying both families', encap: 'vxlan', outer: 'ipv4', inner: ['ipv4', 'ipv6'] },
  { name: 'vxlan over IPv6 carrying both families', encap: 'vxlan', outer: 'ipv6', inner: ['ipv4', 'ipv6'] },
  { name: 'ipip over IPv4', encap: 'ipip', outer: 'ipv4', inner: ['ipv4'] },
  { name: 'ipip over IPv6 (ip6tnl) carrying both families', encap: 'ipip', outer: 'ipv6', inner: ['ipv4', 'ipv6'] },
  { name: 'fou over IPv4', encap: 'fou', outer: 'ipv4', inner: ['ipv4'] },
  { name: 'fou over IPv6', encap: 'fou', outer: 'ipv6', inner: ['ipv6'] },
];

// Probed once, before the tests are declared, so a skip carries its reason in its name.
const support = isRoot() ? await Promise.all(rows.map((r) => tunnelSupport(r.encap, r.outer))) : [];
const cases = rows.map((row, i) => {
  const s = support[i];
  const skip = !isRoot() ? ROOT_REQUIRED : s && !s.ok ? ` (${s.reason})` : '';
  return { ...row, skip, title: `${row.name}${skip}` };
});

const MTU: Record<TunnelEncap, Record<Family, number>> = {
  vxlan: { ipv4: 1450, ipv6: 1430 },
  ipip: { ipv4: 1480, ipv6: 1460 },
  fou: { ipv4: 1468, ipv6: 1448 },
};

/** What the router computes on `self` for the one other node: a tunnel and the routes through it. */
function desiredOn(self: TestNode, peer: TestNode, row: Row): { tunnels: TunnelSpec[]; routes: ReturnType<typeof tunnelRoute>[] } {
  const tunnel: TunnelSpec = {
    name: `tun-n${peer.index}${row.outer === 'ipv4' ? 4 : 6}`,
    encap: row.encap,
    family: row.outer,
    local: self.address[row.outer],
    remote: peer.address[row.outer],
    mtu: MTU[row.encap][row.outer],
    innerFamilies: row.inner,
  };
  return { tunnels: [tunnel], routes: row.inner.map((f) => tunnelRoute(tunnel, peer.podCidr[f], self.address[f])) };
}

describe.skipIf(!isRoot())(`pod traffic across two nodes over a tunnel${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  let nodes: TwoNodes;
  let server: SourceServer | undefined;

  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint()).toBe(rootBefore);
  });
  beforeEach(async () => {
    nodes = await createTwoNodes();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await nodes.delete();
  });

  for (const row of cases) {
    it.skipIf(row.skip !== '')(row.title, async () => {
      const { a, b } = nodes;
      const sides = [
        { self: a, peer: b },
        { self: b, peer: a },
      ].map(({ self, peer }) => ({
        self,
        peer,
        want: desiredOn(self, peer, row),
        tunnels: new KernelTunnels({ netns: self.netns }),
        routes: new KernelRoutes({ netns: self.netns }),
      }));
      for (const side of sides) {
        expect(await side.tunnels.sync(side.want.tunnels)).toMatchObject({ changed: true, created: [side.want.tunnels[0]!.name] });
        expect(await side.routes.sync(side.want.routes)).toMatchObject({ changed: true, added: row.inner.length, conflicts: [] });
      }

      server = await startSourceServer(b.podNetns);
      const tunnelOnA = sides[0]!.want.tunnels[0]!.name;
      for (const family of row.inner) {
        const before = await txPackets(a.netns, tunnelOnA);
        // Pod to pod keeps the pod's address, and the packets went into the tunnel.
        expect(await sourceSeenBy(a.podNetns, b.podAddress[family])).toBe(a.podAddress[family].address);
        expect(await txPackets(a.netns, tunnelOnA)).toBeGreaterThan(before);
      }

      // Applied again, and by a restarted router (new instances): nothing changes.
      for (const side of sides) {
        expect(await side.tunnels.sync(side.want.tunnels)).toMatchObject({ changed: false, lines: [] });
        expect(await new KernelRoutes({ netns: side.self.netns }).sync(side.want.routes)).toMatchObject({ changed: false, lines: [] });
      }

      // Node B leaves: A drops the tunnel and its routes; B's pods are unreachable again.
      expect(await sides[0]!.tunnels.sync([])).toMatchObject({ changed: true, removed: [tunnelOnA] });
      expect(await sides[0]!.routes.list()).toEqual([]);
      expect(await sides[0]!.routes.sync([])).toMatchObject({ changed: false, lines: [] });
      // (The router has no route back to the pods either, so the attempt just times out.)
      await expect(sourceSeenBy(a.podNetns, b.podAddress[row.inner[0]!], { timeoutMs: 500 })).rejects.toThrow(/timeout|unreachable/i);
    });
  }
});
