// The node's own interface, found the way kube-router's GetNodeMTU finds it: the
// interface that holds the node's primary IP (its first InternalIP, else ExternalIP).
//
// It doubles as a safety check. The node's addresses must be on an interface of the
// network namespace we run in before we create a bridge, set sysctls or write the CNI
// configuration: if they are not, we are not on that node (a wrong --hostname-override,
// or a process started outside the node's namespace) and anything we programmed would
// land on the wrong host.
import { type IPAddress } from '@kr/ip';
import { nodeInternalIPs } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';

export interface HostInterface {
  readonly name: string;
  readonly mtu: number;
  readonly addresses: readonly IPAddress[];
}

export interface NodeUplink {
  /** The interface holding the node's primary IP, and that IP. */
  readonly name: string;
  readonly mtu: number;
  readonly nodeIp: IPAddress;
  /**
   * The interface holding the node's IPv6 address (else the primary one): where router
   * advertisements must keep being accepted once IPv6 forwarding is on.
   */
  readonly ipv6Name: string;
}

export type UplinkResult = { readonly ok: true; readonly uplink: NodeUplink } | { readonly ok: false; readonly reason: string };

export function findNodeUplink(node: V1Node, nodeName: string, interfaces: readonly HostInterface[], ignore: readonly string[] = []): UplinkResult {
  const ips = nodeInternalIPs(node);
  if (ips.all.length === 0) {
    return { ok: false, reason: `node ${nodeName} has no InternalIP or ExternalIP in status.addresses (yet)` };
  }
  const candidates = interfaces.filter((i) => !ignore.includes(i.name));
  const holder = (ip: IPAddress | undefined) => (ip ? candidates.find((i) => i.addresses.some((a) => a.equals(ip))) : undefined);
  const ordered = [...(ips.primary ? [ips.primary] : []), ...ips.all];
  for (const ip of ordered) {
    const found = holder(ip);
    if (!found) continue;
    return { ok: true, uplink: { name: found.name, mtu: found.mtu, nodeIp: ip, ipv6Name: holder(ips.ipv6)?.name ?? found.name } };
  }
  return {
    ok: false,
    reason:
      `none of node ${nodeName}'s addresses (${ips.all.map((a) => a.address).join(', ')}) is on an interface of this network namespace: ` +
      'refusing to touch the bridge, sysctls or CNI configuration of what is not that node (check --hostname-override)',
  };
}
