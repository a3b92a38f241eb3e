// The router's kernel state inside a sandbox host, read back with iproute2's JSON output:
// its routes (protocol 17, both families) and its vxlan tunnels. One shell per read, so a
// read is one process whether it goes through `kr-sandbox exec` (what a user runs) or
// straight through `ip netns exec` (fast enough to sample many times a second).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sandboxOk } from './cli.js';

const run = promisify(execFile);

/** Our route protocol (kube-router's zebra value). */
export const ROUTER_PROTO = 17;

export interface HostRoute {
  readonly family: 'ipv4' | 'ipv6';
  /** Always a prefix with its length (`0.0.0.0/0` for iproute2's `default`). */
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly prefsrc?: string;
}

export interface VxlanTunnel {
  readonly name: string;
  readonly ifindex: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly remote: string;
  readonly local: string;
  readonly vni: number;
  readonly port: number;
  readonly up: boolean;
}

export interface HostKernelState {
  readonly routes: readonly HostRoute[];
  readonly tunnels: readonly VxlanTunnel[];
}

const SEPARATOR = '=====';
const SCRIPT = [
  `ip -j -4 route show proto ${ROUTER_PROTO}`,
  `echo ${SEPARATOR}`,
  `ip -j -6 route show proto ${ROUTER_PROTO}`,
  `echo ${SEPARATOR}`,
  'ip -j -d link show type vxlan',
].join('; ');

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; remote?: string; local?: string; remote6?: string; local6?: string } };
}

const parseJson = <T>(text: string | undefined): T[] => (text && text.trim() ? (JSON.parse(text) as T[]) : []);

export function parseKernelState(stdout: string): HostKernelState {
  const [v4, v6, links] = stdout.split(`${SEPARATOR}\n`);
  const routes = [
    ...parseJson<IpRoute>(v4).map((r) => ({ family: 'ipv4' as const, ...pick(r, 'ipv4') })),
    ...parseJson<IpRoute>(v6).map((r) => ({ family: 'ipv6' as const, ...pick(r, 'ipv6') })),
  ];
  const tunnels = parseJson<IpLink>(links)
    .filter((l) => l.linkinfo?.info_kind === 'vxlan')
    .map((l) => {
      const d = l.linkinfo!.info_data ?? {};
      const family = d.remote6 !== undefined ? ('ipv6' as const) : ('ipv4' as const);
      return {
        name: l.ifname,
        ifindex: l.ifindex,
        family,
        remote: (family === 'ipv6' ? d.remote6 : d.remote) ?? '',
        local: (family === 'ipv6' ? d.local6 : d.local) ?? '',
        vni: d.id ?? 0,
        port: d.port ?? 0,
        up: (l.flags ?? []).includes('UP'),
      };
    });
  return { routes, tunnels };
}

/** iproute2 prints the default route as `default` and host routes without a length. */
function prefixOf(dst: string, family: 'ipv4' | 'ipv6'): string {
  if (dst === 'default') return family === 'ipv4' ? '0.0.0.0/0' : '::/0';
  return dst.includes('/') ? dst : `${dst}/${family === 'ipv4' ? 32 : 128}`;
}

function pick(r: IpRoute, family: 'ipv4' | 'ipv6'): Omit<HostRoute, 'family'> {
  return { dst: prefixOf(r.dst, family), ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.dev ? { dev: r.dev } : {}), ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}) };
}

/** Through the CLI, as a user would: `kr-sandbox exec HOST -- sh -c ...`. */
export async function hostKernelState(host: string): Promise<HostKernelState> {
  return parseKernelState((await sandboxOk(['exec', host, '--', 'sh', '-c', SCRIPT])).stdout);
}

/** Straight into the namespace, for sampling while something restarts. */
export async function netnsKernelState(netns: string): Promise<HostKernelState> {
  const { stdout } = await run('ip', ['netns', 'exec', netns, 'sh', '-c', SCRIPT], { encoding: 'utf8' });
  return parseKernelState(stdout);
}
