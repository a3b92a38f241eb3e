// The kubelet against the real API server simulator, with Debian's CNI plugins (bridge +
// host-local + portmap, the list the cni controller writes) inside a throwaway node
// namespace, and real pod servers: one table row per stack.
//
// Test IP plan (nothing outside the test namespaces):
//   node1 (veth nic0, its peer in the node namespace too)  198.18.0.11/24, fd42:198:18:0::11/64
//   pod CIDRs (node IPAM of the simulator)    10.244.0.0/24, fd00:10:244::/64
//   pods                                       .2, .3 … of those, gateway .1 on kube-bridge
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@kr/errors';
import { contains } from '@kr/ip';
import { NAMESPACES, NODES, PODS } from '@kr/k8s';
import { createLogger } from '@kr/observability';
import type { V1Pod } from '@kubernetes/client-node';
import { startTestSimulator, type TestSimulator } from '../../apiserver/testing/helpers.js';
import { POD_NETNS_ANNOTATION, type SandboxHost, type SandboxStack } from './cluster-config.js';
import { CniRuntime } from './kubelet/cni-runtime.js';
import { Kubelet } from './kubelet/kubelet.js';
import { NamedNetns } from './named-netns.js';
import { ensureSandboxBuilt, type SandboxBinaries } from './testing/build.js';
import { eventually, probeFrom, stackPlan } from './testing/fixtures.js';
import { createNetns, ipBatch, isRoot, rootFingerprint, type TestNetns } from './testing/netns.js';

const NODE_ADDRESSES = { ipv4: '198.18.0.11', ipv6: 'fd42:198:18:0::11' } as const;
const NS = 'shop';
const POD_NETNS_PREFIX = 'kr-test-p-';

interface Env {
  sim?: TestSimulator;
  node?: TestNetns;
  dir?: string;
  kubelet?: Kubelet;
  netns?: NamedNetns;
  podNamespaces: Set<string>;
}

interface ReadyEnv extends Required<Env> {
  families: readonly ('ipv4' | 'ipv6')[];
}

