// The controller binaries as processes: flags, admin gRPC, health, metrics, the bus, and
// `kr status`, against a real nats-server and an in-process list/watch API server.
//
// Test IP plan (documentation and ULA ranges; nothing is configured on any interface):
//   node InternalIPs   198.18.0.11 (IPv4), fd00:198:18::11 (IPv6)
//   node pod CIDRs     10.244.1.0/24 (IPv4), fd00:10:244:1::/64 (IPv6)
//   other node         198.18.0.12 / fd00:198:18::12, pods 10.244.2.0/24, fd00:10:244:2::/64
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { ServingStatus } from '@kr/admin';
import { startNatsServer, type TestNatsServer } from '@kr/bus/testing';
import { ENDPOINT_SLICES, NAMESPACES, NETWORK_POLICIES, NODES, PODS, SERVICES } from '@kr/k8s';
import { FakeApiServer } from '@kr/k8s/testing';
import { nodestate } from '@kr/proto';
import { BINARIES, eventually, runBinary, startController, type ControllerBinary, type RunningController } from './harness.js';

const NODE = 'node-a';

function node(name: string, ips: string[], podCIDRs: string[]): V1Node {
  return {
    metadata: { name },
    spec: { podCIDRs, podCIDR: podCIDRs[0] },
    status: { addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }] },
  };
}

let api: FakeApiServer;
let nats: TestNatsServer;
const started: RunningController[] = [];

beforeAll(async () => {
  api = await FakeApiServer.start({ resources: [NODES, PODS, SERVICES, ENDPOINT_SLICES, NAMESPACES, NETWORK_POLICIES] });
  api.upsert(NODES, node(NODE, ['198.18.0.11', 'fd00:198:18::11'], ['10.244.1.0/24', 'fd00:10:244:1::/64']));
  api.upsert(NODES, node('node-b', ['198.18.0.12', 'fd00:198:18::12'], ['10.244.2.0/24', 'fd00:10:244:2::/64']));
  nats = await startNatsServer();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop('SIGKILL')));
});

afterAll(async () => {
  await api?.stop();
  await nats?.dispose();
});

async function start(name: ControllerBinary, args: string[] = []): Promise<RunningController> {
  const c = await startController(name, { apiUrl: api.url, natsUrl: nats.url, node: NODE, args });
  started.push(c);
  return c;
}

async function healthy(c: RunningController): Promise<nodestate.Health> {
  return eventually(async () => {
    const conn = c.admin();
    try {
      const s = await conn.getStatus();
      return s.health === nodestate.Health.HEALTH_HEALTHY ? s.health : undefined;
    } finally {
      conn.close();
    }
  }, 20_000, `${c.name} healthy`);
}

describe('binaries: flags', () => {
  it.each(Object.keys(BINARIES) as (keyof typeof BINARIES)[])('%s --help prints usage and exits 0', async (bin) => {
    const r = await runBinary(bin, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage:/);
  });

  it.each([
    { bin: 'cni', args: ['--no-such-flag'], flag: '--no-such-flag' },
    { bin: 'router', args: ['--metrics-port=99999'], flag: '--metrics-port' },
    { bin: 'proxy', args: ['--enable-ipv4=false', '--enable-ipv6=false'], flag: '--enable-ipv4' },
    { bin: 'firewall', args: ['--heartbeat-interval=soon'], flag: '--heartbeat-interval' },
    { bin: 'cni', args: ['--admin-address=localhost'], flag: '--admin-address' },
    { bin: 'router', args: ['--kubeconfig=/nonexistent/kubeconfig'], flag: '--kubeconfig' },
  ] as const)('$bin $args exits 2 naming $flag', async ({ bin, args, flag }) => {
    const r = await runBinary(bin, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`kr-${bin}: ${flag}:`);
  });
});

