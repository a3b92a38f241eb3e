// Prometheus metrics: one registry per process, and the sync metrics every controller has
// (CONVENTIONS.md item 9). Names follow kube-router where kube-router has the metric
// (`kube_router_build_info`, `kube_router_controller_*_sync_time`) so dashboards and
// alerts carry over; the metrics kube-router lacks are `kube_router_<controller>_*`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { HealthTracker } from './health.js';

export type { Registry } from 'prom-client';

export const METRIC_NAMESPACE = 'kube_router';

// kube-router's `defaultBucket` for sync times: 5ms … ~10s.
const SYNC_BUCKETS = exponentialBuckets(0.005, 2.327, 10);
// Event → applied spans a debounce interval, an API round trip and a sync.
const PROGRAMMING_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

const CONTROLLER_NAME = /^[a-z][a-z0-9_]*$/;

export interface MetricsRegistryOptions {
  /** Controller name: set as the `controller` label on every series of the process. */
  controller: string;
  /** Kubernetes node name, reported on the build-info series. */
  node?: string;
  /** Version of the build, reported on the build-info series. */
  version?: string;
}

/**
 * A registry with Node's process metrics (`process_*`, `nodejs_*`) and
 * `kube_router_build_info`. Every series carries `controller=<name>` because the four
 * controllers of a node run in one pod and would otherwise only differ by port.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ controller: options.controller });
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: `${METRIC_NAMESPACE}_build_info`,
    help: 'Expose version and other build information',
    labelNames: ['version', 'runtime_version', 'node'],
    registers: [registry],
  });
  buildInfo.set({ version: options.version ?? 'unknown', runtime_version: process.version, node: options.node ?? '' }, 1);
  return registry;
}

export type SyncMode = 'full' | 'partial';

/**
 * kube-router's sync-time histograms (pkg/metrics), for a controller to pass as
 * `syncTime` so existing dashboards keep working. Ours add a `mode` label.
 */
export const KUBE_ROUTER_SYNC_TIMES = {
  /** Firewall: the whole network-policy sync. */
  iptables: { name: 'kube_router_controller_iptables_sync_time', help: 'Time it took for controller to sync iptables' },
  /** Firewall: building the policy chains, a step of the sync. */
  policyChains: { name: 'kube_router_controller_policy_chains_sync_time', help: 'Time it took for controller to sync policy chains' },
  /** Proxy: the whole service sync (kept for the nftables mode too). */
  ipvsServices: { name: 'kube_router_controller_ipvs_services_sync_time', help: 'Time it took for controller to sync ipvs services' },
  /** Router: injecting learned routes. */
  routes: { name: 'kube_router_controller_routes_sync_time', help: 'Time it took for controller to sync routes' },
  /** Router: the iBGP node-mesh peer sync. */
  bgpInternalPeers: { name: 'kube_router_controller_bgp_internal_peers_sync_time', help: 'Time it took to sync internal bgp peers' },
} as const;

export interface ControllerMetricsOptions {
  registry: Registry;
  controller: string;
  /**
   * kube-router's name for this controller's sync-time histogram, e.g.
   * `kube_router_controller_iptables_sync_time`; `kube_router_<controller>_sync_duration_seconds`
   * when kube-router has none.
   */
  syncTime?: { name: string; help: string };
  /** When given, `kube_router_<controller>_heartbeat_age_seconds{loop}` reads it on scrape. */
  health?: HealthTracker;
}

export interface SyncObservation {
  mode: SyncMode;
  durationMs: number;
  /** The sync's failure; absent when it succeeded. */
  error?: unknown;
  /** When the sync finished (wall clock); now when omitted. */
  at?: Date;
}

export interface ControllerMetrics {
  /** Seconds per successful sync, by mode. */
  readonly syncDuration: Histogram<'mode'>;
  readonly syncFailures: Counter<'mode'>;
  /** Unix time (s) of the last successful sync, by mode. */
  readonly lastSync: Gauge<'mode'>;
  readonly drift: Counter<'kind'>;
  /** Seconds from the Kubernetes event to the dataplane having it applied. */
  readonly programmingLatency: Histogram;
  observeSync(observation: SyncObservation): void;
  /** Records drift found by a full sync; `kind` names the object type (rule, route, set…). */
  recordDrift(count: number, kind?: string): void;
  /** `eventTime` and `appliedAt` are wall-clock times (ms since epoch or Date). */
  observeProgrammingLatency(eventTime: Date | number, appliedAt?: Date | number): void;
}

export function createControllerMetrics(options: ControllerMetricsOptions): ControllerMetrics {
  const { registry, controller } = options;
  if (!CONTROLLER_NAME.test(controller)) {
    throw new TypeError(`controller name ${JSON.stringify(controller)} is not a metric name part`);
  }
  const prefix = `${METRIC_NAMESPACE}_${controller}`;
  const registers = [registry];

  const syncDuration = new Histogram({
    name: options.syncTime?.name ?? `${prefix}_sync_duration_seconds`,
    help: options.syncTime?.help ?? `Time it took for the ${controller} controller to sync`,
    labelNames: ['mode'] as const,
    buckets: SYNC_BUCKETS,
    registers,
  });
  const syncFailures = new Counter({
    name: `${prefix}_sync_failures_total`,
    help: `Syncs of the ${controller} controller that failed`,
    labelNames: ['mode'] as const,
    registers,
  });
  const lastSync = new Gauge({
    name: `${prefix}_last_sync_timestamp_seconds`,
    help: `Unix time of the last successful sync of the ${controller} controller`,
    labelNames: ['mode'] as const,
    registers,
  });
  const drift = new Counter({
    name: `${prefix}_drift_total`,
    help: `Dataplane objects a full sync of the ${controller} controller found changed behind its back`,
    labelNames: ['kind'] as const,
    registers,
  });
  const programmingLatency = new Histogram({
    name: `${prefix}_network_programming_duration_seconds`,
    help: `Time from a Kubernetes change to the ${controller} controller having applied it`,
    buckets: PROGRAMMING_BUCKETS,
    registers,
  });
  for (const mode of ['full', 'partial'] as const) {
    // Zero series up front: rate() and alerts see the metric before the first failure.
    syncFailures.inc({ mode }, 0);
  }

  const health = options.health;
  if (health) {
    new Gauge({
      name: `${prefix}_heartbeat_age_seconds`,
      help: `Seconds since each loop of the ${controller} controller last beat`,
      labelNames: ['loop'] as const,
      registers,
      collect() {
        this.reset();
        for (const loop of health.status()) this.set({ loop: loop.name }, loop.ageMs / 1000);
      },
    });
  }

  return {
    syncDuration,
    syncFailures,
    lastSync,
    drift,
    programmingLatency,
    observeSync({ mode, durationMs, error, at }) {
      if (error !== undefined) {
        syncFailures.inc({ mode });
        return;
      }
      syncDuration.observe({ mode }, durationMs / 1000);
      lastSync.set({ mode }, (at ?? new Date()).getTime() / 1000);
    },
    recordDrift(count, kind = 'objects') {
      if (count > 0) drift.inc({ kind }, count);
    },
    observeProgrammingLatency(eventTime, appliedAt = Date.now()) {
      const seconds = (toMillis(appliedAt) - toMillis(eventTime)) / 1000;
      // A clock step or an event stamped by a skewed API server can make this negative.
      programmingLatency.observe(Math.max(0, seconds));
    },
  };
}

function toMillis(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}
