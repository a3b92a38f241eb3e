// The service address ranges kube-router shares between its controllers, and its strict
// validation of user-chosen service addresses (kube-router's pkg/svcip). The router
// advertises only what passes, the proxy programs only what passes, and the firewall
// uses the same ranges, so the flags live here once. Pure.
//
// --strict-external-ip-validation (default true since kube-router v2.8): externalIPs must
// lie in --service-external-ip-range and LoadBalancer ingress IPs in
// --loadbalancer-ip-range; with no range of that kind configured, every such address is
// rejected (default deny); externalIPs inside --service-cluster-ip-range are always
// rejected in strict mode (a user could otherwise shadow a ClusterIP).
import { ConfigError, errorMessage } from '@kr/errors';
import { contains, parseCIDR, type Cidr, type EnabledFamilies, type IPAddress } from '@kr/ip';

/** kube-router's default for --service-cluster-ip-range (kube-apiserver's default too). */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';

export function serviceRangeFlagSpecs() {
  return [
    {
      name: 'service-cluster-ip-range',
      type: 'strings',
      default: [DEFAULT_SERVICE_CLUSTER_IP_RANGE],
      help: 'CIDR values from which service cluster IPs are assigned, at most one per family (IPv4-only default is dropped on an IPv6-only node)',
    },
    {
      name: 'service-external-ip-range',
      type: 'strings',
      default: [],
      help: 'CIDR values of service externalIPs (can be specified multiple times); with --strict-external-ip-validation only externalIPs inside them are used',
    },
    {
      name: 'loadbalancer-ip-range',
      type: 'strings',
      default: [],
      help: 'CIDR values of LoadBalancer service addresses (can be specified multiple times); with --strict-external-ip-validation only loadBalancer ingress IPs inside them are used',
    },
    {
      name: 'strict-external-ip-validation',
      type: 'bool',
      default: true,
      help: 'Use externalIPs and loadBalancer IPs only inside --service-external-ip-range / --loadbalancer-ip-range (none configured = none used); false accepts every address',
    },
  ] as const;
}

export interface ServiceRangeFlagValues {
  readonly 'service-cluster-ip-range': readonly string[];
  readonly 'service-external-ip-range': readonly string[];
  readonly 'loadbalancer-ip-range': readonly string[];
  readonly 'strict-external-ip-validation': boolean;
}

export interface ServiceIpRanges {
  readonly strict: boolean;
  readonly clusterIp: readonly Cidr[];
  readonly externalIp: readonly Cidr[];
  readonly loadBalancerIp: readonly Cidr[];
}

/** No validation: every externalIP and LoadBalancer IP is used (strict off). */
export const PERMISSIVE_RANGES: ServiceIpRanges = { strict: false, clusterIp: [], externalIp: [], loadBalancerIp: [] };

/**
 * Validates the range flags. As kube-router: every CIDR must parse and be of an enabled
 * family (ConfigError naming the flag). Unlike kube-router, the untouched IPv4 default of
 * --service-cluster-ip-range is dropped on a node without IPv4 instead of failing start-up:
 * it is only used to refuse externalIPs that collide with cluster IPs.
 */
export function serviceIpRanges(values: ServiceRangeFlagValues, families: EnabledFamilies): ServiceIpRanges {
  const clusterValues = values['service-cluster-ip-range'];
  const untouchedDefault = clusterValues.length === 1 && clusterValues[0] === DEFAULT_SERVICE_CLUSTER_IP_RANGE;
  const clusterIp = untouchedDefault && !families.ipv4 ? [] : parseRanges('--service-cluster-ip-range', clusterValues, families);
  for (const family of ['ipv4', 'ipv6'] as const) {
    const ofFamily = clusterIp.filter((c) => c.family === family);
    if (ofFamily.length > 1) {
      throw new ConfigError('--service-cluster-ip-range', `more than one ${family} range (${ofFamily.join(', ')}); at most one per family`);
    }
  }
  return {
    strict: values['strict-external-ip-validation'],
    clusterIp,
    externalIp: parseRanges('--service-external-ip-range', values['service-external-ip-range'], families),
    loadBalancerIp: parseRanges('--loadbalancer-ip-range', values['loadbalancer-ip-range'], families),
  };
}

function parseRanges(flag: string, items: readonly string[], families: EnabledFamilies): Cidr[] {
  return items.map((item) => {
    let cidr: Cidr;
    try {
      cidr = parseCIDR(item.trim());
    } catch (err) {
      throw new ConfigError(flag, errorMessage(err), { cause: err });
    }
    if (!families[cidr.family]) {
      throw new ConfigError(flag, `${cidr.toString()} is ${cidr.family}, which is not enabled (--enable-${cidr.family})`);
    }
    return cidr;
  });
}

/** Why an externalIP may not be used, or undefined when it may. */
export function externalIpRejection(ip: IPAddress, ranges: ServiceIpRanges): string | undefined {
  if (!ranges.strict) return undefined;
  if (ranges.externalIp.length === 0) return 'no --service-external-ip-range is configured (strict validation rejects every externalIP)';
  if (ranges.clusterIp.some((r) => contains(r, ip))) return 'inside --service-cluster-ip-range';
  if (!ranges.externalIp.some((r) => contains(r, ip))) return 'not inside any --service-external-ip-range';
  return undefined;
}

/** Why a LoadBalancer ingress IP may not be used, or undefined when it may. */
export function loadBalancerIpRejection(ip: IPAddress, ranges: ServiceIpRanges): string | undefined {
  if (!ranges.strict) return undefined;
  if (ranges.loadBalancerIp.length === 0) return 'no --loadbalancer-ip-range is configured (strict validation rejects every loadBalancer IP)';
  if (ranges.clusterIp.some((r) => contains(r, ip))) return 'inside --service-cluster-ip-range';
  if (!ranges.loadBalancerIp.some((r) => contains(r, ip))) return 'not inside any --loadbalancer-ip-range';
  return undefined;
}
