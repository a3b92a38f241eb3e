// The real kr-cni binary (built dist, on this Node 24) inside a node namespace, against
// the fake API server and a real nats-server reached through relays (see
// testing/netns-forward.ts), then the real CNI plugins attaching a pod, then
// --cleanup-config.
//
// Test IP plan (nothing outside the test namespaces):
//   node-a uplink eth0   198.18.0.11/24, fd00:198:18::11/64, MTU 1450
//   pod CIDRs            fd00:10:244:1::/64 then 10.244.1.0/24 (a dual-stack node, IPv6 first)
//   gateways             fd00:10:244:1::1/64, 10.244.1.1/24
//   pod                  fd00:10:244:1::2/64, 10.244.1.2/24
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '@kr/bus';
import { startNatsServer, type TestNatsServer } from '@kr/bus/testing';
import { createTestNetns, isRoot, ROOT_REQUIRED, rootNamespaceFingerprint, type TestNetns } from '@kr/dataplane/testing';
import { NODES } from '@kr/k8s';
import { FakeApiServer } from '@kr/k8s/testing';
import { createLogger } from '@kr/observability';
import { nodestate } from '@kr/proto';
import { cniAdd, cniDel } from './testing/cni-plugins.js';
import { forwardIntoNetns, type NetnsForwarder } from './testing/netns-forward.js';
import { createNodeNetns, ipJson, nodeObject } from './testing/node-netns.js';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(PACKAGE, 'bin', 'kr-cni.js');
const NODE = 'node-a';
const NODE_IPS = ['198.18.0.11', 'fd00:198:18::11'];
const POD_CIDRS = ['fd00:10:244:1::/64', '10.244.1.0/24'];
// Ports inside the node namespace, where nothing else listens.
const API_PORT = 16443;
const NATS_PORT = 4222;

