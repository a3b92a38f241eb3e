// The prefixes this node originates into BGP. Pure.
//
// Pod CIDRs: every pod CIDR of the node, each with the node's address of the CIDR's own
// family as next hop (an IPv6 prefix over an IPv4 session carries the IPv6 address, never
// a mapped IPv4 one). As in kube-router they are always originated, because the nodes
// need them from each other; --advertise-pod-cidr only decides whether the export policy
// also sends them to external peers (policies.ts).
//
// Service VIPs (/32 and /128 host prefixes, next hop as above), computed from Services
// and EndpointSlices by @kr/services, so this works without the proxy:
// - cluster IPs with --advertise-cluster-ip, external IPs with --advertise-external-ip,
//   LoadBalancer ingress IPs with --advertise-loadbalancer-ip; the per-service annotations
//   kube-router.io/service.advertise.{clusterip,externalip,loadbalancerip} ("true"/"false")
//   override the flag; the deprecated kube-router.io/service.skiplbips (any value) withholds
//   LoadBalancer IPs;
// - a local-only VIP (internalTrafficPolicy Local for cluster IPs, externalTrafficPolicy
//   Local or kube-router.io/service.local for the others) only while a ready endpoint of
//   its family runs on this node (kube-router checks any endpoint of any readiness; a
//   not-ready local endpoint cannot serve the traffic the route attracts);
// - externalIPs and LoadBalancer IPs that fail --strict-external-ip-validation are not
//   advertised (kube-router's ipFilter);
// - a VIP shared by several services is advertised once, while any of them wants it.
// VIPs go to external peers only (export policy); nodes never import them (import policy).
// Communities, AS-path prepend and --override-nexthop are export-policy actions towards
// external peers (policies.ts), as in kube-router, so PathSpec leaves them unset.
import type { ObjectInputError } from '@kr/errors';
import { compareCIDRs, hostCidr, type EnabledFamilies, type IPAddress } from '@kr/ip';
import { annotationField, bool, keyOf, nodeInternalIPs, nodePodCIDRs, objectInputError } from '@kr/k8s';
import { computeServiceVips, type ServiceIpRanges, type ServiceVip, type ServiceView } from '@kr/services';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { PathSpec, RouteKind } from './bgp-types.js';

export const ADVERTISE_CLUSTER_IP_ANNOTATION = 'kube-router.io/service.advertise.clusterip';
export const ADVERTISE_EXTERNAL_IP_ANNOTATION = 'kube-router.io/service.advertise.externalip';
export const ADVERTISE_LOADBALANCER_IP_ANNOTATION = 'kube-router.io/service.advertise.loadbalancerip';
/** Deprecated in kube-router in favour of service.advertise.loadbalancerip=false. */
export const SKIP_LB_IPS_ANNOTATION = 'kube-router.io/service.skiplbips';

export interface AdvertiseSettings {
  readonly podCidr: boolean;
  readonly clusterIp: boolean;
  readonly externalIp: boolean;
  readonly loadBalancerIp: boolean;
}

/** The flags computeAdvertisements needs (RouterConfig has them). */
export interface AdvertisementSettings {
  readonly advertise: AdvertiseSettings;
  readonly serviceRanges: ServiceIpRanges;
}

export interface AdvertisementsInput {
  readonly self: V1Node;
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
  readonly config: AdvertisementSettings;
  readonly families: EnabledFamilies;
}

/** A VIP this node does not advertise, and why (for `kr advertisements`). */
export interface WithheldVip {
  readonly address: IPAddress;
  readonly kind: RouteKind;
  readonly service: string;
  readonly reason: string;
}

export interface AdvertisementsResult {
  /** Pod CIDRs first, then VIPs; each group sorted (IPv4 first). */
  readonly paths: readonly PathSpec[];
  readonly withheld: readonly WithheldVip[];
  readonly problems: readonly ObjectInputError[];
}

const KIND_OF: Record<ServiceVip['kind'], RouteKind | undefined> = {
  'cluster-ip': 'cluster-ip',
  'external-ip': 'external-ip',
  'loadbalancer-ip': 'loadbalancer-ip',
  'node-port': undefined,
};

const FLAG_OF: Record<'cluster-ip' | 'external-ip' | 'loadbalancer-ip', { flag: string; annotation: string; setting: keyof AdvertiseSettings }> = {
  'cluster-ip': { flag: '--advertise-cluster-ip', annotation: ADVERTISE_CLUSTER_IP_ANNOTATION, setting: 'clusterIp' },
  'external-ip': { flag: '--advertise-external-ip', annotation: ADVERTISE_EXTERNAL_IP_ANNOTATION, setting: 'externalIp' },
  'loadbalancer-ip': { flag: '--advertise-loadbalancer-ip', annotation: ADVERTISE_LOADBALANCER_IP_ANNOTATION, setting: 'loadBalancerIp' },
};

