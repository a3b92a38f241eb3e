// @kr/observability: structured logging, Prometheus metrics and liveness for every
// controller process.
export { createLogger, isLogLevel, levelFromVerbosity, LOG_LEVELS } from './logger.js';
export type { Logger, LoggerOptions, LogLevel, RootLogger } from './logger.js';
export { createControllerMetrics, createMetricsRegistry, KUBE_ROUTER_SYNC_TIMES, METRIC_NAMESPACE } from './metrics.js';
export type {
  ControllerMetrics,
  ControllerMetricsOptions,
  MetricsRegistryOptions,
  Registry,
  SyncMode,
  SyncObservation,
} from './metrics.js';
export { DEFAULT_GRACE_MS, HealthTracker, systemClock } from './health.js';
export type { Clock, LoopSpec, LoopStatus } from './health.js';
export { DEFAULT_HEALTH_PATH, DEFAULT_HEALTH_PORT, DEFAULT_METRICS_PATH, startHttpEndpoints } from './http.js';
export type { EndpointAddress, HttpEndpoints, HttpEndpointsOptions } from './http.js';
