// Node pod-CIDR allocation (kube-controller-manager's nodeipam range allocator): each
// node without spec.podCIDRs gets the lowest free subnet of every cluster CIDR, with the
// family's mask size, in the cluster CIDRs' order; spec.podCIDR is the first. Nodes that
// come with podCIDRs keep them and their subnets count as taken. A deleted node's subnets
// are free again at once (the allocator reads what the stored nodes hold). When a family
// has no subnet left, the node gets none and a CIDRNotAvailable event, as upstream.
import { IPAddress, overlaps, tryParseCIDR, type Cidr } from '@kr/ip';
import { ConfigError } from '@kr/errors';
import type { Registry } from './simulator-registry.js';
import { EVENT, NODE } from './simulator-resources.js';
import type { ChangeEvent } from './simulator-store.js';
import { timestamp } from './simulator-store.js';
import { asList, asObj } from './simulator-validation.js';
import { WorkQueue } from './simulator-workqueue.js';

export interface NodeIpamConfig {
  readonly clusterCidrs: readonly Cidr[];
  readonly maskSizeIPv4: number;
  readonly maskSizeIPv6: number;
}

/** kube-controller-manager refuses more than 2^16 subnets per cluster CIDR. */
const MAX_SUBNET_BITS = 16;

export function checkNodeIpamConfig(config: NodeIpamConfig): void {
  for (const cidr of config.clusterCidrs) {
    const mask = cidr.family === 'ipv4' ? config.maskSizeIPv4 : config.maskSizeIPv6;
    const flag = cidr.family === 'ipv4' ? '--node-cidr-mask-size-ipv4' : '--node-cidr-mask-size-ipv6';
    if (mask < cidr.prefixLength) throw new ConfigError(flag, `mask size ${mask} is smaller than the prefix of cluster CIDR ${cidr.toString()}`);
    if (mask > (cidr.family === 'ipv4' ? 32 : 128)) throw new ConfigError(flag, `mask size ${mask} is too long for ${cidr.family}`);
    if (mask - cidr.prefixLength > MAX_SUBNET_BITS) {
      throw new ConfigError(flag, `mask size ${mask} cuts cluster CIDR ${cidr.toString()} into more than 2^${MAX_SUBNET_BITS} subnets`);
    }
  }
}

export class NodeIpamController {
  private readonly queue: WorkQueue;
  /** Nodes already told there is no CIDR for them (one event each, not one per node update). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly registry: Registry,
    private readonly config: NodeIpamConfig,
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
  ) {
    checkNodeIpamConfig(config);
    this.queue = new WorkQueue(
      (name) => this.sync(name),
      (name, err) => log('node CIDR allocation failed', { node: name, err: String(err) }),
    );
    registry.store.subscribe((event) => this.onChange(event));
    for (const node of registry.store.list(NODE)) this.queue.add(node.metadata.name ?? '');
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private onChange(event: ChangeEvent): void {
    if (event.resource !== NODE) return;
    if (event.type === 'DELETED') {
      this.reported.delete(event.object.metadata.name ?? '');
      // A freed subnet may be what a waiting node needs.
      for (const node of this.registry.store.list(NODE)) if (asList(asObj(node.spec).podCIDRs).length === 0) this.queue.add(node.metadata.name ?? '');
      return;
    }
    if (asList(asObj(event.object.spec).podCIDRs).length === 0) this.queue.add(event.object.metadata.name ?? '');
  }

  private sync(name: string): void {
    const node = this.registry.store.get(NODE, undefined, name);
    if (!node || this.config.clusterCidrs.length === 0 || asList(asObj(node.spec).podCIDRs).length) return;
    const taken = this.registry.store
      .list(NODE)
      .flatMap((n) => asList(asObj(n.spec).podCIDRs) as string[])
      .map((c) => tryParseCIDR(c))
      .filter((c): c is Cidr => c !== undefined);
    const cidrs: string[] = [];
    for (const cluster of this.config.clusterCidrs) {
      const subnet = this.lowestFree(cluster, taken);
      if (!subnet) {
        if (!this.reported.has(name)) {
          this.reported.add(name);
          this.log('no pod CIDR left', { node: name, clusterCIDR: cluster.toString() });
          this.recordEvent(node.metadata.name ?? '', node.metadata.uid ?? '', `Node ${name} status is now: CIDRNotAvailable`);
        }
        return;
      }
      cidrs.push(subnet.toString());
    }
    node.spec = { ...asObj(node.spec), podCIDR: cidrs[0], podCIDRs: cidrs };
    this.registry.update(NODE, undefined, name, node, undefined);
    this.log('allocated pod CIDRs', { node: name, podCIDRs: cidrs });
  }

  private lowestFree(cluster: Cidr, taken: readonly Cidr[]): Cidr | undefined {
    const mask = cluster.family === 'ipv4' ? this.config.maskSizeIPv4 : this.config.maskSizeIPv6;
    const bits = cluster.family === 'ipv4' ? 32 : 128;
    const step = 1n << BigInt(bits - mask);
    const count = 1n << BigInt(mask - cluster.prefixLength);
    const relevant = taken.filter((t) => t.family === cluster.family && overlaps(t, cluster));
    for (let i = 0n; i < count; i++) {
      const candidate = tryParseCIDR(`${IPAddress.fromValue(cluster.family, cluster.value + i * step).address}/${mask}`) as Cidr;
      if (!relevant.some((t) => overlaps(t, candidate))) return candidate;
    }
    return undefined;
  }

  private recordEvent(node: string, uid: string, message: string): void {
    const now = timestamp();
    this.registry.create(EVENT, 'default', {
      metadata: { generateName: `${node}.`, namespace: 'default' },
      involvedObject: { kind: 'Node', name: node, uid, apiVersion: 'v1' },
      reason: 'CIDRNotAvailable',
      message,
      source: { component: 'cidrAllocator' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: 'Normal',
    });
  }
}
