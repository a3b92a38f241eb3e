// Objects and settings shared by the router model's tests.
//
// Test IP plan (every test file of the model uses it):
//   fabric subnet A 198.18.0.0/24, fd42:198:18::/64: nodes a (.11/::11), b (.12/::12)
//   fabric subnet B 198.18.1.0/24, fd42:198:19::/64: node c (198.18.1.13 / fd42:198:19::13)
//   external routers: 198.18.0.1 / fd42:198:18::1 (ASN 65000), 198.18.0.2 / fd42:198:18::2 (ASN 65001)
//   pod CIDRs: node n → 10.244.<n>.0/24 and fd00:10:244:<n>::/64 (a=1, b=2, c=3)
//   services: cluster 10.96.0.0/12 + fd00:96::/112, external 198.51.100.0/24 + 2001:db8:51::/64,
//             LB 203.0.113.0/24 + 2001:db8:113::/64
import type { V1Node } from '@kubernetes/client-node';
import type { EnabledFamilies } from '@kr/ip';
import { serviceIpRanges } from '@kr/services';
import type { RouterConfig } from '../../config.js';

export const V4: EnabledFamilies = { ipv4: true, ipv6: false };
export const V6: EnabledFamilies = { ipv4: false, ipv6: true };
export const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

export type Stack = 'ipv4' | 'ipv6' | 'dual' | 'dual-v6';

export const STACKS: readonly { stack: Stack; families: EnabledFamilies }[] = [
  { stack: 'ipv4', families: V4 },
  { stack: 'ipv6', families: V6 },
  { stack: 'dual', families: DUAL },
  { stack: 'dual-v6', families: DUAL },
];

const PLAN: Record<string, { v4: string; v6: string; n: number }> = {
  a: { v4: '198.18.0.11', v6: 'fd42:198:18::11', n: 1 },
  b: { v4: '198.18.0.12', v6: 'fd42:198:18::12', n: 2 },
  c: { v4: '198.18.1.13', v6: 'fd42:198:19::13', n: 3 },
};

/**
 * A node of the plan. Its status lists addresses and pod CIDRs of the stack: both
 * families for the dual stacks (IPv6 first for dual-v6), and for single stacks only that
 * family (as on a single-stack cluster).
 */
export function planNode(name: keyof typeof PLAN & string, stack: Stack, annotations: Record<string, string> = {}): V1Node {
  const p = PLAN[name]!;
  const v4 = stack !== 'ipv6';
  const v6 = stack !== 'ipv4';
  const ips = [...(v4 ? [p.v4] : []), ...(v6 ? [p.v6] : [])];
  const cidrs = [...(v4 ? [`10.244.${p.n}.0/24`] : []), ...(v6 ? [`fd00:10:244:${p.n}::/64`] : [])];
  if (stack === 'dual-v6') {
    ips.reverse();
    cidrs.reverse();
  }
  return {
    kind: 'Node',
    metadata: { name, annotations },
    spec: { podCIDRs: cidrs },
    status: { addresses: ips.map((address) => ({ type: 'InternalIP', address })) },
  };
}

export function routerSettings(families: EnabledFamilies, overrides: Partial<RouterConfig> = {}): RouterConfig {
  return {
    clusterAsn: 64512,
    routerId: { kind: 'auto' },
    bgpPort: 179,
    holdTimeSeconds: 90,
    gracefulRestart: { enabled: false, restartTimeSeconds: 90, deferralTimeSeconds: 360 },
    nodesFullMesh: true,
    enableIbgp: true,
    externalPeers: [],
    peerMultihopTtl: 0,
    advertise: { podCidr: true, clusterIp: false, externalIp: false, loadBalancerIp: false },
    overrideNextHop: false,
    overlay: { enabled: true, type: 'subnet', encap: 'ipip', port: 5555 },
    routesSyncPeriodMs: 300_000,
    injectedRoutesSyncPeriodMs: 60_000,
    excludedCidrs: [],
    enablePodEgress: true,
    gobgp: { host: '127.0.0.1', port: 50051 },
    serviceRanges: serviceIpRanges(
      {
        'service-cluster-ip-range': [...(families.ipv4 ? ['10.96.0.0/12'] : []), ...(families.ipv6 ? ['fd00:96::/112'] : [])],
        'service-external-ip-range': [...(families.ipv4 ? ['198.51.100.0/24'] : []), ...(families.ipv6 ? ['2001:db8:51::/64'] : [])],
        'loadbalancer-ip-range': [...(families.ipv4 ? ['203.0.113.0/24'] : []), ...(families.ipv6 ? ['2001:db8:113::/64'] : [])],
        'strict-external-ip-validation': true,
      },
      families,
    ),
    ...overrides,
  };
}
