// Flags every controller binary accepts. Names and defaults follow kube-router where it
// has the flag; the ones it does not have (bus, admin API, heartbeat, log level) are
// ours. Ports differ per controller because four processes share the node's network
// namespace: kube-router's single process used health port 20244, which the router keeps.
import { hostname } from 'node:os';
import type { ControllerName } from '@kr/bus';
import type { FlagSpec } from './flags.js';

export type { ControllerName };

export interface ControllerPorts {
  readonly health: number;
  /** Port the shipped manifests use for metrics; the flag's default stays 0 (disabled), as in kube-router. */
  readonly metrics: number;
  readonly admin: number;
}

export const CONTROLLER_PORTS: Readonly<Record<ControllerName, ControllerPorts>> = {
  router: { health: 20244, metrics: 8080, admin: 50061 },
  proxy: { health: 20245, metrics: 8081, admin: 50062 },
  firewall: { health: 20246, metrics: 8082, admin: 50063 },
  cni: { health: 20247, metrics: 8083, admin: 50064 },
};

/** The controllers, in the order tools list them (defined once, with the bus subjects). */
export { CONTROLLERS } from '@kr/bus';

const port = (v: number) => (v < 0 || v > 65535 ? 'must be a port number (0-65535)' : undefined);

/** The node name: --hostname-override, else $NODE_NAME (the downward API), else hostname. */
export function defaultNodeName(): string {
  return process.env['NODE_NAME'] || hostname();
}

export function commonFlagSpecs(controller: ControllerName) {
  const ports = CONTROLLER_PORTS[controller];
  return [
    { name: 'kubeconfig', type: 'string', default: '', help: 'Path to kubeconfig file with authorization information (the master location is set by the master flag); in-cluster configuration when empty' },
    { name: 'master', type: 'string', default: '', help: 'The address of the Kubernetes API server (overrides any value in kubeconfig)' },
    { name: 'hostname-override', type: 'string', default: '', help: 'Overrides the NodeName of the node; defaults to $NODE_NAME, then the hostname' },
    { name: 'enable-ipv4', type: 'bool', default: true, help: 'Enables IPv4 support' },
    { name: 'enable-ipv6', type: 'bool', default: false, help: 'Enables IPv6 support' },
    { name: 'metrics-port', type: 'int', default: 0, min: 0, max: 65535, help: `Prometheus metrics port, 0 = disabled (manifests use ${ports.metrics} for ${controller})`, check: port },
    { name: 'metrics-addr', type: 'string', default: '', help: 'Prometheus metrics address to listen on (default: all interfaces)' },
    { name: 'metrics-path', type: 'string', default: '/metrics', help: 'Prometheus metrics path', check: (v: string) => (v.startsWith('/') ? undefined : 'must start with /') },
    { name: 'health-port', type: 'int', default: ports.health, min: 0, max: 65535, help: 'Health check port, 0 = disabled' },
    { name: 'health-addr', type: 'string', default: '', help: 'Health check address to listen on (default: all interfaces)' },
    { name: 'admin-address', type: 'string', default: `127.0.0.1:${ports.admin}`, help: 'host:port of the gRPC admin API (health, reflection, Controller service); keep it on loopback' },
    { name: 'nats-url', type: 'string', default: 'nats://127.0.0.1:4222', help: 'URL of the node-local NATS server (the bus)' },
    { name: 'heartbeat-interval', type: 'duration', default: 10_000, help: 'How often the controller republishes its node-state section on the bus', check: (v: number) => (v < 100 ? 'must be at least 100ms' : undefined) },
    { name: 'cache-sync-timeout', type: 'duration', default: 60_000, help: 'Time to wait for the API caches to sync before the controller reports failing (it keeps waiting)', check: (v: number) => (v <= 0 ? 'must be positive' : undefined) },
    { name: 'v', short: 'v', type: 'string', default: '0', help: 'log level for V logs (kube-router/klog verbosity: 0-2 info, 3-4 debug, 5+ trace)', check: (v: string) => (/^\d+$/.test(v) ? undefined : 'must be a non-negative integer') },
    { name: 'log-level', type: 'string', default: '', help: 'Log level (trace, debug, info, warn, error); overrides --v when set', check: (v: string) => (v === '' || ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(v) ? undefined : 'must be one of trace, debug, info, warn, error, fatal, silent') },
  ] as const satisfies readonly FlagSpec[];
}
