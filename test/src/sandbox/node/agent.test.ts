// The node agent as a process, started the way `kr-sandbox up` starts it (ip netns exec
// into the node's namespace, own process group, output to agent.log), against the API
// simulator on a unix socket. The DaemonSet here is a small manifest of shell
// containers, so the supervisor and the flags can be watched; the kubelet gets a
// hand-written network configuration (kr-cni itself: agent-cni.test.ts).
//
// Test IP plan (nothing outside the test namespaces):
//   node1 eth0 (veth, peer in the node namespace)  198.18.0.11/24, fd42:198:18:0::11/64
//   pod CIDRs (simulator node IPAM)                10.244.0.0/24, fd00:10:244::/64
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACES, NODES, PODS } from '@kr/k8s';
import type { V1Pod } from '@kubernetes/client-node';
import { startTestSimulator, type TestSimulator } from '../../apiserver/testing/helpers.js';
import { POD_NETNS_ANNOTATION, type SandboxClusterConfig } from './cluster-config.js';
import { run } from './exec.js';
import { sandboxNodePaths } from './paths.js';
import { isAlive, startAgent, writeClusterConfig, type RunningAgent } from './testing/agent.js';
import { ensureSandboxBuilt, type SandboxBinaries } from './testing/build.js';
import { eventually, probeFrom, stackPlan } from './testing/fixtures.js';
import { createNetns, ipBatch, isRoot, rootFingerprint, type TestNetns } from './testing/netns.js';

const NODE_IPS = { ipv4: '198.18.0.11', ipv6: 'fd42:198:18:0::11' };
const POD_NETNS_PREFIX = 'kr-test-p-';
// Each container says it started, with its environment and arguments, then sleeps.
const MANIFEST = `
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: kube-router, namespace: kube-system }
spec:
  template:
    spec:
      containers:
        - name: nats
          command: [sh, -c, 'echo "nats up $*"; exec sleep 1000', nats, --store_dir, /var/run/kube-router/nats]
        - name: gobgp
          command: [sh, -c, 'echo "gobgp up"; exec sleep 1000']
        - name: cni
          command: [sh, -c, 'echo "cni up on $NODE_NAME: $*"; exec sleep 1000', kr-cni]
          args: [--metrics-port=8083]
          env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }]
        - name: router
          command: [sh, -c, 'echo "router must not run"; exec sleep 1000']
`;

