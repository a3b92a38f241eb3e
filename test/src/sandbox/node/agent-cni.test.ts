// The node agent with the real DaemonSet (deploy/kube-router-ts.yaml): nats-server,
// gobgpd and the real kr-cni, which writes the node's network configuration that the
// kubelet then uses for pods. A dual-stack cluster with IPv6 first.
//
// Test IP plan (nothing outside the test namespaces):
//   node1 eth0 (veth, peer in the node namespace)  fd42:198:18:0::11/64, 198.18.0.11/24
//   pod CIDRs (simulator node IPAM, v6 first)      fd00:10:244::/64, 10.244.0.0/24
//   kube-bridge (kr-cni)                           fd00:10:244::1, 10.244.0.1
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@kr/errors';
import { contains } from '@kr/ip';
import { NAMESPACES, NODES, PODS } from '@kr/k8s';
import type { V1Pod } from '@kubernetes/client-node';
import { startTestSimulator, type TestSimulator } from '../../apiserver/testing/helpers.js';
import { POD_NETNS_ANNOTATION, type SandboxClusterConfig } from './cluster-config.js';
import { run } from './exec.js';
import { sandboxNodePaths } from './paths.js';
import { isAlive, startAgent, writeClusterConfig, type RunningAgent } from './testing/agent.js';
import { ensureSandboxBuilt, ensureServiceBuilt, type SandboxBinaries } from './testing/build.js';
import { eventually, probeFrom, stackPlan } from './testing/fixtures.js';
import { createNetns, ipBatch, isRoot, rootFingerprint, type TestNetns } from './testing/netns.js';

const NODE_IPS = { ipv6: 'fd42:198:18:0::11', ipv4: '198.18.0.11' };
const POD_NETNS_PREFIX = 'kr-test-p-';
const NS = 'demo';

interface ConflistOnDisk {
  plugins: { type: string; bridge?: string; ipam?: { type: string; ranges: { subnet: string }[][] } }[];
}

