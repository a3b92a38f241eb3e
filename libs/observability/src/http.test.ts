import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthTracker } from './health.js';
import type { Clock } from './health.js';
import { startHttpEndpoints } from './http.js';
import type { EndpointAddress, HttpEndpoints } from './http.js';
import { createMetricsRegistry } from './metrics.js';

// Test IP plan: loopback only, ephemeral ports.
//   IPv4  127.0.0.1
//   IPv6  ::1
// (Binding every address, the dual-stack default, is not exercised: tests must not open
// ports on the machine's real interfaces.)
const HOSTS = [
  { family: 'IPv4', host: '127.0.0.1' },
  { family: 'IPv6', host: '::1' },
];

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

const open: HttpEndpoints[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

function url(address: EndpointAddress | undefined, path: string): string {
  if (!address) throw new Error('endpoint not started');
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}${path}`;
}

async function get(target: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(target, init);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function setup(): { clock: ManualClock; tracker: HealthTracker; registry: ReturnType<typeof createMetricsRegistry> } {
  const clock = new ManualClock();
  const tracker = new HealthTracker(clock);
  tracker.register({ name: 'sync', periodMs: 60_000, graceMs: 5_000 });
  tracker.register({ name: 'informers', periodMs: 600_000, graceMs: 5_000 });
  return { clock, tracker, registry: createMetricsRegistry({ controller: 'router' }) };
}

describe('startHttpEndpoints', () => {
  it.each(HOSTS)('$family: serves /metrics and /healthz on separate ports; /healthz turns 503 when a loop stalls', async ({ host }) => {
    const { clock, tracker, registry } = setup();
    const endpoints = await startHttpEndpoints({ host, metrics: { port: 0, registry }, health: { port: 0, tracker } });
    open.push(endpoints);
    const { metrics, health } = endpoints.addresses;
    expect(metrics?.host).toBe(host);
    expect(metrics?.port).not.toBe(health?.port);

    const scraped = await get(url(metrics, '/metrics'));
    expect(scraped.status).toBe(200);
    expect(scraped.type).toContain('text/plain; version=0.0.4');
    expect(scraped.body).toMatch(/^kube_router_build_info\{.*controller="router".*\} 1$/m);

    expect(await get(url(health, '/healthz'))).toMatchObject({ status: 200, body: 'OK\n' });

    clock.t = 65_001; // the sync loop missed its deadline, the informer loop did not
    const stalled = await get(url(health, '/healthz'));
    expect(stalled.status).toBe(503);
    expect(stalled.body).toBe('unhealthy: sync last beat 65.0s ago (allowed 65.0s)\n');

    tracker.beat('sync');
    expect((await get(url(health, '/healthz'))).status).toBe(200);

    // Each server only serves its own path.
    expect((await get(url(health, '/metrics'))).status).toBe(404);
    expect((await get(url(metrics, '/healthz'))).status).toBe(404);
    expect((await get(url(metrics, '/metrics'), { method: 'POST' })).status).toBe(405);
    expect((await get(url(metrics, '/metrics?x=1'))).status).toBe(200);
  });

  it.each(HOSTS)('$family: shares one server when both endpoints have the same port', async ({ host }) => {
    const { tracker, registry } = setup();
    const port = await freePort(host);
    const endpoints = await startHttpEndpoints({
      host,
      metrics: { port, path: '/kr-metrics', registry },
      health: { port, tracker },
    });
    open.push(endpoints);
    expect(endpoints.addresses.metrics).toEqual({ host, port });
    expect(endpoints.addresses.health).toEqual({ host, port });
    expect((await get(url(endpoints.addresses.metrics, '/kr-metrics'))).body).toContain('kube_router_build_info');
    expect((await get(url(endpoints.addresses.health, '/healthz'))).body).toBe('OK\n');
    expect((await get(url(endpoints.addresses.metrics, '/metrics'))).status).toBe(404);
  });

  it('starts only the endpoints it is given', async () => {
    const { tracker } = setup();
    const endpoints = await startHttpEndpoints({ host: '127.0.0.1', health: { port: 0, tracker } });
    open.push(endpoints);
    expect(endpoints.addresses.metrics).toBeUndefined();
    expect((await get(url(endpoints.addresses.health, '/healthz'))).status).toBe(200);
  });

  it('rejects with the listen error and leaves nothing listening', async () => {
    const { tracker, registry } = setup();
    const taken = await startHttpEndpoints({ host: '127.0.0.1', health: { port: 0, tracker } });
    open.push(taken);
    const busy = taken.addresses.health?.port ?? 0;
    const freeForMetrics = await freePort('127.0.0.1');
    await expect(
      startHttpEndpoints({ host: '127.0.0.1', metrics: { port: freeForMetrics, registry }, health: { port: busy, tracker } }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The metrics server started first was closed again: its port is free.
    const again = await startHttpEndpoints({ host: '127.0.0.1', metrics: { port: freeForMetrics, registry } });
    open.push(again);
    expect(again.addresses.metrics?.port).toBe(freeForMetrics);
  });

  it('closes promptly with an idle keep-alive connection open', async () => {
    const { registry } = setup();
    const endpoints = await startHttpEndpoints({ host: '127.0.0.1', metrics: { port: 0, registry } });
    await get(url(endpoints.addresses.metrics, '/metrics'), { keepalive: true });
    const started = Date.now();
    await endpoints.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
