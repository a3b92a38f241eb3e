// Service ClusterIP and NodePort allocation with kube-apiserver's dual-stack rules
// (pkg/registry/core/service/storage/alloc.go and the dual-stack documentation):
// - the first service CIDR's family is the cluster default;
// - ipFamilyPolicy defaults to SingleStack (to the old policy on update; to
//   RequireDualStack for headless services without selector);
// - PreferDualStack takes both families on a dual-stack cluster and one otherwise;
//   RequireDualStack is refused on a single-stack cluster;
// - ipFamilies order decides clusterIPs order, and .spec.clusterIP = clusterIPs[0];
// - the primary family and IP never change; the secondary is added or dropped only by
//   moving between SingleStack and Prefer/RequireDualStack.
// Allocators hold no state of their own: what is in use is read from the stored services
// (the way kube-apiserver's repair loops rebuild their bitmaps), so deletes release
// addresses and ports by themselves and a restored snapshot needs no extra bookkeeping.
// Free addresses and ports are taken lowest first (kube-apiserver picks at random), so a
// sandbox gets the same addresses on every run.
import { IPAddress, contains, parseIP, type Cidr, type Family } from '@kr/ip';
import { FieldErrors, internalError } from './simulator-status.js';
import { SERVICE, type KObject } from './simulator-resources.js';
import { asList, asObj, needsHealthCheckNodePort, needsNodePorts } from './simulator-validation.js';

type Obj = Record<string, unknown>;
type K8sFamily = 'IPv4' | 'IPv6';

const toK8s = (family: Family): K8sFamily => (family === 'ipv4' ? 'IPv4' : 'IPv6');
const other = (family: K8sFamily): K8sFamily => (family === 'IPv4' ? 'IPv6' : 'IPv4');

export interface NodePortRange {
  readonly min: number;
  readonly max: number;
}

export interface InUse {
  readonly ips: Set<string>;
  readonly nodePorts: Set<number>;
}

export class ServiceAllocator {
  private readonly cidrs = new Map<K8sFamily, Cidr>();
  readonly defaultFamily: K8sFamily;

  constructor(
    serviceCidrs: readonly Cidr[],
    readonly nodePorts: NodePortRange,
    /** What the other services hold, excluding the one at `key`. */
    private readonly inUse: (excludeKey?: string) => InUse,
  ) {
    for (const cidr of serviceCidrs) this.cidrs.set(toK8s(cidr.family), cidr);
    this.defaultFamily = toK8s((serviceCidrs[0] as Cidr).family);
  }

  get dualStack(): boolean {
    return this.cidrs.size === 2;
  }

  /** The first address of the primary range: kube-apiserver gives it to default/kubernetes. */
  firstAddress(): string {
    return nextAddress(this.cidrs.get(this.defaultFamily) as Cidr, 1n);
  }

  /**
   * Fills in ipFamilyPolicy, ipFamilies, clusterIP(s), nodePorts and healthCheckNodePort
   * of a service being created (no `old`) or updated; throws 422 as kube-apiserver would.
   */
  allocate(svc: KObject, key: string, old?: KObject): void {
    const spec = asObj(svc.spec);
    svc.spec = spec;
    const oldSpec = old ? asObj(old.spec) : undefined;
    const name = svc.metadata.name ?? '';
    const used = this.inUse(key);
    if (spec.type !== 'ExternalName') {
      this.initFamilies(spec, name, oldSpec);
      this.allocateClusterIPs(spec, name, used, oldSpec);
    }
    this.allocateNodePorts(spec, name, used, oldSpec);
  }