describe.skipIf(!isRoot())('node agent with the real DaemonSet and kr-cni', () => {
  let bin: SandboxBinaries;
  let rootBefore: string;
  let sim: TestSimulator;
  let node: TestNetns;
  let dir: string;
  let config: SandboxClusterConfig;
  let agent: RunningAgent;
  const podNamespaces = new Set<string>();

  beforeAll(async () => {
    bin = ensureSandboxBuilt();
    ensureServiceBuilt('cni');
    rootBefore = await rootFingerprint();
    const plan = stackPlan('dual-v6');
    sim = await startTestSimulator({ serviceCidrs: plan.serviceCidrs, clusterCidrs: plan.clusterCidrs });
    node = await createNetns();
    // kr-cni refuses to run where the node's InternalIP is on no interface.
    await ipBatch(node.name, [
      'link add eth0 type veth peer name eth0-peer',
      `address add ${NODE_IPS.ipv6}/64 dev eth0 nodad`,
      `address add ${NODE_IPS.ipv4}/24 dev eth0`,
      'link set eth0-peer up',
      'link set eth0 up',
    ]);
    dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-agent-cni-'));
    config = {
      version: 1,
      repoRoot: bin.repoRoot,
      stateDir: join(dir, 'state'),
      stack: 'dual-v6',
      families: plan.families,
      clusterCidrs: plan.clusterCidrs,
      serviceCidrs: plan.serviceCidrs,
      nodeCidrMaskSizeIPv4: 24,
      nodeCidrMaskSizeIPv6: 64,
      subnets: [{ index: 0, ipv4: '198.18.0.0/24', ipv6: 'fd42:198:18:0::/64' }],
      nodes: [{ name: 'node1', netns: node.name, subnet: 0, addresses: NODE_IPS }],
      externals: [],
      controllers: ['cni'],
      extraFlags: { cni: ['--heartbeat-interval=1s'] },
      api: { url: sim.sim.url, socket: sim.socketPath },
      podNetnsPrefix: POD_NETNS_PREFIX,
    };
    await writeClusterConfig(join(config.stateDir, 'cluster.json'), config);
    agent = await startAgent(bin.agentMain, join(config.stateDir, 'cluster.json'), config, 'node1');
  });

  afterAll(async () => {
    await agent?.stop();
    for (const name of podNamespaces) await run(['ip', 'netns', 'delete', name]).catch(() => undefined);
    await node?.delete();
    await sim?.dispose();
    await rm(dir, { recursive: true, force: true });
    expect(await rootFingerprint(), 'the root namespace must be untouched').toBe(rootBefore);
  });

  const paths = () => sandboxNodePaths(config.stateDir, 'node1');
  const getPod = (name: string) => sim.client.get(PODS, name, { namespace: NS });

  it('runs nats, gobgp and kr-cni; kr-cni writes the node configuration in the node order', async () => {
    const status = await agent.waitFor('ready', (s) => s.ready, 30_000);
    expect(Object.keys(status.containers ?? {}).sort()).toEqual(['cni', 'gobgp', 'nats']);
    const podCIDRs = (await sim.client.get(NODES, 'node1')).spec!.podCIDRs!;
    expect(podCIDRs.map((c) => (c.includes(':') ? 'ipv6' : 'ipv4'))).toEqual(['ipv6', 'ipv4']);
    const list = await eventually(
      'the conflist from kr-cni',
      async () => JSON.parse(await readFile(paths().cniConfFile, 'utf8')) as ConflistOnDisk,
      30_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\ncni log:\n${await readFile(join(paths().logsDir, 'cni.log'), 'utf8').catch(() => '')}`);
    });
    expect(list.plugins[0]).toMatchObject({ type: 'bridge', bridge: 'kube-bridge' });
    expect(list.plugins[0]!.ipam!.ranges.map((set) => set[0]!.subnet)).toEqual(podCIDRs);
    // nats keeps its JetStream store under the node's directory, not /var/run.
    expect(await eventually('the nats store', async () => ((await readdir(paths().natsDir)).length > 0 ? true : undefined))).toBe(true);
  });

  it('runs pods on the network kr-cni configured, IPv6 first, reachable from each other', async () => {
    await sim.client.create(NAMESPACES, { metadata: { name: NS } });
    for (const name of ['a', 'b']) {
      await sim.client.create(PODS, { metadata: { name, namespace: NS }, spec: { containers: [{ name: 'app', image: 'sandbox/pod-server', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] } });
    }
    const pods = await eventually('pods Running', async () => {
      const all = await Promise.all(['a', 'b'].map(getPod));
      for (const p of all) {
        const ns = p.metadata?.annotations?.[POD_NETNS_ANNOTATION];
        if (ns) podNamespaces.add(ns);
      }
      return all.every((p) => p.status?.phase === 'Running') ? (all as [V1Pod, V1Pod]) : undefined;
    }, 30_000);
    const podCIDRs = (await sim.client.get(NODES, 'node1')).spec!.podCIDRs!;
    for (const p of pods) {
      const ips = p.status!.podIPs!.map((x) => x.ip!);
      expect(ips).toHaveLength(2);
      ips.forEach((ip, i) => expect(contains(podCIDRs[i]!, ip)).toBe(true));
    }
    const [a, b] = pods;
    const targets = a.status!.podIPs!.flatMap(({ ip }) => [
      { id: `tcp ${ip}`, ip: ip!, port: 80, protocol: 'TCP' as const },
      { id: `udp ${ip}`, ip: ip!, port: 53, protocol: 'UDP' as const },
    ]);
    const results = await probeFrom(bin.probeClient, b.metadata!.annotations![POD_NETNS_ANNOTATION]!, targets, 3_000);
    expect(results.map((r) => [r.id, r.answeredBy ?? r.error])).toEqual(targets.map((t) => [t.id, `${NS}/a`]));
  });

  it('restarts kr-cni when it dies; the configuration stays and pods keep running', async () => {
    const before = (await agent.status())!.containers!.cni!;
    const conflist = await readFile(paths().cniConfFile, 'utf8');
    process.kill(before.pid!, 'SIGKILL');
    const after = await agent.waitFor('cni back', (s) => s.containers?.cni?.restarts === 1 && s.containers.cni.running, 20_000);
    expect(after.containers!.cni!.pid).not.toBe(before.pid);
    expect(await readFile(paths().cniConfFile, 'utf8')).toBe(conflist);
    expect((await getPod('a')).status?.phase).toBe('Running');
  });

  it('deletes a pod: CNI DEL, namespace gone, object gone', async () => {
    const a = await getPod('a');
    const netns = a.metadata!.annotations![POD_NETNS_ANNOTATION]!;
    await sim.client.delete(PODS, 'a', { namespace: NS });
    await eventually('a gone', async () => {
      try {
        await getPod('a');
        return undefined;
      } catch (err) {
        return err instanceof ApiError && err.status === 404 ? true : undefined;
      }
    });
    expect(existsSync(`/run/netns/${netns}`)).toBe(false);
    const leases = await readdir(join(paths().cniDataDir, 'mynet'));
    for (const { ip } of a.status!.podIPs!) expect(leases).not.toContain(ip);
  });

  it('stops all containers and pod servers on SIGTERM', async () => {
    const { stdout } = await run(['pgrep', '-g', String(agent.child.pid)]);
    const group = stdout.trim().split('\n').map(Number).filter((p) => p !== agent.child.pid);
    expect(group.length).toBeGreaterThanOrEqual(4); // nats, gobgp, kr-cni, pod b
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    expect(group.filter(isAlive)).toEqual([]);
  });
});
