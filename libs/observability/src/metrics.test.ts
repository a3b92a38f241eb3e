import { describe, expect, it } from 'vitest';
import { HealthTracker } from './health.js';
import { createControllerMetrics, createMetricsRegistry, KUBE_ROUTER_SYNC_TIMES } from './metrics.js';

// No addresses in this file: metrics are family-agnostic.

/** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('createMetricsRegistry', () => {
  it('has process metrics and build info, labelled with the controller', async () => {
    const registry = createMetricsRegistry({ controller: 'proxy', node: 'node-a', version: '1.2.3' });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(sample(text, 'nodejs_heap_size_used_bytes', { controller: 'proxy' })).toBeGreaterThan(0);
    expect(
      sample(text, 'kube_router_build_info', { version: '1.2.3', runtime_version: process.version, node: 'node-a', controller: 'proxy' }),
    ).toBe(1);
  });
});

describe('createControllerMetrics', () => {
  it('names the sync time after kube-router when asked, and the rest after the controller', async () => {
    const registry = createMetricsRegistry({ controller: 'firewall' });
    const m = createControllerMetrics({
      registry,
      controller: 'firewall',
      syncTime: KUBE_ROUTER_SYNC_TIMES.iptables,
    });
    m.observeSync({ mode: 'full', durationMs: 120, at: new Date('2025-01-02T03:04:05Z') });
    m.observeSync({ mode: 'partial', durationMs: 3 });
    m.observeSync({ mode: 'partial', durationMs: 9, error: new Error('iptables-restore exited 1') });
    m.recordDrift(2, 'rule');
    m.recordDrift(0, 'set');
    m.observeProgrammingLatency(new Date('2025-01-02T03:04:00Z'), new Date('2025-01-02T03:04:01.5Z'));
    m.observeProgrammingLatency(2_000, 1_000);

    const text = await registry.metrics();
    const c = { controller: 'firewall' };
    expect(text).toContain('# TYPE kube_router_controller_iptables_sync_time histogram');
    expect(sample(text, 'kube_router_controller_iptables_sync_time_count', { ...c, mode: 'full' })).toBe(1);
    expect(sample(text, 'kube_router_controller_iptables_sync_time_sum', { ...c, mode: 'full' })).toBe(0.12);
    expect(sample(text, 'kube_router_controller_iptables_sync_time_bucket', { ...c, mode: 'partial', le: '0.005' })).toBe(1);
    // The failed partial sync is counted as a failure, not as a duration.
    expect(sample(text, 'kube_router_controller_iptables_sync_time_count', { ...c, mode: 'partial' })).toBe(1);
    expect(sample(text, 'kube_router_firewall_sync_failures_total', { ...c, mode: 'full' })).toBe(0);
    expect(sample(text, 'kube_router_firewall_sync_failures_total', { ...c, mode: 'partial' })).toBe(1);
    expect(sample(text, 'kube_router_firewall_last_sync_timestamp_seconds', { ...c, mode: 'full' })).toBe(1735787045);
    expect(sample(text, 'kube_router_firewall_drift_total', { ...c, kind: 'rule' })).toBe(2);
    expect(sample(text, 'kube_router_firewall_drift_total', { kind: 'set' })).toBeUndefined();
    // 1.5s, and a negative span (clock step) clamped to 0.
    expect(sample(text, 'kube_router_firewall_network_programming_duration_seconds_sum', c)).toBe(1.5);
    expect(sample(text, 'kube_router_firewall_network_programming_duration_seconds_count', c)).toBe(2);
    expect(sample(text, 'kube_router_firewall_network_programming_duration_seconds_bucket', { le: '0.01' })).toBe(1);
    expect(text).not.toContain('heartbeat_age');
  });

  it('uses a generic sync-time name when kube-router has none, and reports heartbeat ages', async () => {
    let now = 50_000;
    const health = new HealthTracker({ now: () => now });
    health.register({ name: 'sync', periodMs: 60_000 });
    const registry = createMetricsRegistry({ controller: 'cni' });
    createControllerMetrics({ registry, controller: 'cni', health });
    now += 2_500;
    const text = await registry.metrics();
    expect(text).toContain('# TYPE kube_router_cni_sync_duration_seconds histogram');
    expect(sample(text, 'kube_router_cni_heartbeat_age_seconds', { loop: 'sync', controller: 'cni' })).toBe(2.5);
    health.unregister('sync');
    expect(await registry.metrics()).not.toContain('loop="sync"');
  });

  it('rejects a controller name that cannot be part of a metric name', () => {
    expect(() => createControllerMetrics({ registry: createMetricsRegistry({ controller: 'x' }), controller: 'my-ctl' })).toThrow(TypeError);
  });
});