/** dist/ must hold this source: build the package when any source is newer. */
function ensureBuilt(): void {
  const main = join(PACKAGE, 'dist', 'main.js');
  const sources = spawnSync('find', [join(PACKAGE, 'src'), '-name', '*.ts', '-newer', main], { encoding: 'utf8' }).stdout.trim();
  if (existsSync(main) && statSync(main).size > 0 && sources === '') return;
  const tsc = join(PACKAGE, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(PACKAGE, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building @kr/cni failed:\n${r.stdout}${r.stderr}`);
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!isRoot())(`kr-cni binary in a node namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  let node: TestNetns;
  let pod: TestNetns | undefined;
  let dir: string;
  let api: FakeApiServer;
  let nats: TestNatsServer;
  let forwarder: NetnsForwarder;
  let bus: Bus;
  let child: ChildProcess | undefined;
  let output = '';
  let conflist: string;

  function args(...more: string[]): string[] {
    return [
      'netns', 'exec', node.name, process.execPath, BIN,
      `--hostname-override=${NODE}`,
      `--master=http://127.0.0.1:${API_PORT}`,
      `--nats-url=nats://127.0.0.1:${NATS_PORT}`,
      '--health-port=0',
      '--heartbeat-interval=500ms',
      '--enable-ipv6=true',
      `--cni-conf-file=${conflist}`,
      ...more,
    ];
  }

  beforeAll(async () => {
    ensureBuilt();
    rootBefore = await rootNamespaceFingerprint();
    dir = await mkdtemp(join(tmpdir(), 'kr-cni-bin-'));
    conflist = join(dir, 'net.d', '10-kuberouter.conflist');
    node = await createNodeNetns({ addresses: ['198.18.0.11/24', 'fd00:198:18::11/64'], mtu: 1450 });
    api = await FakeApiServer.start({ resources: [NODES] });
    api.upsert(NODES, nodeObject(NODE, NODE_IPS, POD_CIDRS));
    nats = await startNatsServer();
    forwarder = await forwardIntoNetns(node.name, dir, [
      { port: API_PORT, target: Number(new URL(api.url).port) },
      { port: NATS_PORT, target: nats.port },
    ]);
    bus = new Bus({ servers: nats.url, name: 'kr-cni-test', log: createLogger({ name: 'test', level: 'silent' }).child('bus') });
    bus.start();
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await bus?.stop();
    await forwarder?.close();
    await nats?.dispose();
    await api?.stop();
    await pod?.delete();
    await node?.delete();
    await rm(dir, { recursive: true, force: true });
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  async function section(): Promise<nodestate.CniState | undefined> {
    return (await bus.readSections(['cni'], 1_000)).cni;
  }

  it('prepares the node, publishes CniState, and a pod gets one address per family in the node order', async () => {
    // The operator's list (as kube-router's install-cni puts it there): leases in the
    // test directory, portmap chained.
    await mkdir(dirname(conflist), { recursive: true });
    await writeFile(
      conflist,
      JSON.stringify({
        cniVersion: '0.3.0',
        name: 'mynet',
        plugins: [
          { name: 'kubernetes', type: 'bridge', bridge: 'kube-bridge', isDefaultGateway: true, ipam: { type: 'host-local', dataDir: join(dir, 'leases') } },
          { type: 'portmap', capabilities: { snat: true, portMappings: true } },
        ],
      }),
    );
    child = spawn('ip', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    const state = await eventually('a healthy cni section', async () => {
      const s = await section();
      return s?.header?.health === nodestate.Health.HEALTH_HEALTHY ? s : undefined;
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}\nkr-cni output:\n${output}`);
    });
    expect(state.podCidrs.map((p) => p.cidr)).toEqual(POD_CIDRS);
    expect(state.gateways.map((g) => g.ip)).toEqual(['fd00:10:244:1::1', '10.244.1.1']);
    expect(state).toMatchObject({ bridge: 'kube-bridge', mtu: 1450, autoMtu: true, hairpinMode: false, conflistPath: conflist });

    const list = JSON.parse(await readFile(conflist, 'utf8')) as { plugins: { type: string; mtu?: number; ipam: { ranges: { subnet: string }[][]; dataDir: string } }[] };
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(list.plugins[0]?.ipam.ranges.map((set) => set[0]?.subnet)).toEqual(POD_CIDRS);
    expect(list.plugins[0]?.ipam.dataDir).toBe(join(dir, 'leases'));

    // Memory is measured by `pnpm bench rss` (docs/benchmarks.md), not asserted here: a
    // timing- and load-dependent figure makes a flaky test.

    pod = await createTestNetns();
    const call = { nodeNetns: node.name, podNetns: pod.name, containerId: 'kr-test-binary-pod', conflistPath: conflist };
    const result = await cniAdd(call);
    expect(result.ips?.map((ip) => ip.address)).toEqual(['fd00:10:244:1::2/64', '10.244.1.2/24']);
    await cniDel(call);
    expect(await ipJson(pod.name, 'link', 'show', 'dev', 'eth0')).toEqual([]);
  });

  it('follows the overlay overhead the router publishes on the bus', async () => {
    bus.publishSection('router', nodestate.RouterState.fromPartial({ overlayEncap: 'vxlan', overlayOverheadIpv4: 50, overlayOverheadIpv6: 70 }));
    await eventually('MTU 1380 in the list and the section', async () => {
      const list = JSON.parse(await readFile(conflist, 'utf8')) as { plugins: { mtu?: number }[] };
      const s = await section();
      return list.plugins[0]?.mtu === 1380 && s?.mtu === 1380 ? true : undefined;
    });
  });

  it('a pod-cidrs annotation missing a family is a clear health reason, and the list is kept', async () => {
    const before = await readFile(conflist, 'utf8');
    api.upsert(NODES, nodeObject(NODE, NODE_IPS, POD_CIDRS, { 'kube-router.io/pod-cidrs': 'fd00:10:244:1::/64' }));
    const s = await eventually('a degraded section', async () => {
      const v = await section();
      return v?.header?.health === nodestate.Health.HEALTH_DEGRADED ? v : undefined;
    });
    expect(s.header?.healthReasons.join('\n')).toMatch(/last sync failed: node node-a has no IPv4 \(--enable-ipv4 is set\) pod CIDR: pod CIDRs come from annotation:pod-cidrs/);
    expect(s.podCidrs.map((p) => p.cidr)).toEqual(POD_CIDRS);
    expect(await readFile(conflist, 'utf8')).toBe(before);
    expect(output).toMatch(/"level":"error".*no IPv4 \(--enable-ipv4 is set\) pod CIDR/);
  });

  it('stops on SIGTERM with exit code 0, leaving the dataplane in place', async () => {
    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(existsSync(conflist)).toBe(true);
    expect(await ipJson(node.name, 'link', 'show', 'dev', 'kube-bridge')).toHaveLength(1);
  });

  it('--cleanup-config strips our ranges and MTU from the operator\'s list and deletes the bridge, without API or bus', async () => {
    const cleanup = spawn('ip', ['netns', 'exec', node.name, process.execPath, BIN, '--cleanup-config', `--cni-conf-file=${conflist}`, '--master=http://127.0.0.1:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    cleanup.stdout.on('data', (d: Buffer) => (text += d.toString()));
    cleanup.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const [code] = (await once(cleanup, 'exit')) as [number | null];
    expect(code, text).toBe(0);
    // The operator added portmap and a dataDir: the list stays, without our ranges and MTU.
    expect(text).toMatch(/"conflist":"stripped".*"bridgeDeleted":true.*CNI configuration cleaned up/);
    const list = JSON.parse(await readFile(conflist, 'utf8')) as { plugins: Record<string, unknown>[] };
    expect(list.plugins.map((p) => p['type'])).toEqual(['bridge', 'portmap']);
    expect(list.plugins[0]).not.toHaveProperty('mtu');
    expect(list.plugins[0]?.['ipam']).toEqual({ type: 'host-local', dataDir: join(dir, 'leases') });
    expect(await readdir(dirname(conflist))).toEqual(['10-kuberouter.conflist']);
    expect(await ipJson(node.name, 'link', 'show', 'dev', 'kube-bridge')).toEqual([]);
  });
});