export function computeAdvertisements(input: AdvertisementsInput): AdvertisementsResult {
  const { self, families, config } = input;
  const problems: ObjectInputError[] = [];
  const nextHops = nodeInternalIPs(self);
  const missingNextHop = new Set<string>();
  const nextHopFor = (family: 'ipv4' | 'ipv6', what: string): IPAddress | undefined => {
    const hop = nextHops[family];
    if (!hop && !missingNextHop.has(family)) {
      missingNextHop.add(family);
      problems.push(objectInputError(self, 'status.addresses', `no ${family} address: ${what} of that family cannot be advertised`));
    }
    return hop;
  };

  const podPaths: PathSpec[] = [];
  for (const cidr of nodePodCIDRs(self).all) {
    if (!families[cidr.family]) continue;
    const nextHop = nextHopFor(cidr.family, 'pod CIDRs and VIPs');
    if (nextHop) podPaths.push({ prefix: cidr, nextHop, kind: 'pod-cidr' });
  }

  const vips = computeServiceVips({ services: input.services, endpointSlices: input.endpointSlices, node: self, families, ranges: config.serviceRanges });
  problems.push(...vips.problems);

  const objects = new Map(input.services.map((s) => [keyOf(s.metadata?.name ?? '', s.metadata?.namespace), s]));
  const wanted = new Map<string, { path: PathSpec; services: string[] }>();
  const withheld: WithheldVip[] = [];
  for (const service of vips.services) {
    const decisions = advertiseDecisions(objects.get(service.key) as V1Service, service, config.advertise, problems);
    for (const vip of service.vips) {
      const kind = KIND_OF[vip.kind];
      if (!kind) continue;
      const why = decisions[kind as keyof typeof decisions] ?? (vip.localOnly && !vip.hasLocalEndpoints ? 'local traffic policy and no ready local endpoint of its family' : undefined);
      if (why) {
        withheld.push({ address: vip.address, kind, service: service.key, reason: why });
        continue;
      }
      const nextHop = nextHopFor(vip.family, 'pod CIDRs and VIPs');
      if (!nextHop) continue;
      const prefix = hostCidr(vip.address);
      const seen = wanted.get(prefix.toString());
      if (seen) {
        if (!seen.services.includes(service.key)) seen.services.push(service.key);
      } else {
        wanted.set(prefix.toString(), { path: { prefix, nextHop, kind }, services: [service.key] });
      }
    }
  }

  const vipPaths = [...wanted.values()]
    .map(({ path, services }) => ({ ...path, service: services.sort().join(',') }))
    .sort((a, b) => compareCIDRs(a.prefix, b.prefix));
  // A VIP another service advertises is not withheld after all.
  const advertised = new Set(vipPaths.map((p) => p.prefix.address));
  return {
    paths: [...podPaths.sort((a, b) => compareCIDRs(a.prefix, b.prefix)), ...vipPaths],
    withheld: withheld.filter((w) => !advertised.has(w.address.address)),
    problems,
  };
}

/** Per VIP kind: a reason not to advertise, from the flags and the service's annotations. */
function advertiseDecisions(svc: V1Service, service: ServiceView, settings: AdvertiseSettings, problems: ObjectInputError[]): Partial<Record<RouteKind, string>> {
  const result: Partial<Record<RouteKind, string>> = {};
  for (const kind of ['cluster-ip', 'external-ip', 'loadbalancer-ip'] as const) {
    const { flag, annotation, setting } = FLAG_OF[kind];
    const raw = service.annotations[annotation];
    let enabled = settings[setting];
    let source = `${flag}=${enabled}`;
    if (raw !== undefined) {
      try {
        enabled = bool(raw);
        source = `${annotation}=${raw.trim()}`;
      } catch (err) {
        // kube-router reads an unparsable value as false; we keep the flag's default and say so.
        problems.push(objectInputError(svc, annotationField(annotation), `${JSON.stringify(raw)} is not a boolean (true/false); using ${flag}=${enabled}`, err));
      }
    }
    if (!enabled) result[kind] = `not advertised (${source})`;
  }
  if (!result['loadbalancer-ip'] && service.annotations[SKIP_LB_IPS_ANNOTATION] !== undefined) {
    result['loadbalancer-ip'] = `not advertised (${SKIP_LB_IPS_ANNOTATION} is set)`;
  }
  return result;
}