describe.skipIf(!isRoot())('node agent process (stub containers)', () => {
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
    rootBefore = await rootFingerprint();
    const plan = stackPlan('dual');
    sim = await startTestSimulator({ serviceCidrs: plan.serviceCidrs, clusterCidrs: plan.clusterCidrs });
    node = await createNetns();
    await ipBatch(node.name, [
      'link add eth0 type veth peer name eth0-peer',
      `address add ${NODE_IPS.ipv4}/24 dev eth0`,
      `address add ${NODE_IPS.ipv6}/64 dev eth0 nodad`,
      'link set eth0-peer up',
      'link set eth0 up',
    ]);
    dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-agent-'));
    await writeFile(join(dir, 'daemonset.yaml'), MANIFEST);
    config = {
      version: 1,
      repoRoot: bin.repoRoot,
      stateDir: join(dir, 'state'),
      stack: 'dual',
      families: plan.families,
      clusterCidrs: plan.clusterCidrs,
      serviceCidrs: plan.serviceCidrs,
      nodeCidrMaskSizeIPv4: 24,
      nodeCidrMaskSizeIPv6: 64,
      subnets: [{ index: 0, ipv4: '198.18.0.0/24', ipv6: 'fd42:198:18:0::/64' }],
      nodes: [{ name: 'node1', netns: node.name, subnet: 0, addresses: NODE_IPS }],
      externals: [],
      controllers: ['cni'],
      extraFlags: { cni: ['--v=3'] },
      api: { url: sim.sim.url, socket: sim.socketPath },
      manifest: join(dir, 'daemonset.yaml'),
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
  const logOf = (container: string) => readFile(join(paths().logsDir, `${container}.log`), 'utf8').catch(() => '');

  it('starts nats, gobgp and the listed controllers with the sandbox flags, and reports ready', async () => {
    const status = await agent.waitFor('ready', (s) => s.ready);
    expect(status.pid).toBe(agent.child.pid); // `ip netns exec` execs: the agent is the child
    expect(Object.keys(status.containers ?? {}).sort()).toEqual(['cni', 'gobgp', 'nats']);
    expect(Object.values(status.containers ?? {}).every((c) => c.running && c.pid && isAlive(c.pid))).toBe(true);
    const cniLog = await eventually('cni log', async () => ((await logOf('cni')).includes('up') ? logOf('cni') : undefined));
    expect(cniLog.trim()).toBe(
      `cni up on node1: --metrics-port=8083 --master=http://127.0.0.1:6443 --hostname-override=node1 --enable-ipv4=true --enable-ipv6=true --cni-conf-file=${paths().cniConfFile} --v=3`,
    );
    expect((await logOf('nats')).trim()).toBe(`nats up --store_dir ${paths().natsDir}`);
  });

  it('relays 127.0.0.1:6443 in the node namespace to the API, and registered the Node there', async () => {
    const script = "const r = await fetch('http://127.0.0.1:6443/api/v1/nodes/node1'); console.log(r.status, (await r.json()).metadata.name)";
    const { stdout } = await run(['ip', 'netns', 'exec', node.name, process.execPath, '--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('200 node1');
    const n = await sim.client.get(NODES, 'node1');
    expect(n.status?.addresses).toEqual([
      { type: 'InternalIP', address: NODE_IPS.ipv4 },
      { type: 'InternalIP', address: NODE_IPS.ipv6 },
      { type: 'Hostname', address: 'node1' },
    ]);
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('brings a killed container back, logging to the same file', async () => {
    const before = (await agent.status())!.containers!.gobgp!;
    process.kill(before.pid!, 'SIGKILL');
    const after = await agent.waitFor('gobgp restarted', (s) => s.containers?.gobgp?.restarts === 1 && s.containers.gobgp.running);
    expect(after.containers!.gobgp!.pid).not.toBe(before.pid);
    await eventually('a second log line', async () => ((await logOf('gobgp')).match(/gobgp up/g)?.length === 2 ? true : undefined));
  });

  it('runs pods: Pending until the network configuration exists, then Running in a namespace everyone sees', async () => {
    await sim.client.create(NAMESPACES, { metadata: { name: 'demo' } });
    const podSpec = (name: string, extra: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
      metadata: { name, namespace: 'demo' },
      spec: { nodeName: 'node1', containers: [{ name: 'app', image: 'sandbox/pod-server' }], ...extra },
    });
    await sim.client.create(PODS, podSpec('a'));
    await sim.client.create(PODS, podSpec('b'));
    await sim.client.create(PODS, podSpec('on-host', { hostNetwork: true, containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 9999, protocol: 'UDP' }] }] }));
    const get = (name: string) => sim.client.get(PODS, name, { namespace: 'demo' });
    const pending = await eventually('a Pending', async () => {
      const p = await get('a');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'NetworkNotReady' ? p : undefined;
    });
    expect(pending.status?.phase).toBe('Pending');

    const podCIDRs = (await sim.client.get(NODES, 'node1')).spec!.podCIDRs!;
    await mkdir(paths().cniConfDir, { recursive: true });
    await writeFile(
      paths().cniConfFile,
      JSON.stringify({ cniVersion: '0.3.0', name: 'mynet', plugins: [{ type: 'bridge', bridge: 'kube-bridge', isGateway: true, isDefaultGateway: true, ipam: { type: 'host-local', ranges: podCIDRs.map((subnet) => [{ subnet }]) } }] }),
    );
    const pods = await eventually('pods Running', async () => {
      const all = await Promise.all(['a', 'b', 'on-host'].map(get));
      for (const p of all) {
        const ns = p.metadata?.annotations?.[POD_NETNS_ANNOTATION];
        if (ns?.startsWith(POD_NETNS_PREFIX)) podNamespaces.add(ns);
      }
      return all.every((p) => p.status?.phase === 'Running') ? all : undefined;
    });
    const [a, b, onHost] = pods as [V1Pod, V1Pod, V1Pod];
    expect(onHost.metadata?.annotations?.[POD_NETNS_ANNOTATION]).toBe(node.name);
    expect(onHost.status?.podIPs).toEqual([{ ip: NODE_IPS.ipv4 }, { ip: NODE_IPS.ipv6 }]);
    // Created by the agent, which runs in a mount namespace of its own (ip netns exec):
    // the pod namespaces must still be visible here, to the CLI and to `ip netns exec`.
    const bNetns = b.metadata!.annotations![POD_NETNS_ANNOTATION]!;
    expect(existsSync(`/run/netns/${bNetns}`)).toBe(true);
    const targets = [
      ...a.status!.podIPs!.map(({ ip }) => ({ id: `a ${ip}`, ip: ip!, port: 8080, protocol: 'TCP' as const })),
      ...a.status!.podIPs!.map(({ ip }) => ({ id: `a udp ${ip}`, ip: ip!, port: 8080, protocol: 'UDP' as const })),
      { id: 'host v4', ip: NODE_IPS.ipv4, port: 9999, protocol: 'UDP' as const },
      { id: 'host v6', ip: NODE_IPS.ipv6, port: 9999, protocol: 'UDP' as const },
    ];
    const results = await probeFrom(bin.probeClient, bNetns, targets, 3_000);
    expect(results.map((r) => [r.id, r.answeredBy ?? r.error])).toEqual(targets.map((t) => [t.id, t.id.startsWith('host') ? 'demo/on-host' : 'demo/a']));
  });

  it('stops everything on SIGTERM: containers, pod servers; exit code 0 and ready false', async () => {
    const status = (await agent.status())!;
    const containerPids = Object.values(status.containers!).map((c) => c.pid!);
    const { stdout } = await run(['pgrep', '-g', String(agent.child.pid)]);
    const groupPids = stdout.trim().split('\n').map(Number).filter((p) => p !== agent.child.pid);
    expect(groupPids).toEqual(expect.arrayContaining(containerPids));
    expect(groupPids.length).toBeGreaterThanOrEqual(containerPids.length + 3); // + three pod servers
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    expect(groupPids.filter(isAlive)).toEqual([]);
    expect(await agent.status()).toEqual({ pid: agent.child.pid, ready: false, containers: expect.any(Object) });
    expect(Object.values((await agent.status())!.containers!).some((c) => c.running)).toBe(false);
    expect(await agent.log()).toMatch(/"msg":"stopping"/);
  });
});
