// The CNI controller's round against a real kernel, in a fresh namespace per test, and
// the real bridge + host-local (+ portmap) plugins attaching a pod to what it prepared.
//
// Test IP plan (nothing outside the test namespaces):
//   node uplink eth0   198.18.0.11/24, fd00:198:18::11/64, MTU 1450
//   pod CIDRs          10.244.1.0/24, fd00:10:244:1::/64 → gateways .1 / ::1
//   new pod CIDRs      10.244.7.0/24, fd00:10:244:7::/64 (a reallocation)
//   pods               first lease of each range: 10.244.1.2, fd00:10:244:1::2
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '@kr/errors';
import { createTestNetns, isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, type TestNetns } from '@kr/dataplane/testing';
import type { EnabledFamilies } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import { cleanupCni } from './cleanup.js';
import { confPaths, type CniSettings } from './config.js';
import { CniDataplane, reconcile, type ReconcileInput, type ReconcileResult } from './reconcile.js';
import { cniAdd, cniDel } from './testing/cni-plugins.js';
import { createNodeNetns, ipJson, nodeObject, sysctl, UPLINK } from './testing/node-netns.js';

const NODE = 'node-a';
const NODE_IPS = ['198.18.0.11', 'fd00:198:18::11'];
const V4 = '10.244.1.0/24';
const V6 = 'fd00:10:244:1::/64';
const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

const STACKS = [
  { stack: 'ipv4', families: { ipv4: true, ipv6: false }, cidrs: [V4], gateways: ['10.244.1.1/24'], pod: ['10.244.1.2/24'] },
  { stack: 'ipv6', families: { ipv4: false, ipv6: true }, cidrs: [V6], gateways: ['fd00:10:244:1::1/64'], pod: ['fd00:10:244:1::2/64'] },
  { stack: 'dual', families: DUAL, cidrs: [V4, V6], gateways: ['10.244.1.1/24', 'fd00:10:244:1::1/64'], pod: ['10.244.1.2/24', 'fd00:10:244:1::2/64'] },
  { stack: 'dual-v6', families: DUAL, cidrs: [V6, V4], gateways: ['fd00:10:244:1::1/64', '10.244.1.1/24'], pod: ['fd00:10:244:1::2/64', '10.244.1.2/24'] },
] as const;

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
}
interface Iface {
  ifname: string;
  mtu: number;
  flags: string[];
  addr_info: AddrInfo[];
}

