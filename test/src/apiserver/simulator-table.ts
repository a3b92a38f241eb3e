// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for, with the
// columns kube-apiserver's printers give the kinds served here (kubectl adds NAMESPACE
// itself for -A). Kinds without a printer get Name and Age, as for custom resources.
import type { KObject, ResourceType } from './simulator-resources.js';
import { asList, asObj } from './simulator-validation.js';

interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly format?: string;
  readonly priority?: number;
  readonly cell: (obj: KObject) => string | number;
}

/** kubectl's short durations: 45s, 12m, 3h5m, 2d. */
export function age(created: string | undefined, now = Date.now()): string {
  if (!created) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const AGE: Column = { name: 'Age', type: 'string', cell: (o) => age(o.metadata.creationTimestamp) };
const none = (value: string): string => value || '<none>';

function podStatus(pod: KObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const status = asObj(pod.status);
  for (const c of asList(status.containerStatuses).map(asObj)) {
    const waiting = asObj(asObj(c.state).waiting);
    if (waiting.reason) return String(waiting.reason);
  }
  return String(status.reason ?? status.phase ?? 'Unknown');
}

function nodeStatus(node: KObject): string {
  const ready = asList(asObj(node.status).conditions).map(asObj).find((c) => c.type === 'Ready');
  const state = ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown';
  return asObj(node.spec).unschedulable ? `${state},SchedulingDisabled` : state;
}

function nodeAddress(node: KObject, type: string): string {
  return none(asList(asObj(node.status).addresses).map(asObj).filter((a) => a.type === type).map((a) => String(a.address)).join(','));
}

function servicePorts(svc: KObject): string {
  const ports = asList(asObj(svc.spec).ports).map(asObj);
  return none(ports.map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`).join(','));
}

function serviceExternalIP(svc: KObject): string {
  const spec = asObj(svc.spec);
  if (spec.type === 'ExternalName') return String(spec.externalName ?? '');
  const ingress = asList(asObj(asObj(svc.status).loadBalancer).ingress).map((i) => String(asObj(i).ip ?? asObj(i).hostname ?? ''));
  const ips = [...ingress, ...(asList(spec.externalIPs) as string[])];
  if (ips.length) return ips.join(',');
  return spec.type === 'LoadBalancer' ? '<pending>' : '<none>';
}

function selectorText(selector: unknown): string {
  const labels = asObj(asObj(selector).matchLabels ?? selector);
  return Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

const COLUMNS: Record<string, Column[]> = {
  Namespace: [NAME, { name: 'Status', type: 'string', cell: (o) => String(asObj(o.status).phase ?? '') }, AGE],
  Node: [
    NAME,
    { name: 'Status', type: 'string', cell: nodeStatus },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) => none(Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice(24)).join(',')),
    },
    AGE,
    { name: 'Version', type: 'string', cell: (o) => String(asObj(asObj(o.status).nodeInfo).kubeletVersion ?? '') },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
    { name: 'Pod-CIDRs', type: 'string', priority: 1, cell: (o) => none((asList(asObj(o.spec).podCIDRs) as string[]).join(',')) },
  ],
  Pod: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = asList(asObj(o.status).containerStatuses).map(asObj);
        return `${statuses.filter((c) => c.ready === true).length}/${asList(asObj(o.spec).containers).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) => String(asList(asObj(o.status).containerStatuses).reduce<number>((n, c) => n + Number(asObj(c).restartCount ?? 0), 0)),
    },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => none(String(asObj(o.status).podIP ?? '')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => none(String(asObj(o.spec).nodeName ?? '')) },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o) => none(String(asObj(o.status).nominatedNodeName ?? '')) },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  Service: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => String(asObj(o.spec).type ?? '') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => none(String(asList(asObj(o.spec).clusterIPs)[0] ?? asObj(o.spec).clusterIP ?? '')) },
    { name: 'External-IP', type: 'string', cell: serviceExternalIP },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    AGE,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => none(selectorText(asObj(o.spec).selector)) },
  ],
  EndpointSlice: [
    NAME,
    { name: 'AddressType', type: 'string', cell: (o) => String(o.addressType ?? '') },
    { name: 'Ports', type: 'string', cell: (o) => none(asList(o.ports).map((p) => String(asObj(p).port ?? '')).join(',')) },
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) => none(asList(o.endpoints).flatMap((e) => asList(asObj(e).addresses) as string[]).join(',')),
    },
    AGE,
  ],
  NetworkPolicy: [NAME, { name: 'Pod-Selector', type: 'string', cell: (o) => none(selectorText(asObj(o.spec).podSelector)) }, AGE],
  Event: [
    { name: 'Last Seen', type: 'string', cell: (o) => age(String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp ?? '')) },
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? '') },
    { name: 'Reason', type: 'string', cell: (o) => String(o.reason ?? '') },
    { name: 'Object', type: 'string', cell: (o) => `${String(asObj(o.involvedObject).kind ?? '').toLowerCase()}/${String(asObj(o.involvedObject).name ?? '')}` },
    { name: 'Message', type: 'string', cell: (o) => String(o.message ?? '') },
  ],
  Lease: [NAME, { name: 'Holder', type: 'string', cell: (o) => String(asObj(o.spec).holderIdentity ?? '') }, AGE],
};

export function partialObjectMetadata(obj: KObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** A Table of the objects; rows carry PartialObjectMetadata unless `includeObject` says otherwise. */
export function toTable(type: ResourceType, items: readonly KObject[], resourceVersion: string, includeObject = 'Metadata', extra: { continue?: string; remainingItemCount?: number } = {}): unknown {
  const columns = COLUMNS[type.kind] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...(extra.continue ? { continue: extra.continue, remainingItemCount: extra.remainingItemCount } : {}) },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: items.map((obj) => ({
      cells: columns.map((c) => c.cell(obj)),
      ...(includeObject === 'None' ? {} : { object: includeObject === 'Object' ? obj : partialObjectMetadata(obj) }),
    })),
  };
}
