// Service VIPs as Kubernetes defines them, per family, for the controllers that need
// them: the router advertises them, the proxy programs them. Pure: Services,
// EndpointSlices, this node and the configuration in, a table out.
//
// Rules (Kubernetes' own, plus kube-router's where it has one):
// - ExternalName services and services without a cluster IP ("None" = headless, or not
//   yet allocated) have no VIPs; kube-router skips their externalIPs as well.
// - spec.clusterIPs lists one address per family, primary first; families the node does
//   not run are skipped silently (as kube-proxy's per-family proxiers do).
// - externalIPs (spec) and LoadBalancer ingress IPs (status; only for type LoadBalancer)
//   are filtered by family the same way, and by --strict-external-ip-validation. Ingress
//   entries with ipMode "Proxy" are skipped: the load balancer terminates that traffic
//   itself, so nodes must neither own nor advertise the address (as kube-proxy and
//   kube-router do).
// - NodePorts (types NodePort and LoadBalancer) are listed per service family, on the
//   node's address of that family.
// - Traffic policies: internalTrafficPolicy Local makes the cluster IPs local-only,
//   externalTrafficPolicy Local makes externalIPs, LoadBalancer IPs and NodePorts
//   local-only. kube-router's `kube-router.io/service.local: "true"` forces both (its
//   documented override).
// - hasLocalEndpoints: a ready endpoint of the VIP's family on this node.
import type { ObjectInputError } from '@kr/errors';
import { familyFromKubernetes, tryParseIP, type EnabledFamilies, type Family, type IPAddress, type PerFamily } from '@kr/ip';
import { keyOf, nodeInternalIPs, objectInputError } from '@kr/k8s';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { groupEndpointSlices, serviceProtocol, type EndpointView, type ServiceProtocol } from './endpoints.js';
import { PERMISSIVE_RANGES, externalIpRejection, loadBalancerIpRejection, type ServiceIpRanges } from './ranges.js';

/** kube-router's annotation forcing both traffic policies to Local. */
export const SERVICE_LOCAL_ANNOTATION = 'kube-router.io/service.local';

export type ServiceVipKind = 'cluster-ip' | 'external-ip' | 'loadbalancer-ip' | 'node-port';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface ServicePortView {
  readonly name: string;
  readonly protocol: ServiceProtocol;
  readonly port: number;
  readonly nodePort?: number;
  /** A number, or the name of a container port. */
  readonly targetPort: number | string;
}

export interface VipPort {
  readonly name: string;
  readonly protocol: ServiceProtocol;
  /** The port on this VIP: the service port, or the node port for kind node-port. */
  readonly port: number;
}

export interface ServiceVip {
  readonly address: IPAddress;
  readonly family: Family;
  readonly kind: ServiceVipKind;
  readonly ports: readonly VipPort[];
  /** Only local endpoints may serve it (traffic policy Local). */
  readonly localOnly: boolean;
  /** A ready endpoint of this family runs on this node. */
  readonly hasLocalEndpoints: boolean;
  /** namespace/name */
  readonly service: string;
}

export interface ServiceView {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** Families the service has and the node runs, primary first. */
  readonly families: readonly Family[];
  readonly ports: readonly ServicePortView[];
  readonly internalTrafficLocal: boolean;
  readonly externalTrafficLocal: boolean;
  /** ClientIP affinity timeout, when sessionAffinity is ClientIP. */
  readonly sessionAffinitySeconds?: number;
  readonly annotations: Readonly<Record<string, string>>;
  readonly endpoints: readonly EndpointView[];
  /** Ready endpoints on this node, per family. */
  readonly localReady: Readonly<Record<Family, number>>;
  readonly vips: readonly ServiceVip[];
}

export interface ServiceVipsInput {
  readonly services: readonly V1Service[];
  readonly endpointSlices: readonly V1EndpointSlice[];
  /** This node: its name and addresses decide locality and the NodePort addresses. */
  readonly node: V1Node;
  readonly families: EnabledFamilies;
  /** Strict externalIP / LoadBalancer IP validation; default: accept everything. */
  readonly ranges?: ServiceIpRanges;
}

export interface ServiceVipsResult {
  /** Services that have VIPs (not headless, not ExternalName), sorted by key. */
  readonly services: readonly ServiceView[];
  /** Every VIP of every service, in service order. */
  readonly vips: readonly ServiceVip[];
  /** Bad user input, each naming the object and the field; the rest still applies. */
  readonly problems: readonly ObjectInputError[];
}

const DEFAULT_AFFINITY_SECONDS = 10_800;

export function computeServiceVips(input: ServiceVipsInput): ServiceVipsResult {
  const { families } = input;
  const ranges = input.ranges ?? PERMISSIVE_RANGES;
  const nodeIPs = nodeInternalIPs(input.node);
  const endpoints = groupEndpointSlices(input.endpointSlices, { name: input.node.metadata?.name ?? '', addresses: nodeIPs.all }, families);
  const problems: ObjectInputError[] = [...endpoints.problems];
  const services: ServiceView[] = [];

  const sorted = [...input.services].sort((a, b) => keyOfService(a).localeCompare(keyOfService(b)));
  for (const svc of sorted) {
    const view = serviceView(svc, endpoints.byService.get(keyOfService(svc)) ?? [], nodeIPs, families, ranges, problems);
    if (view) services.push(view);
  }
  return { services, vips: services.flatMap((s) => s.vips), problems };
}

