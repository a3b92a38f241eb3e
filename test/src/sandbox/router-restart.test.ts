// End to end: kr-router and its gobgpd sidecar restarting, in a dual-stack sandbox of 3
// nodes on 2 subnets (node2 alone on subnet 1, reached over vxlan). The node agent
// restarts a killed container as the kubelet would (1 s back-off). While it happens, the
// kernel state of every node is sampled straight from the namespaces (~20 per second):
// routes of protocol 17 (both families) and vxlan tunnels with their ifindex, so a
// removed, duplicated or re-created object shows in some sample.
//
// What the router does (services/router/src/controller.ts, model/rib-warmup.ts):
// - kr-router restarted (SIGTERM or SIGKILL): gobgpd keeps running, so the new process
//   adopts the BGP server as it is; its first sync finds the kernel in sync: no route is
//   removed, none added twice, no tunnel re-created, no BGP session reset.
// - gobgpd killed: the router notices (broken watch / gRPC disconnect) without
//   restarting, starts the new (empty) server, re-adds peers, paths and policies. Until
//   every peer has been Established for a few seconds it removes no route and no tunnel
//   (the new RIB is still filling), so the node's own routes stay all along. Its peers
//   see the session drop: without --bgp-graceful-restart (kube-router's default) they
//   withdraw its routes until the session is back; with it they keep them (GR helper),
//   so no route disappears anywhere.
//
// Test IP plan (the sandbox's defaults):
//   node1  subnet 0  198.18.0.11  fd42:198:18::11   (the node whose containers restart)
//   node2  subnet 1  198.18.1.12  fd42:198:18:1::12
//   node3  subnet 0  198.18.0.13  fd42:198:18::13
//   pods 10.244.0.0/16 (/24 per node), fd00:10:244::/56 (/64 per node)
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxAgentStatus, SandboxContainer, SandboxFamily } from './node/index.js';
import type { NodeStatus, SandboxStatus } from './status.js';
import { REPO, sandboxCli, sandboxOk } from './testing/cli.js';
import { eventually } from './testing/eventually.js';
import { ESTABLISHED, sessions } from './testing/gobgp.js';
import { netnsKernelState, type HostKernelState } from './testing/kernel.js';
import { podsManifest } from './testing/pods.js';
import { actualRoutes, actualTunnels, converged } from './testing/router-state.js';
import { useSandboxSession } from './testing/session.js';

const NODES = ['node1', 'node2', 'node3'];
const RESTARTED = 'node1';
const FAMILIES: SandboxFamily[] = ['ipv4', 'ipv6'];
const CONVERGE_MS = 30_000;

/** What must not change: every route (by where it goes) and every tunnel (by name and ifindex). */
function fingerprint(state: HostKernelState): { routes: string[]; tunnels: string[] } {
  return { routes: actualRoutes(state), tunnels: state.tunnels.map((t) => `${t.name}#${t.ifindex} ${actualTunnels({ routes: [], tunnels: [t] })[0]}`).sort() };
}

