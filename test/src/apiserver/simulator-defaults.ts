// Defaulting and the server-set parts of objects (what SetDefaults_* and the registry
// strategies' PrepareForCreate/PrepareForUpdate do), per kind.
import type { KObject } from './simulator-resources.js';
import { asList, asObj, needsHealthCheckNodePort, needsNodePorts } from './simulator-validation.js';

type Obj = Record<string, unknown>;

const setDefault = (obj: Obj, key: string, value: unknown): void => {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
};

// ---------------------------------------------------------------- Namespace

export function defaultNamespace(ns: KObject, create: boolean): void {
  // The namespace's own name as a label, so NetworkPolicy namespaceSelectors can pick it.
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  const spec = asObj(ns.spec);
  if (create) setDefault(spec, 'finalizers', ['kubernetes']);
  ns.spec = spec;
  if (create) ns.status = { phase: 'Active' };
}

// ---------------------------------------------------------------- Pod

function defaultContainer(raw: unknown): Obj {
  const c = asObj(raw);
  const image = String(c.image ?? '');
  const tagged = /:[^/]+$/.test(image) || image.includes('@');
  setDefault(c, 'imagePullPolicy', !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  if (Array.isArray(c.ports)) c.ports = c.ports.map((p) => ({ protocol: 'TCP', ...asObj(p) }));
  return c;
}

const NOT_READY_TOLERATIONS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export function defaultPod(pod: KObject): void {
  const spec = asObj(pod.spec);
  pod.spec = spec;
  spec.containers = asList(spec.containers).map(defaultContainer);
  if (Array.isArray(spec.initContainers)) spec.initContainers = spec.initContainers.map(defaultContainer);
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setDefault(spec, 'priority', 0);
  // The DefaultTolerationSeconds admission plugin's tolerations.
  const tolerations = asList(spec.tolerations).map(asObj);
  for (const key of NOT_READY_TOLERATIONS) {
    if (!tolerations.some((t) => t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

export function initialPodStatus(pod: KObject): void {
  const resources = asList(asObj(pod.spec).containers).map((c) => asObj(asObj(c).resources));
  const hasResources = resources.some((r) => Object.keys(r).length > 0);
  pod.status = { phase: 'Pending', qosClass: hasResources ? 'Burstable' : 'BestEffort' };
}

/** podIP and podIPs describe the same thing; whichever one a writer set fills the other. */
export function normalizePodStatus(pod: KObject): void {
  const status = asObj(pod.status);
  pod.status = status;
  const podIPs = asList(status.podIPs);
  if (podIPs.length === 0 && status.podIP) status.podIPs = [{ ip: status.podIP }];
  else if (podIPs.length && !status.podIP) status.podIP = asObj(podIPs[0]).ip;
  const hostIPs = asList(status.hostIPs);
  if (hostIPs.length === 0 && status.hostIP) status.hostIPs = [{ ip: status.hostIP }];
}

// ---------------------------------------------------------------- Service

export function defaultService(svc: KObject): void {
  const spec = asObj(svc.spec);
  svc.spec = spec;
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') setDefault(spec, 'sessionAffinityConfig', { clientIP: { timeoutSeconds: 10800 } });
  spec.ports = asList(spec.ports).map((raw) => {
    const port = asObj(raw);
    setDefault(port, 'protocol', 'TCP');
    if (spec.type !== 'ExternalName' && (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '')) port.targetPort = port.port;
    return port;
  });
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (needsNodePorts(spec)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  // clusterIP and clusterIPs describe the same thing; whichever is set fills the other.
  const ips = asList(spec.clusterIPs);
  if (ips.length === 0 && spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
  else if (ips.length && !spec.clusterIP) spec.clusterIP = ips[0];
}

/**
 * What PUT/PATCH of a service keeps from the stored one: allocated values the writer
 * left out (kubectl apply never sends clusterIP or nodePorts), and the fields a type
 * change makes meaningless are dropped.
 */
export function prepareServiceUpdate(svc: KObject, old: KObject): void {
  const spec = asObj(svc.spec);
  const oldSpec = asObj(old.spec);
  const hadIPs = oldSpec.type !== 'ExternalName';
  const hasIPs = spec.type !== 'ExternalName';
  if (hadIPs && hasIPs) {
    if (!spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (asList(spec.clusterIPs).length === 0 && spec.clusterIP === oldSpec.clusterIP) spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (!hasIPs && hadIPs) {
    // Becoming ExternalName releases the addresses (unless the writer changed them: then validation complains).
    if (!spec.clusterIP || spec.clusterIP === oldSpec.clusterIP) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
    }
  }
  const oldPorts = asList(oldSpec.ports).map(asObj);
  if (needsNodePorts(oldSpec) && needsNodePorts(spec)) {
    const byName = new Map(oldPorts.map((p) => [p.name ?? '', p.nodePort] as const));
    const taken = new Set(asList(spec.ports).map((p) => asObj(p).nodePort).filter((n) => typeof n === 'number'));
    for (const port of asList(spec.ports).map(asObj)) {
      const previous = byName.get((port.name as string | undefined) ?? '');
      if (!port.nodePort && typeof previous === 'number' && !taken.has(previous)) port.nodePort = previous;
    }
  } else if (needsNodePorts(oldSpec) && !needsNodePorts(spec)) {
    const oldNodePorts = new Set(oldPorts.map((p) => p.nodePort));
    for (const port of asList(spec.ports).map(asObj)) if (oldNodePorts.has(port.nodePort)) delete port.nodePort;
  }
  if (needsHealthCheckNodePort(oldSpec) && needsHealthCheckNodePort(spec)) {
    if (!spec.healthCheckNodePort) spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  } else if (!needsHealthCheckNodePort(spec) && spec.healthCheckNodePort === oldSpec.healthCheckNodePort) {
    delete spec.healthCheckNodePort;
  }
}

// ---------------------------------------------------------------- Node

export function normalizeNode(node: KObject): void {
  const spec = asObj(node.spec);
  node.spec = spec;
  const cidrs = asList(spec.podCIDRs);
  if (cidrs.length === 0 && spec.podCIDR) spec.podCIDRs = [spec.podCIDR];
  else if (cidrs.length && !spec.podCIDR) spec.podCIDR = cidrs[0];
}

// ---------------------------------------------------------------- NetworkPolicy

export function defaultNetworkPolicy(policy: KObject): void {
  const spec = asObj(policy.spec);
  policy.spec = spec;
  setDefault(spec, 'podSelector', {});
  if (asList(spec.policyTypes).length === 0) {
    spec.policyTypes = asList(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
  }
  for (const direction of ['ingress', 'egress']) {
    for (const rule of asList(spec[direction]).map(asObj)) {
      if (Array.isArray(rule.ports)) rule.ports = rule.ports.map((p) => ({ protocol: 'TCP', ...asObj(p) }));
    }
  }
}

// ---------------------------------------------------------------- EndpointSlice

export function defaultEndpointSlice(slice: KObject): void {
  if (Array.isArray(slice.ports)) slice.ports = slice.ports.map((p) => ({ protocol: 'TCP', ...asObj(p) }));
  if (slice.endpoints === undefined) slice.endpoints = null;
}
