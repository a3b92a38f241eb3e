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
import type { V1EndpointSlice } from '@kubernetes/client-node';
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
  api.upsert(NAMESPACES, { metadata: { name: 'x' } });
  api.upsert(SERVICES, { metadata: { name: 'web', namespace: 'x' }, spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:10:96::10'], ports: [{ port: 80 }] } });
  api.upsert(ENDPOINT_SLICES, slice('web-v4', 'IPv4', ['10.244.1.5', '10.244.2.5']));
  api.upsert(ENDPOINT_SLICES, slice('web-v6', 'IPv6', ['fd00:10:244:1::5']));
  nats = await startNatsServer();
});

function slice(name: string, addressType: string, ips: string[]): V1EndpointSlice {
  return {
    metadata: { name, namespace: 'x', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType,
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ port: 8080 }],
  };
}

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
  // The router and the cni program the namespace they run in, so these process tests
  // use the proxy and the firewall (no dataplane yet); the router and the cni run inside
  // sandbox nodes (test/src/sandbox) and node namespaces (services/cni).
  it('serves grpc.health.v1 and Controller.GetStatus, and publishes its section', async () => {
    const c = await start('proxy', ['--enable-ipv6=true']);
    await healthy(c);
    const conn = c.admin();
    try {
      expect(await conn.healthCheck('')).toBe(ServingStatus.SERVING);
      const status = await conn.getStatus();
      expect(status.controller).toBe('proxy');
      expect(status.node).toBe(NODE);
      expect(status.bus?.connected).toBe(true);
      expect(status.api?.connected).toBe(true);
      expect(status.loops.map((l) => l.name).sort()).toEqual(['heartbeat', 'sync']);
      const state = await conn.getState();
      expect(state.proxy).toMatchObject({ services: 1, endpoints: 3 });
      expect(state.proxy?.header?.owner).toBe('proxy');
    } finally {
      conn.close();
    }
  });

  it.each([
    { stack: 'ipv4', args: [], want: 2 },
    { stack: 'ipv6', args: ['--enable-ipv4=false', '--enable-ipv6=true'], want: 1 },
    { stack: 'dual', args: ['--enable-ipv6=true'], want: 3 },
  ])('the proxy counts the endpoints of its families ($stack) and publishes them on the bus', async ({ args, want }) => {
    const c = await start('proxy', args);
    await healthy(c);
    const r = await runBinary('kr', ['status', '--json', `--nats-url=${nats.url}`, `--admin-proxy=${c.adminAddress}`]);
    const report = JSON.parse(r.stdout) as { controllers: { proxy: { health: string; section: { endpoints: number } } } };
    expect(report.controllers.proxy.health).toBe('healthy');
    expect(report.controllers.proxy.section.endpoints).toBe(want);
  });

  it('reacts to API changes: a new EndpointSlice changes the published section', async () => {
    const c = await start('proxy', ['--enable-ipv6=true']);
    await healthy(c);
    api.upsert(ENDPOINT_SLICES, slice('web-v6-b', 'IPv6', ['fd00:10:244:2::5', 'fd00:10:244:3::5']));
    try {
      await eventually(async () => {
        const conn = c.admin();
        try {
          return (await conn.getState()).proxy?.endpoints === 5;
        } finally {
          conn.close();
        }
      }, 10_000, 'the new slice counted');
    } finally {
      api.remove(ENDPOINT_SLICES, 'web-v6-b', 'x');
    }
  });

  it('serves /healthz and kube_router_* metrics', async () => {
    const c = await start('proxy', ['--enable-ipv6=true']);
    await healthy(c);
    const h = await fetch(`http://127.0.0.1:${c.healthPort}/healthz`);
    expect(h.status).toBe(200);
    const m = await (await fetch(`http://127.0.0.1:${c.metricsPort}/metrics`)).text();
    expect(m).toContain('kube_router_controller_ipvs_services_sync_time');
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
      const c = await start('firewall');
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
  // kr-cni and kr-router change the namespace they run in, so they are left out here
  // (they refuse to run where the node's addresses are not).
  it('shows every controller of the node, as a table and as JSON', async () => {
    const cs = await Promise.all((['proxy', 'firewall'] as const).map((n) => start(n, ['--enable-ipv6=true'])));
    await Promise.all(cs.map(healthy));
    const admin = cs.map((c) => `--admin-${c.name}=${c.adminAddress}`);
    const table = await runBinary('kr', ['status', `--nats-url=${nats.url}`, ...admin]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^node node-a/);
    for (const n of ['proxy', 'firewall']) expect(table.stdout).toMatch(new RegExp(`^${n}\\s+healthy\\s+SERVING`, 'm'));
    expect(table.stdout).toMatch(/^cni\s+absent/m);
    expect(table.stdout).toMatch(/^router\s+absent/m);
    expect(table.stdout).toContain('1 services, 3 ready endpoints');
    const json = await runBinary('kr', ['status', '--json', `--nats-url=${nats.url}`, ...admin]);
    const report = JSON.parse(json.stdout) as { node: string; bus: { connected: boolean }; controllers: Record<string, { health: string; admin: { reachable: boolean } }> };
    expect(report.node).toBe(NODE);
    expect(report.bus.connected).toBe(true);
    const { cni, router, ...running } = report.controllers;
    expect(cni).toMatchObject({ health: 'absent', admin: { reachable: false } });
    expect(router).toMatchObject({ health: 'absent', admin: { reachable: false } });
    expect(Object.values(running).every((c) => c.health === 'healthy' && c.admin.reachable)).toBe(true);
  });

  it('says which controllers are absent and exits 1 when nothing answers', async () => {
    const r = await runBinary('kr', ['status', '--nats-url=nats://127.0.0.1:1', '--timeout=500ms', '--admin-cni=127.0.0.1:1', '--admin-router=127.0.0.1:1', '--admin-proxy=127.0.0.1:1', '--admin-firewall=127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('unreachable');
    expect(r.stdout).toMatch(/^cni\s+absent/m);
  });
});