describe('a running controller', () => {
  it('serves grpc.health.v1 and Controller.GetStatus, and publishes its section', async () => {
    const c = await start('router', ['--enable-ipv6=true']);
    await healthy(c);
    const conn = c.admin();
    try {
      expect(await conn.healthCheck('')).toBe(ServingStatus.SERVING);
      const status = await conn.getStatus();
      expect(status.controller).toBe('router');
      expect(status.node).toBe(NODE);
      expect(status.bus?.connected).toBe(true);
      expect(status.api?.connected).toBe(true);
      expect(status.loops.map((l) => l.name).sort()).toEqual(['heartbeat', 'sync']);
      const state = await conn.getState();
      expect(state.router?.clusterNodes.find((n) => n.name === NODE)?.podCidrs).toEqual([
        { family: nodestate.Family.FAMILY_IPV4, cidr: '10.244.1.0/24' },
        { family: nodestate.Family.FAMILY_IPV6, cidr: 'fd00:10:244:1::/64' },
      ]);
      expect(state.router?.header?.owner).toBe('router');
    } finally {
      conn.close();
    }
  });

  it.each([
    { stack: 'ipv4', args: [], want: ['10.244.1.0/24', '10.244.2.0/24'] },
    { stack: 'ipv6', args: ['--enable-ipv4=false', '--enable-ipv6=true'], want: ['fd00:10:244:1::/64', 'fd00:10:244:2::/64'] },
    { stack: 'dual', args: ['--enable-ipv6=true'], want: ['10.244.1.0/24', '10.244.2.0/24', 'fd00:10:244:1::/64', 'fd00:10:244:2::/64'] },
  ])('router publishes the pod CIDRs of its families ($stack) on the bus', async ({ args, want }) => {
    const c = await start('router', args);
    await healthy(c);
    const r = await runBinary('kr', ['status', '--json', `--nats-url=${nats.url}`, `--admin-router=${c.adminAddress}`]);
    const report = JSON.parse(r.stdout) as { controllers: { router: { health: string; section: { clusterPodCidrs: { cidr: string }[] } } } };
    expect(report.controllers.router.health).toBe('healthy');
    expect(report.controllers.router.section.clusterPodCidrs.map((p) => p.cidr)).toEqual(want);
  });

  it('reacts to API changes: a node annotation changes the published pod CIDRs', async () => {
    const c = await start('router', ['--enable-ipv6=true']);
    await healthy(c);
    const n = node(NODE, ['198.18.0.11', 'fd00:198:18::11'], ['10.244.1.0/24', 'fd00:10:244:1::/64']);
    n.metadata!.annotations = { 'kube-router.io/pod-cidrs': '10.99.0.0/24,fd00:99::/64' };
    api.upsert(NODES, n);
    try {
      await eventually(async () => {
        const conn = c.admin();
        try {
          const s = await conn.getState();
          const mine = s.router?.clusterNodes.find((n) => n.name === NODE);
          return mine?.podCidrs.map((p) => p.cidr).join(',') === '10.99.0.0/24,fd00:99::/64';
        } finally {
          conn.close();
        }
      }, 10_000, 'annotation applied');
    } finally {
      api.upsert(NODES, node(NODE, ['198.18.0.11', 'fd00:198:18::11'], ['10.244.1.0/24', 'fd00:10:244:1::/64']));
    }
  });

  it('serves /healthz and kube_router_* metrics', async () => {
    const c = await start('router', ['--enable-ipv6=true']);
    await healthy(c);
    const h = await fetch(`http://127.0.0.1:${c.healthPort}/healthz`);
    expect(h.status).toBe(200);
    const m = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    expect(m).toContain('kube_router_controller_routes_sync_time');
    expect(m).toContain('kube_router_build_info');
  });

  it('stops cleanly on SIGTERM', async () => {
    const c = await start('proxy');
    await healthy(c);
    const t0 = Date.now();
    expect(await c.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(c.logs.some((l) => l.includes('"stopped"') || l.includes('stopped'))).toBe(true);
  });

  it('keeps running without the bus, reports degraded, and republishes when it is back', async () => {
    const c = await start('firewall');
    await healthy(c);
    await nats.kill('SIGKILL');
    await eventually(async () => {
      const conn = c.admin();
      try {
        const s = await conn.getStatus();
        return s.health === nodestate.Health.HEALTH_DEGRADED && s.healthReasons.some((r) => r.includes('bus'));
      } finally {
        conn.close();
      }
    }, 15_000, 'degraded while the bus is down');
    expect(c.child.exitCode).toBeNull();
    await nats.start();
    await healthy(c);
    const r = await eventually(async () => {
      const out = await runBinary('kr', ['status', '--json', `--nats-url=${nats.url}`, `--admin-firewall=${c.adminAddress}`]);
      const report = JSON.parse(out.stdout) as { controllers: { firewall: { section: unknown } } };
      return report.controllers.firewall.section ? report : undefined;
    }, 15_000, 'section republished after the bus restart');
    expect(r.controllers.firewall.section).toMatchObject({ mode: 'iptables' });
  });

  it('starts while the API is unreachable, reports it, and syncs once it is back', async () => {
    api.setUnavailable(503);
    try {
      const c = await start('router');
      await eventually(async () => {
        const conn = c.admin();
        try {
          const s = await conn.getStatus();
          return s.health === nodestate.Health.HEALTH_STARTING && s.api?.connected === false;
        } finally {
          conn.close();
        }
      }, 10_000, 'starting without the API');
      api.setUnavailable(undefined);
      await healthy(c);
    } finally {
      api.setUnavailable(undefined);
    }
  });
});

describe('kr status', () => {
  // kr-cni changes the namespace it runs in, so it is left out here (it refuses to run
  // where the node's addresses are not): services/cni runs it inside a node namespace.
  it('shows every controller of the node, as a table and as JSON', async () => {
    const cs = await Promise.all((['router', 'proxy', 'firewall'] as const).map((n) => start(n, ['--enable-ipv6=true'])));
    await Promise.all(cs.map(healthy));
    const admin = cs.map((c) => `--admin-${c.name}=${c.adminAddress}`);
    const table = await runBinary('kr', ['status', `--nats-url=${nats.url}`, ...admin]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^node node-a/);
    for (const n of ['router', 'proxy', 'firewall']) expect(table.stdout).toMatch(new RegExp(`^${n}\\s+healthy\\s+SERVING`, 'm'));
    expect(table.stdout).toMatch(/^cni\s+absent/m);
    expect(table.stdout).toContain('2 nodes');
    const json = await runBinary('kr', ['status', '--json', `--nats-url=${nats.url}`, ...admin]);
    const report = JSON.parse(json.stdout) as { node: string; bus: { connected: boolean }; controllers: Record<string, { health: string; admin: { reachable: boolean } }> };
    expect(report.node).toBe(NODE);
    expect(report.bus.connected).toBe(true);
    const { cni, ...running } = report.controllers;
    expect(cni).toMatchObject({ health: 'absent', admin: { reachable: false } });
    expect(Object.values(running).every((c) => c.health === 'healthy' && c.admin.reachable)).toBe(true);
  });

  it('says which controllers are absent and exits 1 when nothing answers', async () => {
    const r = await runBinary('kr', ['status', '--nats-url=nats://127.0.0.1:1', '--timeout=500ms', '--admin-cni=127.0.0.1:1', '--admin-router=127.0.0.1:1', '--admin-proxy=127.0.0.1:1', '--admin-firewall=127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('unreachable');
    expect(r.stdout).toMatch(/^cni\s+absent/m);
  });
});
