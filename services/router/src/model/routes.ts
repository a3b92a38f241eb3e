// Kernel routes (and the tunnels they need) for the best paths GoBGP learned. Pure.
//
// kube-router's injectRoute, per learned best path:
// - next hop on a connected subnet and not --overlay-type=full: a direct route via it;
// - otherwise, with --enable-overlay, a route over a tunnel to the next hop;
// - otherwise nothing: the network is expected to route the prefix (kube-router "lets BGP
//   do its thing"; a route via an off-link gateway would be refused by the kernel anyway).
// Differences:
// - Tunnels only to cluster nodes. kube-router builds one to any next hop, external
//   routers included, which cannot decapsulate; such paths get a direct route when the
//   router is on a connected subnet and none otherwise.
// - --excluded-cidrs (an IPVS flag in kube-router): prefixes inside one are never installed.
// - Paths overlapping this node's own pod CIDRs are never installed (they would take the
//   bridge's traffic), nor paths of a disabled family or with a next hop of the other
//   family than the prefix.
// Every path that does not become a route is listed in `skipped` with the reason, for
// `kr routes`. Which subnets count as connected is the caller's input: kube-router uses
// the subnets of the interfaces holding the node's addresses.
import { compareCIDRs, contains, containsCidr, overlaps, type Cidr, type EnabledFamilies, type Family, type IPAddress } from '@kr/ip';
import { nodePodCIDRs } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';
import type { ObservedPath } from './bgp-types.js';
import { nodeBgpView } from './node-bgp.js';
import { tunnelName, tunnelVni, type OverlayEncap, type OverlaySettings } from './tunnels.js';

export interface ConnectedSubnet {
  readonly cidr: Cidr;
  /** The interface it is on, when known (becomes the route's dev). */
  readonly dev?: string;
}

export interface RouteSettings {
  readonly overlay: OverlaySettings;
  readonly excludedCidrs: readonly Cidr[];
}

export interface RoutesInput {
  /** GoBGP's best paths (others, withdrawals and our own local paths are ignored). */
  readonly paths: readonly ObservedPath[];
  readonly self: V1Node;
  /** Every node of the cluster, to recognise next hops that are nodes. */
  readonly nodes: readonly V1Node[];
  readonly connected: readonly ConnectedSubnet[];
  readonly config: RouteSettings;
  readonly families: EnabledFamilies;
}

export interface TunnelSpec {
  /** Link name, "tun-" + 11 hex digits (see tunnels.ts). */
  readonly name: string;
  readonly encap: OverlayEncap;
  /** The outer family (that of both ends). */
  readonly family: Family;
  readonly local: IPAddress;
  readonly remote: IPAddress;
  /** Destination UDP port, fou and vxlan. */
  readonly port?: number;
  /** VXLAN network identifier, symmetric between the two ends. */
  readonly vni?: number;
  /** The node at the remote end. */
  readonly node?: string;
}

export interface DesiredRoute {
  readonly prefix: Cidr;
  readonly family: Family;
  /** The BGP next hop; over a tunnel it is the remote end (a gateway only with onlink). */
  readonly via: IPAddress;
  readonly path: 'direct' | 'tunnel';
  /** The tunnel link, or the interface of the connected subnet when known. */
  readonly dev?: string;
  /** Preferred source over a tunnel: this node's address of the family (as kube-router). */
  readonly src?: IPAddress;
  readonly tunnel?: TunnelSpec;
  /** The node that advertised it, when the next hop is a node. */
  readonly node?: string;
}

export interface SkippedPath {
  readonly prefix: Cidr;
  readonly nextHop: IPAddress;
  readonly peer?: IPAddress;
  readonly reason: string;
}

export interface RoutesResult {
  /** Sorted by prefix. */
  readonly routes: readonly DesiredRoute[];
  /** One per remote end, sorted by name. */
  readonly tunnels: readonly TunnelSpec[];
  readonly skipped: readonly SkippedPath[];
}

