// Every kernel object the router owns is found again by one of these marks, so that a
// periodic sync (or a restart) lists exactly its own objects, converges them, and prunes
// what is stale — and never touches anything else.
import type { Family } from '@kr/ip';

/**
 * Routing protocol number of our routes (`ip route ... proto 17`), in the main table.
 * kube-router marks its injected routes with 0x11 = 17 (its `ZebraOriginator`; not in
 * /etc/iproute2/rt_protos, whose zebra is 11). We keep 17 so that a node switched over
 * from kube-router finds kube-router's routes as ours and converges them instead of
 * stacking duplicates next to them. `ip route show proto 17` lists exactly them.
 */
export const ROUTE_PROTOCOL = 17;

/**
 * Prefix of every tunnel link the router creates (the model names them "tun-" + 11 hex
 * digits of a hash of the remote end, as kube-router v2 does). A link counts as ours only
 * if it has this prefix *and* is of a tunnel kind we create (vxlan, ipip, ip6tnl); such
 * links that are no longer wanted are deleted — kube-router's leftovers included, which
 * is what a node switched over from kube-router wants. Names are at most 15 characters.
 */
export const TUNNEL_NAME_PREFIX = 'tun-';

/** Longest interface name the kernel accepts. */
export const MAX_LINK_NAME = 15;

/** Link kinds (`linkinfo.info_kind`) of the tunnels we create. */
export const TUNNEL_LINK_KINDS: readonly string[] = ['vxlan', 'ipip', 'ip6tnl'];

/**
 * VXLAN destination port: the IANA port (RFC 7348). Linux's own default is 8472 (what
 * flannel uses); 4789 is what every other VXLAN speaker expects.
 */
export const DEFAULT_VXLAN_PORT = 4789;

/** kube-router's `--overlay-encap-port` default for fou (GUE). */
export const DEFAULT_FOU_PORT = 5555;

/**
 * Next hop of routes over a vxlan tunnel. VXLAN devices are Ethernet: a route needs a
 * neighbour to address the frame to, and we pin that neighbour (a permanent entry with
 * the remote end's MAC), so the gateway address is only a key on that one device and the
 * same constant serves every tunnel.
 *
 * - IPv4 169.254.0.1, onlink: 169.254.0.0/24 is reserved by RFC 3927 and never
 *   auto-assigned, so it is not a local address (the kernel refuses a local gateway).
 * - IPv6 fe80::1, a link-local gateway: always on-link, so no `onlink` flag. An IPv6
 *   `onlink` gateway inside another route's prefix (say the remote's pod CIDR) is refused
 *   by the kernel ("Nexthop has invalid gateway or device mismatch") as soon as a route
 *   over another device covers it, e.g. while a route moves from one tunnel to another.
 */
export const VXLAN_GATEWAY: Readonly<Record<Family, string>> = { ipv4: '169.254.0.1', ipv6: 'fe80::1' };

/** The router's own nftables table (one namespace of names per controller). */
export const EGRESS_TABLE = { family: 'inet', name: 'kube-router-router' } as const;
export const EGRESS_CHAIN = 'pod_egress';

/** Named sets of the egress table, per family; also what RouterState publishes. */
export const EGRESS_SETS = {
  podCidrs: { ipv4: 'pod_cidrs_v4', ipv6: 'pod_cidrs_v6' },
  nodeIps: { ipv4: 'node_ips_v4', ipv6: 'node_ips_v6' },
  excluded: { ipv4: 'excluded_v4', ipv6: 'excluded_v6' },
} as const satisfies Record<string, Record<Family, string>>;

// What `ip` accepts as an interface name that is also a single safe word in a batch line.
const LINK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$/;

export function isValidLinkName(name: string): boolean {
  return LINK_NAME.test(name);
}
