// The EndpointSlice controller (kube-controller-manager's endpointslice controller, for
// what our proxy and firewall read): per Service with a selector, one slice per address
// family of the service (more when pods resolve named ports differently, or past 100
// endpoints), endpoints from the matching pods' IPs of that family with
// ready/serving/terminating conditions, nodeName, zone, hostname and targetRef; ports
// with named targetPorts resolved per pod from its container ports. A service with no
// ready or unready pod keeps one empty placeholder slice per family.
import { tryParseIP } from '@kr/ip';
import type { Registry } from './simulator-registry.js';
import { ENDPOINT_SLICE, NODE, POD, SERVICE, keyOf, type KObject } from './simulator-resources.js';
import type { ChangeEvent } from './simulator-store.js';
import { asList, asObj } from './simulator-validation.js';
import { WorkQueue } from './simulator-workqueue.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const MAX_ENDPOINTS_PER_SLICE = 100;

type Obj = Record<string, unknown>;

interface DesiredSlice {
  readonly addressType: 'IPv4' | 'IPv6';
  readonly ports: Obj[];
  readonly endpoints: Obj[];
}

function selectorOf(svc: KObject): Record<string, string> | undefined {
  const spec = asObj(svc.spec);
  const selector = asObj(spec.selector) as Record<string, string>;
  if (spec.type === 'ExternalName' || Object.keys(selector).length === 0) return undefined;
  return selector;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function isReady(pod: KObject): boolean {
  return asList(asObj(pod.status).conditions).some((c) => asObj(c).type === 'Ready' && asObj(c).status === 'True');
}

function podIPs(pod: KObject): string[] {
  const status = asObj(pod.status);
  const ips = asList(status.podIPs).map((p) => String(asObj(p).ip ?? ''));
  return ips.length ? ips : status.podIP ? [String(status.podIP)] : [];
}

/** A pod belongs in endpoints once it has an address and while it has not finished. */
function shouldBeInEndpoints(pod: KObject): boolean {
  const phase = asObj(pod.status).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return podIPs(pod).length > 0;
}

/** podutil.FindPort: a named targetPort is the container port of that name and protocol. */
function resolvePort(pod: KObject, servicePort: Obj): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^[0-9]+$/.test(target)) return Number(target);
  for (const container of asList(asObj(pod.spec).containers).map(asObj)) {
    for (const port of asList(container.ports).map(asObj)) {
      if (port.name === target && (port.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP')) return port.containerPort as number;
    }
  }
  return undefined;
}

function familiesOf(svc: KObject): Array<'IPv4' | 'IPv6'> {
  const spec = asObj(svc.spec);
  const families = asList(spec.ipFamilies).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6');
  if (families.length) return families;
  const ip = tryParseIP(String(spec.clusterIP ?? ''));
  return [ip?.family === 'ipv6' ? 'IPv6' : 'IPv4'];
}

export class EndpointSliceController {
  private readonly queue: WorkQueue;

  constructor(
    private readonly registry: Registry,
    log: (message: string, fields?: Record<string, unknown>) => void,
  ) {
    this.queue = new WorkQueue(
      (key) => this.sync(key),
      (key, err) => log('endpointslice sync failed', { service: key, err: String(err) }),
    );
    registry.store.subscribe((event) => this.onChange(event));
    for (const svc of registry.store.list(SERVICE)) this.queue.add(keyOf(svc.metadata.namespace, svc.metadata.name ?? ''));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private onChange(event: ChangeEvent): void {
    const obj = event.object;
    if (event.resource === SERVICE) this.queue.add(keyOf(obj.metadata.namespace, obj.metadata.name ?? ''));
    else if (event.resource === POD) {
      for (const svc of this.registry.store.list(SERVICE, obj.metadata.namespace)) {
        const selector = selectorOf(svc);
        if (selector && (matches(selector, obj.metadata.labels) || (event.old && matches(selector, event.old.metadata.labels)))) {
          this.queue.add(keyOf(svc.metadata.namespace, svc.metadata.name ?? ''));
        }
      }
    } else if (event.resource === ENDPOINT_SLICE && obj.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) {
      // Someone else touched our slice: put it back.
      const service = obj.metadata.labels[SERVICE_NAME_LABEL];
      if (service && event.type !== 'ADDED') this.queue.add(keyOf(obj.metadata.namespace, service));
    } else if (event.resource === NODE && event.old?.metadata.labels?.[ZONE_LABEL] !== obj.metadata.labels?.[ZONE_LABEL]) {
      for (const svc of this.registry.store.list(SERVICE)) this.queue.add(keyOf(svc.metadata.namespace, svc.metadata.name ?? ''));
    }
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const store = this.registry.store;
    const existing = store
      .list(ENDPOINT_SLICE, namespace)
      .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY);
    const svc = store.peek(SERVICE, namespace, name);
    const selector = svc ? selectorOf(svc) : undefined;
    if (!svc || !selector || store.peek(SERVICE, namespace, name)?.metadata.deletionTimestamp) {
      for (const slice of existing) this.registry.delete(ENDPOINT_SLICE, namespace, slice.metadata.name ?? '');
      return;
    }
    const desired = this.desiredSlices(svc, selector);
    const unused = [...existing];
    for (const want of desired) {
      const index = unused.findIndex((s) => s.addressType === want.addressType && JSON.stringify(s.ports ?? null) === JSON.stringify(want.ports.length ? want.ports : null));
      const fallback = index >= 0 ? index : unused.findIndex((s) => s.addressType === want.addressType);
      const current = fallback >= 0 ? unused.splice(fallback, 1)[0] : undefined;
      const body = this.sliceObject(svc, want, current);
      if (!current) this.registry.create(ENDPOINT_SLICE, namespace, body);
      else if (JSON.stringify(comparable(body)) !== JSON.stringify(comparable(current))) {
        this.registry.update(ENDPOINT_SLICE, namespace, current.metadata.name ?? '', body, undefined);
      }
    }
    for (const slice of unused) this.registry.delete(ENDPOINT_SLICE, namespace, slice.metadata.name ?? '');
  }

  private desiredSlices(svc: KObject, selector: Record<string, string>): DesiredSlice[] {
    const store = this.registry.store;
    const spec = asObj(svc.spec);
    const publishNotReady = spec.publishNotReadyAddresses === true;
    const pods = store
      .list(POD, svc.metadata.namespace)
      .filter((pod) => matches(selector, pod.metadata.labels) && shouldBeInEndpoints(pod))
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    const slices: DesiredSlice[] = [];
    for (const family of familiesOf(svc)) {
      const groups = new Map<string, { ports: Obj[]; endpoints: Obj[] }>();
      for (const pod of pods) {
        const addresses = podIPs(pod).filter((ip) => tryParseIP(ip)?.family === (family === 'IPv4' ? 'ipv4' : 'ipv6'));
        if (!addresses.length) continue;
        const ports: Obj[] = [];
        for (const servicePort of asList(spec.ports).map(asObj)) {
          const port = resolvePort(pod, servicePort);
          if (port === undefined) continue;
          ports.push({
            name: servicePort.name ?? '',
            port,
            protocol: servicePort.protocol ?? 'TCP',
            ...(servicePort.appProtocol ? { appProtocol: servicePort.appProtocol } : {}),
          });
        }
        const groupKey = JSON.stringify(ports);
        const group = groups.get(groupKey) ?? { ports, endpoints: [] };
        groups.set(groupKey, group);
        group.endpoints.push(this.endpoint(pod, svc, addresses, publishNotReady));
      }
      if (groups.size === 0) slices.push({ addressType: family, ports: [], endpoints: [] });
      for (const group of groups.values()) {
        for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
          slices.push({ addressType: family, ports: group.ports, endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
        }
      }
    }
    return slices;
  }

  private endpoint(pod: KObject, svc: KObject, addresses: string[], publishNotReady: boolean): Obj {
    const podSpec = asObj(pod.spec);
    const serving = publishNotReady || isReady(pod);
    const terminating = pod.metadata.deletionTimestamp !== undefined;
    // "ready" is never true for a terminating pod (unless publishNotReadyAddresses), for old consumers.
    const ready = publishNotReady || (serving && !terminating);
    const nodeName = podSpec.nodeName as string | undefined;
    const zone = nodeName ? this.registry.store.peek(NODE, undefined, nodeName)?.metadata.labels?.[ZONE_LABEL] : undefined;
    const hostname = podSpec.hostname && podSpec.subdomain === svc.metadata.name ? podSpec.hostname : undefined;
    return {
      addresses,
      conditions: { ready, serving, terminating },
      ...(hostname ? { hostname } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      ...(nodeName ? { nodeName } : {}),
      ...(zone ? { zone } : {}),
    };
  }

  private sliceObject(svc: KObject, want: DesiredSlice, current: KObject | undefined): KObject {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
      if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
    }
    labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
    labels[MANAGED_BY_LABEL] = MANAGED_BY;
    if (asObj(svc.spec).clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        ...(current ? { name: current.metadata.name, resourceVersion: current.metadata.resourceVersion } : { generateName: `${svc.metadata.name ?? ''}-` }),
        namespace: svc.metadata.namespace,
        labels,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      addressType: want.addressType,
      endpoints: want.endpoints.length ? want.endpoints : null,
      ports: want.ports.length ? want.ports : null,
    };
  }
}

/** What decides whether a stored slice needs rewriting. */
function comparable(slice: KObject): unknown {
  return { labels: slice.metadata.labels, owners: slice.metadata.ownerReferences, addressType: slice.addressType, endpoints: slice.endpoints ?? null, ports: slice.ports ?? null };
}