export function computeRoutes(input: RoutesInput): RoutesResult {
  const { config, families } = input;
  const self = nodeBgpView(input.self, families);
  const ownPodCidrs = nodePodCIDRs(input.self).all;
  const nodeByAddress = new Map<string, string>();
  for (const node of input.nodes) {
    const view = nodeBgpView(node, { ipv4: true, ipv6: true });
    if (view.name === self.name) continue;
    for (const a of view.knownAddresses) nodeByAddress.set(`${a.family}/${a.address}`, view.name);
  }
  const isSelf = (ip: IPAddress) => self.knownAddresses.some((a) => a.equals(ip));

  const routes: DesiredRoute[] = [];
  const skipped: SkippedPath[] = [];
  const tunnels = new Map<string, TunnelSpec>();
  const seen = new Set<string>();
  const candidates = input.paths
    .filter((p) => p.best && !p.withdrawal && !p.local)
    .sort((a, b) => compareCIDRs(a.prefix, b.prefix) || (a.nextHop.value < b.nextHop.value ? -1 : a.nextHop.value > b.nextHop.value ? 1 : 0));

  for (const path of candidates) {
    const { prefix, nextHop } = path;
    const skip = (reason: string) => skipped.push({ prefix, nextHop, ...(path.peer ? { peer: path.peer } : {}), reason });
    const key = prefix.toString();
    if (!families[prefix.family]) {
      skip(`${prefix.family} is not enabled`);
      continue;
    }
    if (seen.has(key)) {
      skip('another best path for this prefix is installed');
      continue;
    }
    if (nextHop.family !== prefix.family) {
      skip(`next hop ${nextHop.address} is not of the prefix's family`);
      continue;
    }
    const own = ownPodCidrs.find((c) => overlaps(c, prefix));
    if (own) {
      skip(`overlaps this node's pod CIDR ${own.toString()}`);
      continue;
    }
    const excluded = config.excludedCidrs.find((c) => containsCidr(c, prefix));
    if (excluded) {
      skip(`inside --excluded-cidrs ${excluded.toString()}`);
      continue;
    }
    if (isSelf(nextHop)) {
      skip('next hop is this node');
      continue;
    }
    const node = nodeByAddress.get(`${nextHop.family}/${nextHop.address}`);
    const subnet = input.connected.find((s) => contains(s.cidr, nextHop));
    const tunnel = config.overlay.enabled && node !== undefined && (config.overlay.type === 'full' || !subnet);

    if (tunnel) {
      const local = self.addresses[nextHop.family];
      if (!local) {
        skip(`no ${nextHop.family} address on this node to tunnel from`);
        continue;
      }
      const name = tunnelName(nextHop);
      const spec: TunnelSpec = tunnels.get(name) ?? {
        name,
        encap: config.overlay.encap,
        family: nextHop.family,
        local,
        remote: nextHop,
        ...(config.overlay.encap !== 'ipip' ? { port: config.overlay.port } : {}),
        ...(config.overlay.encap === 'vxlan' ? { vni: tunnelVni(local, nextHop) } : {}),
        ...(node ? { node } : {}),
      };
      tunnels.set(name, spec);
      seen.add(key);
      routes.push({ prefix, family: prefix.family, via: nextHop, path: 'tunnel', dev: name, src: local, tunnel: spec, ...(node ? { node } : {}) });
      continue;
    }
    if (subnet) {
      seen.add(key);
      routes.push({ prefix, family: prefix.family, via: nextHop, path: 'direct', ...(subnet.dev ? { dev: subnet.dev } : {}), ...(node ? { node } : {}) });
      continue;
    }
    skip(
      node === undefined
        ? 'next hop is neither on a connected subnet nor a cluster node; left to the network'
        : 'next hop is not on a connected subnet and --enable-overlay=false; left to the network',
    );
  }

  return dropVniCollisions({ routes, tunnels: [...tunnels.values()].sort((a, b) => a.name.localeCompare(b.name)), skipped });
}

/** Two remotes hashing to the same VNI cannot both have a VXLAN link here; keep the first. */
function dropVniCollisions(result: { routes: DesiredRoute[]; tunnels: TunnelSpec[]; skipped: SkippedPath[] }): RoutesResult {
  const byVni = new Map<number, TunnelSpec>();
  const dropped = new Map<string, TunnelSpec>();
  for (const t of result.tunnels) {
    if (t.vni === undefined) continue;
    const first = byVni.get(t.vni);
    if (first) dropped.set(t.name, first);
    else byVni.set(t.vni, t);
  }
  if (dropped.size === 0) return result;
  const routes: DesiredRoute[] = [];
  const skipped = [...result.skipped];
  for (const r of result.routes) {
    const winner = r.tunnel && dropped.get(r.tunnel.name);
    if (winner) skipped.push({ prefix: r.prefix, nextHop: r.via, reason: `VXLAN VNI ${r.tunnel?.vni} collides with the tunnel to ${winner.remote.address}` });
    else routes.push(r);
  }
  return { routes, tunnels: result.tunnels.filter((t) => !dropped.has(t.name)), skipped };
}
