// Turns parsed flags into the runtime settings every controller shares, validating what
// the flag parser alone cannot (cross-flag rules, addresses).
import { parseAdminAddress, type AdminAddress } from '@kr/admin';
import { ConfigError } from '@kr/errors';
import type { EnabledFamilies, Family } from '@kr/ip';
import { isLogLevel, levelFromVerbosity, type LogLevel } from '@kr/observability';
import { defaultNodeName, type commonFlagSpecs } from './common-flags.js';
import type { FlagValues } from './flags.js';

export type CommonFlagValues = FlagValues<ReturnType<typeof commonFlagSpecs>>;

export interface CommonConfig {
  readonly node: string;
  readonly families: EnabledFamilies;
  /** Enabled families in the order IPv4, IPv6. */
  readonly familyList: readonly Family[];
  readonly kubeconfig: string;
  readonly master: string;
  readonly logLevel: LogLevel;
  readonly admin: AdminAddress;
  readonly natsUrl: string;
  readonly heartbeatMs: number;
  readonly cacheSyncTimeoutMs: number;
  readonly metrics?: { readonly host: string; readonly port: number; readonly path: string };
  readonly health?: { readonly host: string; readonly port: number };
}

export function commonConfig(v: CommonFlagValues): CommonConfig {
  if (!v['enable-ipv4'] && !v['enable-ipv6']) {
    throw new ConfigError('--enable-ipv4', 'at least one of --enable-ipv4 and --enable-ipv6 must be true');
  }
  const node = v['hostname-override'].trim() || defaultNodeName();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node) || node.length > 253) {
    throw new ConfigError('--hostname-override', `${JSON.stringify(node)} is not a valid Kubernetes node name`);
  }
  if (!/^(nats|tls|ws|wss):\/\//.test(v['nats-url']) && !/^[^/]+:\d+$/.test(v['nats-url'])) {
    throw new ConfigError('--nats-url', `${JSON.stringify(v['nats-url'])} is not a NATS URL (nats://host:port)`);
  }
  const level = v['log-level'] !== '' && isLogLevel(v['log-level']) ? v['log-level'] : levelFromVerbosity(Number(v.v));
  const families: EnabledFamilies = { ipv4: v['enable-ipv4'], ipv6: v['enable-ipv6'] };
  return {
    node,
    families,
    familyList: (['ipv4', 'ipv6'] as const).filter((f) => families[f]),
    kubeconfig: v.kubeconfig,
    master: v.master,
    logLevel: level,
    admin: parseAdminAddress(v['admin-address'], '--admin-address'),
    natsUrl: v['nats-url'],
    heartbeatMs: v['heartbeat-interval'],
    cacheSyncTimeoutMs: v['cache-sync-timeout'],
    ...(v['metrics-port'] > 0 ? { metrics: { host: v['metrics-addr'], port: v['metrics-port'], path: v['metrics-path'] } } : {}),
    ...(v['health-port'] > 0 ? { health: { host: v['health-addr'], port: v['health-port'] } } : {}),
  };
}