async function globalAddresses(netns: string, dev: string): Promise<string[]> {
  const [iface] = await ipJson<Iface[]>(netns, 'address', 'show', 'dev', dev);
  return (iface?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

function unchanged(r: ReconcileResult): boolean {
  return !r.changed.conflist && !r.changed.bridge && r.changed.sysctls.length === 0 && r.changed.legacyRemoved === undefined;
}

describe.skipIf(!isRoot())(`reconcile in a fresh node namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  let node: TestNetns;
  let dir: string;
  let settings: CniSettings;
  let dp: CniDataplane;
  const extra: TestNetns[] = [];

  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });
  beforeEach(async () => {
    node = await createNodeNetns({ addresses: ['198.18.0.11/24', 'fd00:198:18::11/64'], mtu: 1450 });
    dir = await mkdtemp(join(tmpdir(), 'kr-cni-'));
    settings = { paths: confPaths(join(dir, 'net.d', '10-kuberouter.conflist')), autoMtu: true, hairpinMode: false, cleanup: false };
    dp = new CniDataplane({ netns: node.name });
  });
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((ns) => ns.delete()));
    await node.delete();
    await rm(dir, { recursive: true, force: true });
  });

  const input = (n: V1Node | undefined, families: EnabledFamilies, more: Partial<ReconcileInput> = {}): ReconcileInput => ({
    nodeName: NODE,
    node: n,
    families,
    settings,
    overlay: undefined,
    ...more,
  });

  it.each(STACKS)('$stack: prepares the node, a second round changes nothing, and a pod gets its addresses', async ({ families, cidrs, gateways, pod }) => {
    const n = nodeObject(NODE, NODE_IPS, cidrs);
    // A user's list: leases outside /var/lib/cni, and portmap chained after the bridge.
    await writeFile(
      join(dir, 'user.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'kr-test',
        plugins: [
          { type: 'bridge', ipam: { type: 'host-local', dataDir: join(dir, 'leases') } },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      }),
    );
    settings = { ...settings, paths: { target: join(dir, 'user.conflist') } };

    const first = await reconcile(input(n, families), dp);
    expect(first.changed.conflist).toBe(true);
    expect(first.changed.bridge).toBe(true);
    expect(first.applied.gateways.map((g) => `${g.ip.address}/${g.cidr.prefixLength}`)).toEqual(gateways);
    expect(first.applied).toMatchObject({ mtu: 1450, autoMtu: true, uplink: UPLINK });

    const second = await reconcile(input(n, families), dp);
    expect(unchanged(second), JSON.stringify(second.changed)).toBe(true);

    // Read back: the bridge, its gateways, the sysctls, the list.
    const [bridge] = await ipJson<Iface[]>(node.name, 'link', 'show', 'dev', 'kube-bridge');
    expect(bridge?.flags).toContain('UP');
    expect(bridge?.mtu).toBe(1450);
    expect((await globalAddresses(node.name, 'kube-bridge')).sort()).toEqual([...gateways].sort());
    if (families.ipv4) expect(await sysctl(node.name, 'net.ipv4.ip_forward')).toBe('1');
    if (families.ipv6) {
      expect(await sysctl(node.name, 'net.ipv6.conf.all.forwarding')).toBe('1');
      expect(await sysctl(node.name, `net.ipv6.conf.${UPLINK}.accept_ra`)).toBe('2');
    } else {
      expect(await sysctl(node.name, 'net.ipv6.conf.all.forwarding')).toBe('0');
    }
    const list = JSON.parse(await readFile(settings.paths.target, 'utf8')) as { name: string; plugins: Record<string, unknown>[] };
    expect(list.name).toBe('kr-test');
    expect(list.plugins.map((p) => p['type'])).toEqual(['bridge', 'portmap']);
    expect(list.plugins[0]).toMatchObject({ bridge: 'kube-bridge', mtu: 1450, ipam: { dataDir: join(dir, 'leases'), ranges: cidrs.map((subnet) => [{ subnet }]) } });

    // The real plugins accept it: one address per family, in the node's order.
    const podNs = await createTestNetns();
    extra.push(podNs);
    const call = { nodeNetns: node.name, podNetns: podNs.name, containerId: 'kr-test-pod-1', conflistPath: settings.paths.target };
    const result = await cniAdd(call);
    expect(result.ips?.map((ip) => ip.address)).toEqual(pod);
    expect(result.ips?.map((ip) => ip.gateway)).toEqual(gateways.map((g) => g.split('/')[0]));
    const [eth0] = await ipJson<Iface[]>(podNs.name, 'address', 'show', 'dev', 'eth0');
    expect(eth0?.mtu).toBe(1450);
    expect((await globalAddresses(podNs.name, 'eth0')).sort()).toEqual([...pod].sort());
    for (const family of ['ipv4', 'ipv6'] as const) {
      const routes = await ipJson<{ dst: string; gateway?: string }[]>(podNs.name, family === 'ipv4' ? '-4' : '-6', 'route', 'show', 'default');
      const gateway = gateways.find((g) => g.includes(':') === (family === 'ipv6'))?.split('/')[0];
      expect(routes.map((r) => r.gateway)).toEqual(families[family] ? [gateway] : []);
    }
    // Attaching the pod left the bridge as we keep it: a third round changes nothing.
    expect(unchanged(await reconcile(input(n, families), dp))).toBe(true);

    await cniDel(call);
    expect(await ipJson<Iface[]>(podNs.name, 'link', 'show', 'dev', 'eth0')).toEqual([]);
    const leases = await readdir(join(dir, 'leases', 'kr-test'));
    expect(leases.filter((f) => /^[0-9a-f.:]+$/.test(f))).toEqual([]);
  });

  it('dual: a pod CIDR reallocation replaces the bridge gateways and the ranges', async () => {
    await reconcile(input(nodeObject(NODE, NODE_IPS, [V4, V6]), DUAL), dp);
    const r = await reconcile(input(nodeObject(NODE, NODE_IPS, ['10.244.7.0/24', 'fd00:10:244:7::/64']), DUAL), dp);
    expect(r.changed.conflist && r.changed.bridge).toBe(true);
    expect((await globalAddresses(node.name, 'kube-bridge')).sort()).toEqual(['10.244.7.1/24', 'fd00:10:244:7::1/64']);
    const text = await readFile(settings.paths.target, 'utf8');
    expect(text).toContain('10.244.7.0/24');
    expect(text).not.toContain('10.244.1.0/24');
  });

  it('dual: the overlay overhead the router announces lowers pod and bridge MTU', async () => {
    const r = await reconcile(input(nodeObject(NODE, NODE_IPS, [V4, V6]), DUAL, { overlay: { encap: 'vxlan', ipv4: 50, ipv6: 70 } }), dp);
    expect(r.applied.mtu).toBe(1380);
    const [bridge] = await ipJson<Iface[]>(node.name, 'link', 'show', 'dev', 'kube-bridge');
    expect(bridge?.mtu).toBe(1380);
  });

  it('a full round repairs drift: a removed gateway, forwarding off, an edited list', async () => {
    const n = nodeObject(NODE, NODE_IPS, [V4, V6]);
    await reconcile(input(n, DUAL), dp);
    const before = await readFile(settings.paths.target, 'utf8');
    await dp.ip.batch(['address del 10.244.1.1/24 dev kube-bridge']);
    await dp.sysctl.set('net.ipv4.ip_forward', 0);
    await writeFile(settings.paths.target, before.replace('"mtu": 1450', '"mtu": 9000'));
    const r = await reconcile(input(n, DUAL), dp);
    expect(r.changed.bridge).toBe(true);
    expect(r.changed.conflist).toBe(true);
    expect(r.changed.sysctls.map((s) => s.key)).toEqual(['net/ipv4/ip_forward']);
    expect(await readFile(settings.paths.target, 'utf8')).toBe(before);
  });

  it('a legacy .conf is converted into the list and removed', async () => {
    const legacy = settings.paths.legacy as string;
    await rm(join(dir, 'net.d'), { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(join(dir, 'net.d'));
    await writeFile(legacy, JSON.stringify({ cniVersion: '0.3.0', name: 'mynet', type: 'bridge', bridge: 'kube-bridge', isDefaultGateway: true, ipam: { type: 'host-local', subnet: V4 } }));
    const r = await reconcile(input(nodeObject(NODE, NODE_IPS, [V4, V6]), DUAL), dp);
    expect(r.changed.legacyRemoved).toBe(legacy);
    expect(await readdir(join(dir, 'net.d'))).toEqual(['10-kuberouter.conflist']);
    expect(JSON.parse(await readFile(settings.paths.target, 'utf8'))).toMatchObject({ name: 'mynet', plugins: [{ ipam: { ranges: [[{ subnet: V4 }], [{ subnet: V6 }]] } }] });
  });

  it.each([
    { name: '--enable-ipv6 without an IPv6 pod CIDR', node: nodeObject(NODE, NODE_IPS, [V4]), error: /node node-a has no IPv6 \(--enable-ipv6 is set\) pod CIDR/ },
    {
      name: 'a bad pod-cidrs annotation',
      node: nodeObject(NODE, NODE_IPS, [V4, V6], { 'kube-router.io/pod-cidrs': '10.244.1.0/24,fd00:10:244:1::/200' }),
      error: /kube-router.io\/pod-cidrs"\] item 2: "fd00:10:244:1::\/200": prefix length/,
    },
    { name: 'a node whose addresses are not here', node: nodeObject(NODE, ['198.18.0.99'], [V4, V6]), error: /none of node node-a's addresses \(198.18.0.99\)/ },
    { name: 'no node object', node: undefined, error: /node node-a is not in the API/ },
  ])('refused with a named error, nothing written or created: $name', async ({ node: n, error }) => {
    const err = await reconcile(input(n, DUAL), dp).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect((err as Error).message).toMatch(error);
    expect(await readdir(dir)).toEqual([]);
    expect(await ipJson<Iface[]>(node.name, 'link', 'show', 'dev', 'kube-bridge')).toEqual([]);
    expect(await sysctl(node.name, 'net.ipv4.ip_forward')).toBe('0');
  });

  it('after a good round, a bad annotation keeps the previous list and bridge', async () => {
    await reconcile(input(nodeObject(NODE, NODE_IPS, [V4, V6]), DUAL), dp);
    const before = await readFile(settings.paths.target, 'utf8');
    const bad = nodeObject(NODE, NODE_IPS, [V4, V6], { 'kube-router.io/pod-cidrs': 'fd00:10:244:1::/64,not-a-cidr' });
    await expect(reconcile(input(bad, DUAL), dp)).rejects.toThrow(/no IPv4 .* pod CIDR/);
    expect(await readFile(settings.paths.target, 'utf8')).toBe(before);
    expect((await globalAddresses(node.name, 'kube-bridge')).sort()).toEqual(['10.244.1.1/24', 'fd00:10:244:1::1/64']);
  });

  it('an unreadable list is left alone and named', async () => {
    await (await import('node:fs/promises')).mkdir(join(dir, 'net.d'));
    await writeFile(settings.paths.target, '{"cniVersion": "0.3.0", "plugins": [');
    await expect(reconcile(input(nodeObject(NODE, NODE_IPS, [V4]), { ipv4: true, ipv6: false }), dp)).rejects.toThrow(/10-kuberouter.conflist is not valid JSON/);
    expect(await readFile(settings.paths.target, 'utf8')).toBe('{"cniVersion": "0.3.0", "plugins": [');
  });

  it('--cleanup-config removes the list and the bridge; twice is no error', async () => {
    await reconcile(input(nodeObject(NODE, NODE_IPS, [V6, V4]), DUAL), dp);
    expect(await cleanupCni(settings, dp)).toEqual({ conflist: 'deleted', bridgeDeleted: true });
    expect(await readdir(join(dir, 'net.d'))).toEqual([]);
    expect(await ipJson<Iface[]>(node.name, 'link', 'show', 'dev', 'kube-bridge')).toEqual([]);
    expect(await cleanupCni(settings, dp)).toEqual({ conflist: 'absent', bridgeDeleted: false });
  });
});