function keyOfService(svc: V1Service): string {
  return keyOf(svc.metadata?.name ?? '', svc.metadata?.namespace);
}

function serviceView(
  svc: V1Service,
  endpoints: readonly EndpointView[],
  nodeIPs: PerFamily<IPAddress>,
  families: EnabledFamilies,
  ranges: ServiceIpRanges,
  problems: ObjectInputError[],
): ServiceView | undefined {
  const spec = svc.spec ?? {};
  const type = (spec.type ?? 'ClusterIP') as string;
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') return undefined;
  if (!spec.clusterIP || spec.clusterIP === 'None') return undefined;

  const key = keyOfService(svc);
  const annotations = svc.metadata?.annotations ?? {};
  const forcedLocal = annotations[SERVICE_LOCAL_ANNOTATION] === 'true';
  const internalTrafficLocal = forcedLocal || spec.internalTrafficPolicy === 'Local';
  const externalTrafficLocal = forcedLocal || spec.externalTrafficPolicy === 'Local';

  const clusterIPs = addresses(svc, spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP], 'spec.clusterIPs', families, problems);
  const serviceFamilies = serviceFamiliesOf(svc, clusterIPs, families);
  const ports = servicePorts(svc, problems);

  const localReady: Record<Family, number> = { ipv4: 0, ipv6: 0 };
  for (const e of endpoints) if (e.local && e.ready) localReady[e.family]++;
  const hasLocal = (family: Family) => localReady[family] > 0;

  const vipPorts = ports.map(({ name, protocol, port }) => ({ name, protocol, port }));
  const vips: ServiceVip[] = [];
  const push = (address: IPAddress, kind: ServiceVipKind, localOnly: boolean, portsOfVip: readonly VipPort[] = vipPorts) =>
    vips.push({ address, family: address.family, kind, ports: portsOfVip, localOnly, hasLocalEndpoints: hasLocal(address.family), service: key });

  for (const ip of clusterIPs) push(ip, 'cluster-ip', internalTrafficLocal);

  for (const ip of addresses(svc, spec.externalIPs ?? [], 'spec.externalIPs', families, problems)) {
    const rejection = externalIpRejection(ip, ranges);
    if (rejection) problems.push(objectInputError(svc, 'spec.externalIPs', `${ip.address} not used: ${rejection}`));
    else push(ip, 'external-ip', externalTrafficLocal);
  }

  if (type === 'LoadBalancer') {
    const ingress = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && i.ipMode !== 'Proxy').map((i) => i.ip as string);
    for (const ip of addresses(svc, ingress, 'status.loadBalancer.ingress', families, problems)) {
      const rejection = loadBalancerIpRejection(ip, ranges);
      if (rejection) problems.push(objectInputError(svc, 'status.loadBalancer.ingress', `${ip.address} not used: ${rejection}`));
      else push(ip, 'loadbalancer-ip', externalTrafficLocal);
    }
  }

  if (type === 'NodePort' || type === 'LoadBalancer') {
    const nodePorts = ports.flatMap((p) => (p.nodePort ? [{ name: p.name, protocol: p.protocol, port: p.nodePort }] : []));
    if (nodePorts.length > 0) {
      for (const family of serviceFamilies) {
        const address = nodeIPs[family];
        if (address) push(address, 'node-port', externalTrafficLocal, nodePorts);
      }
    }
  }

  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
  return {
    key,
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    type,
    families: serviceFamilies,
    ports,
    internalTrafficLocal,
    externalTrafficLocal,
    ...(affinity !== undefined ? { sessionAffinitySeconds: affinity } : {}),
    annotations,
    endpoints,
    localReady,
    vips,
  };
}

/** Parses addresses, reporting garbage; drops disabled families silently. Deduplicated. */
function addresses(svc: V1Service, items: readonly string[], field: string, families: EnabledFamilies, problems: ObjectInputError[]): IPAddress[] {
  const result: IPAddress[] = [];
  for (const text of items) {
    const ip = tryParseIP(text.trim());
    if (!ip) {
      problems.push(objectInputError(svc, field, `${JSON.stringify(text)} is not an IP address`));
      continue;
    }
    if (families[ip.family] && !result.some((r) => r.equals(ip))) result.push(ip);
  }
  return result;
}

/** spec.ipFamilies (in order) restricted to enabled ones; without the field (old objects), the cluster IPs' families. */
function serviceFamiliesOf(svc: V1Service, clusterIPs: readonly IPAddress[], families: EnabledFamilies): Family[] {
  const declared = svc.spec?.ipFamilies ?? [];
  if (declared.length === 0) return [...new Set(clusterIPs.map((ip) => ip.family))];
  const enabled = declared.flatMap((f) => {
    const family = familyFromKubernetes(f);
    return family && families[family] ? [family] : [];
  });
  return [...new Set(enabled)];
}

function servicePorts(svc: V1Service, problems: ObjectInputError[]): ServicePortView[] {
  const ports: ServicePortView[] = [];
  (svc.spec?.ports ?? []).forEach((p, index) => {
    const protocol = serviceProtocol(p.protocol);
    if (!protocol) {
      problems.push(objectInputError(svc, `spec.ports[${index}].protocol`, `unsupported protocol ${JSON.stringify(p.protocol)}`));
      return;
    }
    ports.push({
      name: p.name ?? '',
      protocol,
      port: p.port,
      ...(p.nodePort ? { nodePort: p.nodePort } : {}),
      targetPort: p.targetPort ?? p.port,
    });
  });
  return ports;
}