/** Samples every node's kernel state until stopped. */
function startSampling(nodes: readonly string[]): { stop: () => Promise<Map<string, { at: number; state: HostKernelState }[]>> } {
  const samples = new Map(nodes.map((n) => [n, [] as { at: number; state: HostKernelState }[]]));
  let running = true;
  const loop = (async () => {
    while (running) {
      const states = await Promise.all(nodes.map((n) => netnsKernelState(`krsbx-${n}`)));
      const at = Date.now();
      nodes.forEach((n, i) => samples.get(n)!.push({ at, state: states[i]! }));
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Samples that differ from the baseline, described for the assertion message. */
function deviations(samples: readonly { at: number; state: HostKernelState }[], baseline: ReturnType<typeof fingerprint>, t0: number): string[] {
  return samples
    .map((s) => ({ at: s.at - t0, fp: fingerprint(s.state) }))
    .filter((s) => JSON.stringify(s.fp) !== JSON.stringify(baseline))
    .map((s) => `+${s.at} ms: routes ${JSON.stringify(s.fp.routes)} tunnels ${JSON.stringify(s.fp.tunnels)}`);
}

async function agentStatus(node: string): Promise<SandboxAgentStatus> {
  return JSON.parse(await readFile(`${REPO}/.sandbox/nodes/${node}/agent.json`, 'utf8')) as SandboxAgentStatus;
}

async function container(node: string, name: SandboxContainer): Promise<{ pid: number; restarts: number; running: boolean }> {
  const c = (await agentStatus(node)).containers?.[name];
  return { pid: c?.pid ?? 0, restarts: c?.restarts ?? 0, running: c?.running ?? false };
}

// One session per other node, carrying both families.
const allEstablished = (s: Record<string, [number, number]>) => Object.keys(s).length === NODES.length - 1 && Object.values(s).every(([state]) => state === ESTABLISHED);

useSandboxSession('test/src/sandbox/router-restart.test.ts');

describe.each([
  { name: 'defaults', flags: [] as string[], peersKeepRoutes: false },
  { name: '--bgp-graceful-restart', flags: ['--flags', 'router:--bgp-graceful-restart=true'], peersKeepRoutes: true },
])('restarts in a dual-stack sandbox of 3 nodes on 2 subnets ($name)', ({ flags, peersKeepRoutes }) => {
  let nodes: NodeStatus[];
  const baseline = new Map<string, ReturnType<typeof fingerprint>>();

  beforeAll(async () => {
    await sandboxOk(['up', '--nodes', '3', '--subnets', '2', '--stack', 'dual', ...flags, '--json'], { timeoutMs: 90_000 });
    await sandboxOk(['apply', '-f', '-'], { input: podsManifest('e2e', NODES) });
    await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
    nodes = (JSON.parse((await sandboxOk(['status', '--json'])).stdout) as SandboxStatus).nodes.slice();
    expect(await eventually(() => converged(nodes, FAMILIES), Boolean, CONVERGE_MS)).toBe(true);
    expect(allEstablished(await eventually(() => sessions(RESTARTED), allEstablished, CONVERGE_MS))).toBe(true);
    for (const n of NODES) baseline.set(n, fingerprint(await netnsKernelState(`krsbx-${n}`)));
  }, 300_000);

  afterAll(async () => {
    await sandboxCli(['down'], { timeoutMs: 60_000 });
  }, 90_000);

  // The router's own restart does not involve graceful restart: once is enough.
  if (!peersKeepRoutes) it.each(['SIGTERM', 'SIGKILL'] as const)(
    'restarting kr-router (%s) removes, duplicates and re-creates nothing on any node, and resets no BGP session',
    async (signal) => {
      const before = await container(RESTARTED, 'router');
      const sessionsBefore = await sessions(RESTARTED);
      const t0 = Date.now();
      const sampler = startSampling(NODES);
      process.kill(before.pid, signal);
      const after = await eventually(() => container(RESTARTED, 'router'), (c) => c.running && c.pid !== before.pid, 20_000);
      expect(after.restarts).toBe(before.restarts + 1);
      // The new process has synced with the API (and so with gobgpd and the kernel).
      await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      const samples = await sampler.stop();
      for (const n of NODES) {
        expect(samples.get(n)!.length).toBeGreaterThan(20);
        expect({ node: n, deviations: deviations(samples.get(n)!, baseline.get(n)!, t0) }).toEqual({ node: n, deviations: [] });
      }
      // Same sessions, established since before the restart.
      expect(await sessions(RESTARTED)).toEqual(sessionsBefore);
    },
    150_000,
  );

  it('killing gobgpd: it comes back, the router re-creates its BGP state without restarting, sessions and routes are restored', async () => {
    const router = await container(RESTARTED, 'router');
    const gobgp = await container(RESTARTED, 'gobgp');
    const t0 = Date.now();
    const sampler = startSampling(NODES);
    process.kill(gobgp.pid, 'SIGKILL');
    const back = await eventually(() => container(RESTARTED, 'gobgp'), (c) => c.running && c.pid !== gobgp.pid, 20_000);
    expect(back.restarts).toBe(gobgp.restarts + 1);
    // An empty gobgpd has no sessions until the router has re-created them.
    const restored = await eventually(() => sessions(RESTARTED), allEstablished, 60_000, 500);
    expect(allEstablished(restored)).toBe(true);
    for (const peer of NODES.filter((n) => n !== RESTARTED)) expect(allEstablished(await eventually(() => sessions(peer), allEstablished, 30_000, 500))).toBe(true);
    expect(await eventually(() => converged(nodes, FAMILIES), Boolean, CONVERGE_MS)).toBe(true);
    // Past the router's RIB warm-up (every peer Established for 3 s): the sync that may
    // remove routes again has run and found nothing to remove.
    await new Promise((r) => setTimeout(r, 4_000));
    const samples = await sampler.stop();

    expect(await container(RESTARTED, 'router')).toEqual(router);
    // The restarted node kept its routes and tunnels all along.
    expect({ node: RESTARTED, deviations: deviations(samples.get(RESTARTED)!, baseline.get(RESTARTED)!, t0) }).toEqual({ node: RESTARTED, deviations: [] });
    for (const n of NODES.filter((x) => x !== RESTARTED)) {
      const all = samples.get(n)!;
      const lost = all.filter((s) => JSON.stringify(fingerprint(s.state).routes) !== JSON.stringify(baseline.get(n)!.routes));
      if (peersKeepRoutes) expect({ node: n, deviations: deviations(all, baseline.get(n)!, t0) }).toEqual({ node: n, deviations: [] });
      // Without graceful restart the peers withdraw the node's routes while its session is
      // down (BGP as usual); at the end every route is back exactly once.
      else expect(lost.length).toBeGreaterThan(0);
      expect(actualRoutes(all.at(-1)!.state)).toEqual(baseline.get(n)!.routes);
    }
  }, 120_000);
});
