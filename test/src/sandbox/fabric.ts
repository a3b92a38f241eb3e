// The sandbox's networks. Every command here either reads the root namespace (`ip -j`)
// or acts inside a `krsbx-*` namespace (`ip -n`, `ip netns exec`): veths are created in
// krsbx-fabric with their peer placed straight into the host's namespace, so no link
// exists in the root namespace even for a moment, and forwarding is switched on only in
// krsbx-fabric. Nothing links the sandbox to the root namespace; nothing routes out.
import { ipBatch, runTool } from './exec.js';
import { prefixesFromAddresses, prefixesFromRoutes, type RootPrefix } from './overlap.js';
import { FABRIC_NETNS, type AddressPlan } from './plan.js';
import type { SandboxHost } from './node/index.js';

/** The bridge of fabric subnet s, in krsbx-fabric. */
export const bridgeName = (subnet: number) => `br${subnet}`;

/** The fabric end of a host's veth: `n<i>` for node i, `x<j>` for external j. */
export function fabricPortName(host: SandboxHost): string {
  return host.name.replace(/^node/, 'n').replace(/^ext/, 'x');
}

/** Read-only: the networks of the root namespace's addresses and routes, both families. */
export async function readRootPrefixes(): Promise<RootPrefix[]> {
  const [addrs, v4, v6] = await Promise.all([
    runTool(['ip', '-j', 'addr', 'show']),
    runTool(['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
    runTool(['ip', '-j', '-6', 'route', 'show', 'table', 'all']),
  ]);
  return [...prefixesFromAddresses(JSON.parse(addrs.stdout)), ...prefixesFromRoutes(JSON.parse(v4.stdout)), ...prefixesFromRoutes(JSON.parse(v6.stdout))];
}

/** `ip -batch` lines that build krsbx-fabric: lo, one bridge per subnet with the router's addresses, a port per host. */
export function fabricBatch(plan: AddressPlan): string[] {
  const lines = ['link set lo up'];
  for (const subnet of plan.subnets) {
    const br = bridgeName(subnet.index);
    const router = plan.routers[subnet.index]!;
    lines.push(`link add ${br} type bridge`, `link set ${br} up`);
    if (router.ipv4) lines.push(`addr add ${router.ipv4}/24 dev ${br}`);
    // nodad: the fabric is ours alone, and DAD would leave the address tentative for a second.
    if (router.ipv6) lines.push(`addr add ${router.ipv6}/64 dev ${br} nodad`);
  }
  for (const host of [...plan.nodes, ...plan.externals]) {
    const port = fabricPortName(host);
    lines.push(`link add ${port} type veth peer name eth0 netns ${host.netns}`, `link set ${port} master ${bridgeName(host.subnet)}`, `link set ${port} up`);
  }
  return lines;
}

/** `ip -batch` lines for a host's namespace: lo, eth0 with its addresses, default routes via the fabric router. */
export function hostBatch(plan: AddressPlan, host: SandboxHost): string[] {
  const router = plan.routers[host.subnet]!;
  const lines = ['link set lo up', 'link set eth0 up'];
  if (host.addresses.ipv4) lines.push(`addr add ${host.addresses.ipv4}/24 dev eth0`);
  if (host.addresses.ipv6) lines.push(`addr add ${host.addresses.ipv6}/64 dev eth0 nodad`);
  if (host.addresses.ipv4 && router.ipv4) lines.push(`route add 0.0.0.0/0 via ${router.ipv4} dev eth0`);
  if (host.addresses.ipv6 && router.ipv6) lines.push(`route add ::/0 via ${router.ipv6} dev eth0`);
  return lines;
}

/** Creates every namespace and link of the plan. On failure, what exists is left for `down`. */
export async function createFabric(plan: AddressPlan): Promise<void> {
  const hosts = [...plan.nodes, ...plan.externals];
  for (const netns of [FABRIC_NETNS, ...hosts.map((h) => h.netns)]) await runTool(['ip', 'netns', 'add', netns]);
  await ipBatch(FABRIC_NETNS, fabricBatch(plan));
  // The fabric router routes between subnets; only here, never in the root namespace.
  const sysctls = [
    ...(plan.families.includes('ipv4') ? ['net.ipv4.ip_forward=1'] : []),
    ...(plan.families.includes('ipv6') ? ['net.ipv6.conf.all.forwarding=1'] : []),
  ];
  await runTool(['ip', 'netns', 'exec', FABRIC_NETNS, 'sysctl', '-q', '-w', ...sysctls]);
  await Promise.all(hosts.map((h) => ipBatch(h.netns, hostBatch(plan, h))));
}