function pod(name: string, spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod {
  return { metadata: { name, namespace: NS }, spec: { containers: [{ name: 'app', image: 'sandbox/pod-server' }], ...spec } };
}

describe.skipIf(!isRoot())('kubelet with the CNI plugins and the API simulator', () => {
  let bin: SandboxBinaries;
  let env: Env | undefined;
  let rootBefore: string;

  beforeAll(async () => {
    bin = ensureSandboxBuilt();
    rootBefore = await rootFingerprint();
  });

  afterEach(async () => {
    if (!env) return;
    const { sim, node, dir, kubelet, netns, podNamespaces } = env;
    env = undefined;
    await kubelet?.stop();
    for (const name of podNamespaces) await netns?.delete(name);
    netns?.close();
    await node?.delete();
    await sim?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    expect(await rootFingerprint(), 'the root namespace must be untouched').toBe(rootBefore);
  });

  async function setUp(stack: SandboxStack): Promise<ReadyEnv> {
    const plan = stackPlan(stack);
    const e: Env = { podNamespaces: new Set() };
    env = e;
    const sim = (e.sim = await startTestSimulator({ serviceCidrs: plan.serviceCidrs, clusterCidrs: plan.clusterCidrs }));
    const node = (e.node = await createNetns());
    const dir = (e.dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-kubelet-')));
    const addresses = Object.fromEntries(plan.families.map((f) => [f, NODE_ADDRESSES[f]]));
    await ipBatch(node.name, [
      'link add nic0 type veth peer name nic0-peer',
      ...plan.families.map((f) => `address add ${NODE_ADDRESSES[f]}/${f === 'ipv4' ? 24 : 64} dev nic0${f === 'ipv6' ? ' nodad' : ''}`),
      'link set nic0-peer up',
      'link set nic0 up',
    ]);
    const host: SandboxHost = { name: 'node1', netns: node.name, subnet: 0, addresses };
    const nodeExec = ['ip', 'netns', 'exec', node.name];
    const netns = (e.netns = NamedNetns.open());
    expect(netns.viaHostMountNamespace).toBe(false);
    const kubelet = (e.kubelet = new Kubelet({
      client: sim.client,
      node: host,
      families: plan.families,
      cniConfDir: join(dir, 'net.d'),
      cni: new CniRuntime({ ipamDataDir: join(dir, 'data'), nodeExec }),
      netns,
      podServer: { execPath: process.execPath, script: bin.podServer },
      podLogsDir: dir,
      nodeExec,
      log: createLogger({ name: 'kubelet-test', level: process.env['KR_TEST_LOG'] === '1' ? 'debug' : 'silent' }).logger,
      networkPollMs: 200,
      // Not krsbx-p-: a `kr-sandbox down` running meanwhile removes every krsbx-* namespace.
      podNetnsPrefix: POD_NETNS_PREFIX,
    }));
    await kubelet.start();
    await sim.client.create(NAMESPACES, { metadata: { name: NS } });
    return { ...(e as Required<Env>), families: plan.families };
  }

  async function waitForPod(e: ReadyEnv, name: string, what: string, ok: (p: V1Pod) => boolean): Promise<V1Pod> {
    return eventually(`${name}: ${what}`, async () => {
      const p = await e.sim.client.get(PODS, name, { namespace: NS });
      const netns = p.metadata?.annotations?.[POD_NETNS_ANNOTATION];
      if (netns?.startsWith(POD_NETNS_PREFIX)) e.podNamespaces.add(netns);
      return ok(p) ? p : undefined;
    });
  }

  it.each([
    { stack: 'ipv4', reversedRanges: false },
    { stack: 'ipv6', reversedRanges: false },
    { stack: 'dual', reversedRanges: true },
    { stack: 'dual-v6', reversedRanges: true },
  ] as const)('$stack: pods wait for the network, then run with IPs in the cluster order; delete removes them', async ({ stack, reversedRanges }) => {
    const e = await setUp(stack);
    const { sim, families } = e;
    const node = await eventually('node pod CIDRs', async () => {
      const n = await sim.client.get(NODES, 'node1');
      return (n.spec?.podCIDRs?.length ?? 0) === families.length ? n : undefined;
    });
    expect(node.status?.addresses).toEqual([...families.map((f) => ({ type: 'InternalIP', address: NODE_ADDRESSES[f] })), { type: 'Hostname', address: 'node1' }]);
    const podCIDRs = node.spec!.podCIDRs!;

    // Before the cni controller has written its list: Pending, with the reason.
    await sim.client.create(PODS, pod('web', { nodeName: 'node1', containers: [{ name: 'app', image: 'sandbox/pod-server', ports: [{ containerPort: 8080 }, { containerPort: 5353, protocol: 'UDP' }] }] }));
    await sim.client.create(PODS, pod('client', {})); // bound by the simulator's scheduler
    await sim.client.create(PODS, pod('host', { hostNetwork: true, containers: [{ name: 'app', image: 'sandbox/pod-server', ports: [{ containerPort: 9090 }] }] }));
    for (const name of ['web', 'client']) {
      const pending = await waitForPod(e, name, 'Pending for the network', (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'NetworkNotReady') === true);
      expect(pending.status?.phase).toBe('Pending');
      expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
      expect(pending.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(/network not ready.*no CNI configuration file/);
    }
    // hostNetwork pods do not need the pod network.
    const host = await waitForPod(e, 'host', 'Running', (p) => p.status?.phase === 'Running');
    expect(host.status?.podIPs).toEqual(families.map((f) => ({ ip: NODE_ADDRESSES[f] })));

    // The list kr-cni writes (ranges in the node's order; reversed here in the dual
    // rows: the runtime must not rely on it), with portmap chained.
    const ranges = (reversedRanges ? [...podCIDRs].reverse() : podCIDRs).map((subnet) => [{ subnet }]);
    await mkdir(join(e.dir, 'net.d'));
    await writeFile(
      join(e.dir, 'net.d', '10-kuberouter.conflist'),
      JSON.stringify({
        cniVersion: '0.3.0',
        name: 'mynet',
        plugins: [
          { name: 'kubernetes', type: 'bridge', bridge: 'kube-bridge', isGateway: true, isDefaultGateway: true, ipam: { type: 'host-local', ranges } },
          { type: 'portmap', capabilities: { snat: true, portMappings: true } },
        ],
      }),
    );
    const running = new Map<string, V1Pod>();
    for (const name of ['web', 'client']) {
      const p = await waitForPod(e, name, 'Running and Ready', (q) => q.status?.phase === 'Running' && q.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
      running.set(name, p);
      const ips = p.status!.podIPs!.map((x) => x.ip);
      expect(ips).toHaveLength(families.length);
      ips.forEach((ip, i) => expect(contains(podCIDRs[i]!, ip), `${ip} in ${podCIDRs[i]}`).toBe(true));
      expect(p.status?.podIP).toBe(ips[0]);
      expect(p.status?.hostIPs).toEqual(families.map((f) => ({ ip: NODE_ADDRESSES[f] })));
      expect(p.status?.containerStatuses).toMatchObject([{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }]);
      expect(existsSync(`/run/netns/${p.metadata!.annotations![POD_NETNS_ANNOTATION]}`)).toBe(true);
    }

    // Pod to pod on the node, each family, both protocols; pod to a hostNetwork pod.
    const web = running.get('web')!;
    const clientNetns = running.get('client')!.metadata!.annotations![POD_NETNS_ANNOTATION]!;
    const targets = web.status!.podIPs!.flatMap(({ ip }) => [
      { id: `tcp ${ip}`, ip: ip!, port: 8080, protocol: 'TCP' as const },
      { id: `udp ${ip}`, ip: ip!, port: 5353, protocol: 'UDP' as const },
    ]);
    targets.push(...families.map((f) => ({ id: `host ${f}`, ip: NODE_ADDRESSES[f], port: 9090, protocol: 'TCP' as const })));
    const results = await probeFrom(bin.probeClient, clientNetns, targets, 3_000);
    expect(results.map((r) => [r.id, r.ok, r.answeredBy ?? r.error])).toEqual(
      targets.map((t) => [t.id, true, t.id.startsWith('host') ? `${NS}/host` : `${NS}/web`]),
    );

    // A pod server that dies is restarted, and the status counts it.
    const serverPid = Number(web.status!.containerStatuses![0]!.containerID!.replace('sandbox://', ''));
    process.kill(serverPid, 'SIGKILL');
    const restarted = await waitForPod(e, 'web', 'restartCount 1 and Ready', (p) => p.status?.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].ready === true);
    expect(restarted.status?.containerStatuses?.[0]?.containerID).not.toBe(`sandbox://${serverPid}`);
    expect((await probeFrom(bin.probeClient, clientNetns, targets.slice(0, 1), 3_000))[0]?.answeredBy).toBe(`${NS}/web`);

    // Deleting: the kubelet tears down and confirms; the lease goes back to host-local.
    const webNetns = web.metadata!.annotations![POD_NETNS_ANNOTATION]!;
    const leases = async () => (await readdir(join(e.dir, 'data', 'mynet'))).filter((f) => f.includes('.') || f.includes(':'));
    expect(await leases()).toEqual(expect.arrayContaining(web.status!.podIPs!.map((x) => x.ip)));
    await sim.client.delete(PODS, 'web', { namespace: NS });
    await eventually('web gone from the API', async () => {
      try {
        await sim.client.get(PODS, 'web', { namespace: NS });
        return undefined;
      } catch (err) {
        return err instanceof ApiError && err.status === 404 ? true : undefined;
      }
    });
    expect(existsSync(`/run/netns/${webNetns}`)).toBe(false);
    expect(await leases()).not.toEqual(expect.arrayContaining([web.status!.podIPs![0]!.ip]));
    const after = await probeFrom(bin.probeClient, clientNetns, targets.slice(0, 1), 500);
    expect(after[0]?.ok).toBe(false);

    // A pod whose namespace vanished underneath (a crash, `down`) still goes: CNI DEL
    // runs without a namespace and releases the lease.
    const client = running.get('client')!;
    await e.netns.delete(clientNetns);
    await sim.client.delete(PODS, 'client', { namespace: NS });
    await eventually('client gone from the API', async () => {
      try {
        await sim.client.get(PODS, 'client', { namespace: NS });
        return undefined;
      } catch (err) {
        return err instanceof ApiError && err.status === 404 ? true : undefined;
      }
    });
    expect(await leases()).not.toEqual(expect.arrayContaining([client.status!.podIPs![0]!.ip]));
  });
});
