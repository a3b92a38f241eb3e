// What the kernel side of the router is asked to make true (desired state, mapped from
// the model's output) and what it reads back (observed state). Plans diff the two.
import type { Cidr, Family, IPAddress } from '@kr/ip';

export type TunnelEncap = 'ipip' | 'fou' | 'vxlan';

/** A route of ours in the main table (protocol ROUTE_PROTOCOL, default metric). */
export interface KernelRoute {
  readonly prefix: Cidr;
  /** Must equal prefix.family; stated so a mapping mistake fails loudly. */
  readonly family: Family;
  /** Gateway, of the prefix's family. Absent: a device route (ipip/fou tunnels). */
  readonly via?: IPAddress;
  readonly dev?: string;
  /** The gateway is on the link even though no local address covers it. */
  readonly onlink?: boolean;
  /** Preferred source address (`src`) for traffic the node itself originates. */
  readonly source?: IPAddress;
}

export interface TunnelSpec {
  /** Link name: TUNNEL_NAME_PREFIX + at most 12 characters. */
  readonly name: string;
  readonly encap: TunnelEncap;
  /** Family of the outer (underlay) addresses. */
  readonly family: Family;
  readonly local: IPAddress;
  readonly remote: IPAddress;
  /** UDP port: vxlan destination port, or the fou (GUE) port. Defaults per encap. */
  readonly port?: number;
  /** VXLAN network identifier; default vxlanVni(local, remote), the same on both ends. */
  readonly vni?: number;
  /** Link MTU; left to the kernel when absent. */
  readonly mtu?: number;
  /**
   * Families of the traffic carried inside (the routes through it). Default: the outer
   * family. vxlan and ipip over IPv6 (ip6tnl mode any) carry either; ipip and fou over
   * IPv4 carry IPv4 only, fou over IPv6 carries IPv6 only (kube-router's modes).
   */
  readonly innerFamilies?: readonly Family[];
}

export interface EgressSpec {
  /** Families with egress masquerade. */
  readonly families: readonly Family[];
  /** This node's pod CIDRs (any family; each CIDR carries its own). */
  readonly podCidrs: readonly Cidr[];
  /** Every node's pod CIDRs: traffic between them is never masqueraded. */
  readonly clusterPodCidrs: readonly Cidr[];
  /** Every node's addresses: traffic to nodes keeps the pod's source address. */
  readonly nodeIps: readonly IPAddress[];
  /** Further destinations that keep the pod's source address. */
  readonly excluded?: readonly Cidr[];
}

/** One of our routes as listed by `ip -j route show table main proto N`. */
export interface ObservedRoute {
  readonly prefix: Cidr;
  readonly family: Family;
  /** Route type when not unicast (unreachable, blackhole, ...). */
  readonly type?: string;
  readonly via?: IPAddress;
  readonly dev?: string;
  readonly onlink: boolean;
  readonly source?: IPAddress;
  readonly metric: number;
  /** A multipath route (`nexthops`): never what we install. */
  readonly multipath: boolean;
  /** Protocol as ip printed it (absent when the listing filtered on it). */
  readonly protocol?: string;
}

/** One of our tunnel links as read from `ip -j -d link show`. */
export interface ObservedTunnel {
  readonly name: string;
  /** Undefined when the link's settings match none of our encaps. */
  readonly encap?: TunnelEncap;
  readonly family: Family;
  readonly local?: IPAddress;
  readonly remote?: IPAddress;
  readonly port?: number;
  readonly vni?: number;
  readonly mtu: number;
  readonly up: boolean;
  /** Link-layer address (vxlan only). */
  readonly mac?: string;
  /** What else must hold for the link to be as we create it (mode, learning, ...). */
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** A permanent neighbour entry on one of our tunnel links. */
export interface ObservedNeighbour {
  readonly dev: string;
  readonly address: IPAddress;
  readonly mac?: string;
}

/** A fou (GUE) receive port, `ip fou show`. */
export interface FouPort {
  readonly family: Family;
  readonly port: number;
  /** GUE rather than direct fou with a fixed inner protocol. */
  readonly gue: boolean;
}
