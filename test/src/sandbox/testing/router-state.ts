// What kr-router should have installed on each sandbox node, and what it has, as sorted
// lines that compare (and print) well. Families and subnets come from `kr-sandbox status`.
import { familyOf, parseCIDR } from '@kr/ip';
import type { SandboxFamily } from '../node/index.js';
import type { NodeStatus } from '../status.js';
import { netnsKernelState, type HostKernelState } from './kernel.js';

/** --overlay-encap-port's default (kube-router's fou port), which vxlan uses too. */
export const VXLAN_PORT = 5555;

const canonical = (cidr: string) => parseCIDR(cidr).toString();

/**
 * One line per route: other nodes' pod CIDRs per family, directly via a node on the same
 * subnet, else over a vxlan tunnel between the two nodes' addresses of that family, with
 * this node's address as source (as kube-router's tunnel routes).
 */
export function expectedRoutes(self: NodeStatus, nodes: readonly NodeStatus[], families: readonly SandboxFamily[]): string[] {
  return nodes
    .filter((n) => n.name !== self.name)
    .flatMap((other) =>
      families.map((f) => {
        const cidr = canonical(other.podCIDRs.find((c) => familyOf(c) === f)!);
        return other.subnet === self.subnet
          ? `${f} ${cidr} via ${other.addresses[f]} dev eth0`
          : `${f} ${cidr} over ${f} vxlan ${self.addresses[f]} -> ${other.addresses[f]} src ${self.addresses[f]}`;
      }),
    )
    .sort();
}

/** One vxlan tunnel per node on another subnet and family. */
export function expectedTunnels(self: NodeStatus, nodes: readonly NodeStatus[], families: readonly SandboxFamily[]): string[] {
  return nodes
    .filter((n) => n.name !== self.name && n.subnet !== self.subnet)
    .flatMap((other) => families.map((f) => `${f} ${self.addresses[f]} -> ${other.addresses[f]} port ${VXLAN_PORT} up`))
    .sort();
}

/** Our routes, each described by where it goes (a duplicate shows up twice). */
export function actualRoutes(state: HostKernelState): string[] {
  return state.routes
    .map((r) => {
      const tunnel = state.tunnels.find((t) => t.name === r.dev);
      return tunnel
        ? `${r.family} ${canonical(r.dst)} over ${tunnel.family} vxlan ${tunnel.local} -> ${tunnel.remote} src ${r.prefsrc}`
        : `${r.family} ${canonical(r.dst)} via ${r.gateway} dev ${r.dev}`;
    })
    .sort();
}

export function actualTunnels(state: HostKernelState): string[] {
  return state.tunnels.map((t) => `${t.family} ${t.local} -> ${t.remote} port ${t.port} ${t.up ? 'up' : 'down'}`).sort();
}

/** Every node's routes and tunnels as expected (read straight in the namespaces: quick to poll). */
export async function converged(nodes: readonly NodeStatus[], families: readonly SandboxFamily[]): Promise<boolean> {
  const states = await Promise.all(nodes.map((n) => netnsKernelState(`krsbx-${n.name}`)));
  return nodes.every(
    (n, i) =>
      actualRoutes(states[i]!).join() === expectedRoutes(n, nodes, families).join() &&
      actualTunnels(states[i]!).join() === expectedTunnels(n, nodes, families).join(),
  );
}