  private initFamilies(spec: Obj, name: string, old?: Obj): void {
    if (old && matchingPreferDualStack(spec, old)) return;
    if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
      if (old?.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
      else if (isHeadless(spec) && !hasSelector(spec)) spec.ipFamilyPolicy = 'RequireDualStack';
      else spec.ipFamilyPolicy = 'SingleStack';
    }
    const errs = new FieldErrors();
    let ips = asList(spec.clusterIPs) as string[];
    let families = asList(spec.ipFamilies) as K8sFamily[];
    if (old && old.type !== 'ExternalName') {
      if (spec.ipFamilyPolicy === 'SingleStack') {
        // Same IPs/families as before plus SingleStack is the explicit way to drop the secondary.
        if (sameList(old.clusterIPs, ips) && ips.length > 1) ips = ips.slice(0, 1);
        if (sameList(old.ipFamilies, families) && families.length > 1) families = families.slice(0, 1);
      } else {
        if (asList(old.clusterIPs).length > ips.length && ips.length > 0) {
          errs.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP");
        }
        if (asList(old.ipFamilies).length > families.length && families.length > 0) {
          errs.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'SingleStack' to release the secondary IP family");
        }
      }
    }
    if (spec.ipFamilyPolicy === 'SingleStack') {
      if (ips.length === 2) errs.invalid('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
      if (families.length === 2) errs.invalid('spec.ipFamilyPolicy', 'SingleStack', "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
    }
    // Families follow user-chosen IPs.
    ips.forEach((ip, i) => {
      if (ip === 'None' || i < families.length) return;
      const family = toK8s(parseIP(ip).family);
      if (!this.cidrs.has(family)) errs.invalid(`spec.clusterIPs[${i}]`, ips, `${family} is not configured on this cluster`);
      else families = [...families, family];
    });
    errs.throwIfAny(SERVICE, name);
    if (isHeadless(spec) && !hasSelector(spec)) {
      // Headless without selector: no address to allocate, so any family is fine, even
      // one this cluster does not have.
      if (families.length === 0) families = [this.defaultFamily];
      if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families = [...families, other(families[0] as K8sFamily)];
      spec.clusterIPs = ips;
      spec.ipFamilies = families;
      if (old) this.checkImmutable(spec, old, name);
      return;
    }
    if (spec.ipFamilyPolicy === 'RequireDualStack' && !this.dualStack) {
      errs.invalid('spec.ipFamilyPolicy', 'RequireDualStack', 'this cluster is not configured for dual-stack services');
    }
    families.forEach((family, i) => {
      if (!this.cidrs.has(family)) errs.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster');
    });
    errs.throwIfAny(SERVICE, name);
    if (families.length === 0) families = [this.defaultFamily];
    if (spec.ipFamilyPolicy !== 'SingleStack' && families.length === 1 && this.dualStack) families = [...families, other(families[0] as K8sFamily)];
    spec.clusterIPs = ips;
    spec.ipFamilies = families;
    if (old) this.checkImmutable(spec, old, name);
  }

  /** The primary IP and family never change; the secondary only appears or goes. */
  private checkImmutable(spec: Obj, old: Obj, name: string): void {
    if (old.type === 'ExternalName') return;
    const errs = new FieldErrors();
    const [ips, oldIPs] = [asList(spec.clusterIPs), asList(old.clusterIPs)];
    const [families, oldFamilies] = [asList(spec.ipFamilies), asList(old.ipFamilies)];
    for (const i of [0, 1]) {
      if (oldIPs[i] !== undefined && ips[i] !== undefined && ips[i] !== '' && ips[i] !== oldIPs[i]) {
        errs.invalid(`spec.clusterIPs[${i}]`, ips, 'may not change once set');
      }
      if (oldFamilies[i] !== undefined && families[i] !== undefined && families[i] !== oldFamilies[i]) {
        errs.invalid(`spec.ipFamilies[${i}]`, families[i], 'may not change once set');
      }
    }
    errs.throwIfAny(SERVICE, name);
  }

  private allocateClusterIPs(spec: Obj, name: string, used: InUse, old?: Obj): void {
    const ips = [...(asList(spec.clusterIPs) as string[])];
    if (ips[0] === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const families = asList(spec.ipFamilies) as K8sFamily[];
    const oldIPs = old && old.type !== 'ExternalName' ? (asList(old.clusterIPs) as string[]) : [];
    const errs = new FieldErrors();
    families.forEach((family, i) => {
      const cidr = this.cidrs.get(family) as Cidr;
      const wanted = ips[i];
      if (wanted === undefined || wanted === '') {
        const ip = this.nextFreeIP(cidr, used.ips);
        if (!ip) throw internalError(`failed to allocate a serviceIP: range is full`);
        ips[i] = ip;
        used.ips.add(ip);
        return;
      }
      if (oldIPs.includes(wanted)) return; // already ours
      const address = parseIP(wanted);
      if (!contains(cidr, address) || isReserved(cidr, address)) {
        errs.invalid('spec.clusterIPs', spec.clusterIPs ?? ips, `failed to allocate IP ${wanted}: the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${cidr.toString()}`);
      } else if (used.ips.has(address.address)) {
        errs.invalid('spec.clusterIPs', spec.clusterIPs ?? ips, `failed to allocate IP ${wanted}: provided IP is already allocated`);
      } else {
        ips[i] = address.address;
        used.ips.add(address.address);
      }
    });
    errs.throwIfAny(SERVICE, name);
    spec.clusterIPs = ips.slice(0, families.length);
    spec.clusterIP = ips[0];
  }

  private nextFreeIP(cidr: Cidr, used: Set<string>): string | undefined {
    const size = 1n << BigInt((cidr.family === 'ipv4' ? 32 : 128) - cidr.prefixLength);
    // Bounded scan: a simulator never holds more than a few thousand services.
    const limit = size < 1_000_000n ? size : 1_000_000n;
    for (let offset = 1n; offset < limit; offset++) {
      const candidate = nextAddress(cidr, offset);
      if (isReserved(cidr, parseIP(candidate))) continue;
      if (!used.has(candidate)) return candidate;
    }
    return undefined;
  }

  private allocateNodePorts(spec: Obj, name: string, used: InUse, old?: Obj): void {
    const errs = new FieldErrors();
    const ports = asList(spec.ports).map(asObj);
    const oldPorts = new Set<number>();
    if (old) {
      for (const p of asList(old.ports)) if (typeof asObj(p).nodePort === 'number') oldPorts.add(asObj(p).nodePort as number);
      if (typeof old.healthCheckNodePort === 'number') oldPorts.add(old.healthCheckNodePort);
    }
    const take = (port: number, field: string): boolean => {
      if (port < this.nodePorts.min || port > this.nodePorts.max) {
        errs.invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.min}-${this.nodePorts.max}`);
        return false;
      }
      if (!oldPorts.has(port) && used.nodePorts.has(port)) {
        errs.invalid(field, port, 'provided port is already allocated');
        return false;
      }
      used.nodePorts.add(port);
      return true;
    };
    const next = (): number => {
      for (let port = this.nodePorts.min; port <= this.nodePorts.max; port++) {
        if (!used.nodePorts.has(port) && !oldPorts.has(port)) {
          used.nodePorts.add(port);
          return port;
        }
      }
      throw internalError('failed to allocate a nodePort: range is full');
    };
    if (needsNodePorts(spec)) {
      // One node port per service port number: TCP and UDP of the same port share it.
      const byPort = new Map<unknown, number>();
      const allocate = spec.type !== 'LoadBalancer' || spec.allocateLoadBalancerNodePorts !== false;
      ports.forEach((port, i) => {
        const field = `spec.ports[${i}].nodePort`;
        if (typeof port.nodePort === 'number' && port.nodePort !== 0) {
          if (byPort.get(port.port) !== port.nodePort && take(port.nodePort, field)) byPort.set(port.port, port.nodePort);
        } else if (byPort.has(port.port)) {
          port.nodePort = byPort.get(port.port);
        } else if (allocate) {
          port.nodePort = next();
          byPort.set(port.port, port.nodePort as number);
        }
      });
      spec.ports = ports;
    }
    if (needsHealthCheckNodePort(spec)) {
      if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort !== 0) {
        if (old && needsHealthCheckNodePort(old) && old.healthCheckNodePort !== spec.healthCheckNodePort) {
          errs.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'field is immutable');
        } else take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      } else {
        spec.healthCheckNodePort = next();
      }
    }
    errs.throwIfAny(SERVICE, name);
  }
}

/** Network address, and for IPv4 the broadcast address, are never handed out. */
function isReserved(cidr: Cidr, ip: IPAddress): boolean {
  if (ip.value === cidr.value) return true;
  return cidr.family === 'ipv4' && cidr.prefixLength < 31 && ip.value === cidr.last.value;
}

function nextAddress(cidr: Cidr, offset: bigint): string {
  return IPAddress.fromValue(cidr.family, cidr.value + offset).address;
}

function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === 'None' || asList(spec.clusterIPs)[0] === 'None';
}

function hasSelector(spec: Obj): boolean {
  return Object.keys(asObj(spec.selector)).length > 0;
}

function sameList(a: unknown, b: unknown): boolean {
  return JSON.stringify(asList(a)) === JSON.stringify(asList(b));
}

/**
 * A PreferDualStack service is not upgraded or downgraded because the cluster changed;
 * only an explicit policy change (with added/removed IPs or families) does that.
 */
function matchingPreferDualStack(spec: Obj, old: Obj): boolean {
  if (old.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (!sameList(spec.clusterIPs, old.clusterIPs)) return false;
  if (asList(spec.ipFamilies).length && !sameList(spec.ipFamilies, old.ipFamilies)) return false;
  spec.ipFamilyPolicy = 'PreferDualStack';
  spec.ipFamilies = old.ipFamilies;
  return true;
}
