// The sandbox's address plan: the stack and its family order, the cluster's pod and
// service CIDRs, and where every node and external host sits on the fabric. Pure.
//
// Fabric subnet s (0-based): 198.18.s.0/24 and fd42:198:18:s::/64 (RFC 2544's benchmarking
// range and a ULA prefix, away from the usual uplinks). The fabric router (krsbx-fabric)
// has host part 1 on every subnet; node i has 10+i, external host j has 200+j. Nodes and
// externals are spread over the subnets round-robin, so with --subnets 2 node1 and node2
// are on different L2 segments.
import { ConfigError } from '@kr/errors';
import { canonicalIP, overlaps, parseCIDR, type Cidr, type Family } from '@kr/ip';
import {
  STACK_FAMILIES,
  type SandboxApi,
  type SandboxClusterConfig,
  type SandboxContainer,
  type SandboxController,
  type SandboxFamily,
  type SandboxHost,
  type SandboxPids,
  type SandboxStack,
  type SandboxSubnet,
} from './node/index.js';

export const NETNS_PREFIX = 'krsbx-';
export const FABRIC_NETNS = `${NETNS_PREFIX}fabric`;
export const NODE_HOST_BASE = 10;
export const EXTERNAL_HOST_BASE = 200;
export const ROUTER_HOST = 1;

export const DEFAULT_CLUSTER_CIDRS: Readonly<Record<SandboxFamily, string>> = { ipv4: '10.244.0.0/16', ipv6: 'fd00:10:244::/56' };
export const DEFAULT_SERVICE_CIDRS: Readonly<Record<SandboxFamily, string>> = { ipv4: '10.96.0.0/16', ipv6: 'fd00:10:96::/112' };
export const DEFAULT_NODE_MASK: Readonly<Record<SandboxFamily, number>> = { ipv4: 24, ipv6: 64 };

export function familiesOf(stack: SandboxStack): readonly SandboxFamily[] {
  return STACK_FAMILIES[stack];
}

export function stackOf(families: readonly Family[]): SandboxStack | undefined {
  return (Object.keys(STACK_FAMILIES) as SandboxStack[]).find((s) => STACK_FAMILIES[s].join() === families.join());
}

export interface PlanInput {
  readonly nodes: number;
  readonly stack?: SandboxStack;
  readonly subnets: number;
  readonly externals: number;
  readonly serviceCidrs?: readonly string[];
  readonly clusterCidrs?: readonly string[];
  readonly nodeCidrMaskSizeIPv4?: number;
  readonly nodeCidrMaskSizeIPv6?: number;
}

export interface AddressPlan {
  readonly stack: SandboxStack;
  readonly families: readonly SandboxFamily[];
  readonly clusterCidrs: readonly string[];
  readonly serviceCidrs: readonly string[];
  readonly nodeCidrMaskSizeIPv4: number;
  readonly nodeCidrMaskSizeIPv6: number;
  readonly subnets: readonly SandboxSubnet[];
  /** The fabric router's address on each subnet, by subnet index. */
  readonly routers: readonly { readonly ipv4?: string; readonly ipv6?: string }[];
  readonly nodes: readonly SandboxHost[];
  readonly externals: readonly SandboxHost[];
}

function cidrList(flag: string, values: readonly string[]): Cidr[] {
  if (values.length < 1 || values.length > 2) throw new ConfigError(flag, `expected one or two CIDRs, got ${values.length}`);
  const cidrs = values.map((v) => {
    try {
      return parseCIDR(v, { strict: true });
    } catch (err) {
      throw new ConfigError(flag, `${JSON.stringify(v)} is not a CIDR (with no host bits set)`, { cause: err });
    }
  });
  if (cidrs.length === 2 && cidrs[0]!.family === cidrs[1]!.family) throw new ConfigError(flag, 'two CIDRs must be of different families (dual-stack)');
  return cidrs;
}

const describeFamilies = (f: readonly Family[]) => f.map((x) => (x === 'ipv4' ? 'IPv4' : 'IPv6')).join(' then ');

/**
 * The stack: --stack when given, else the family order of the CIDR flags (as in
 * kube-apiserver, where the order of --service-cluster-ip-range is the cluster's), else dual.
 */
function resolveStack(input: PlanInput, cluster: Cidr[] | undefined, service: Cidr[] | undefined): SandboxStack {
  const given: Array<[string, Cidr[]]> = [];
  if (cluster) given.push(['--cluster-cidrs', cluster]);
  if (service) given.push(['--service-cidrs', service]);
  const stack = input.stack ?? (given[0] ? stackOf(given[0][1].map((c) => c.family)) : 'dual') ?? 'dual';
  const want = STACK_FAMILIES[stack];
  for (const [flag, cidrs] of given) {
    const families = cidrs.map((c) => c.family);
    if (families.join() !== want.join()) {
      const source = input.stack ? `--stack ${stack}` : `${given[0]![0]} (${describeFamilies(given[0]![1].map((c) => c.family))})`;
      throw new ConfigError(flag, `${cidrs.join(',')} is ${describeFamilies(families)}, but ${source} needs ${describeFamilies(want)}`);
    }
  }
  return stack;
}

function checkMask(family: SandboxFamily, mask: number, cluster: Cidr, nodes: number): void {
  const flag = `--node-cidr-mask-size-${family}`;
  const bits = family === 'ipv4' ? 32 : 128;
  if (mask < cluster.prefixLength) throw new ConfigError(flag, `/${mask} is shorter than the cluster CIDR ${cluster.toString()}`);
  if (mask > bits - 2) throw new ConfigError(flag, `/${mask} leaves no room for pods (at most /${bits - 2})`);
  // kube-controller-manager refuses more than 2^16 node CIDRs per cluster CIDR.
  if (mask - cluster.prefixLength > 16) throw new ConfigError(flag, `/${mask} in ${cluster.toString()} makes more than 65536 node CIDRs (at most /${cluster.prefixLength + 16})`);
  if (2 ** (mask - cluster.prefixLength) < nodes) throw new ConfigError(flag, `${cluster.toString()} has room for ${2 ** (mask - cluster.prefixLength)} node CIDRs of /${mask}, not ${nodes}`);
}

function checkServiceCidr(cidr: Cidr): void {
  // kube-apiserver: "specified --service-cluster-ip-range is too large" beyond 2^20 addresses.
  const min = cidr.family === 'ipv4' ? 12 : 108;
  if (cidr.prefixLength < min) throw new ConfigError('--service-cidrs', `${cidr.toString()} is too large (at most 2^20 addresses: /${min} or longer)`);
}

export function subnetOf(index: number, families: readonly SandboxFamily[]): SandboxSubnet {
  return {
    index,
    ...(families.includes('ipv4') ? { ipv4: `198.18.${index}.0/24` } : {}),
    ...(families.includes('ipv6') ? { ipv6: parseCIDR(`fd42:198:18:${index.toString(16)}::/64`).toString() } : {}),
  };
}

/** Host part `host` (1..254) on a subnet; the IPv6 host part is written like the IPv4 one (`::11`). */
export function hostAddress(subnet: SandboxSubnet, host: number): { ipv4?: string; ipv6?: string } {
  return {
    ...(subnet.ipv4 ? { ipv4: `198.18.${subnet.index}.${host}` } : {}),
    ...(subnet.ipv6 ? { ipv6: canonicalIP(`${subnet.ipv6.split('/')[0]!.replace(/::$/, '')}::${host}`) } : {}),
  };
}

function hosts(kind: 'node' | 'ext', count: number, base: number, subnets: readonly SandboxSubnet[]): SandboxHost[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const subnet = subnets[k % subnets.length]!;
    const name = `${kind}${i}`;
    return { name, netns: `${NETNS_PREFIX}${name}`, subnet: subnet.index, addresses: hostAddress(subnet, base + i) };
  });
}

/** Validates the flags and lays out every address; ConfigError says which flag is wrong. */
export function planAddresses(input: PlanInput): AddressPlan {
  const cluster = input.clusterCidrs ? cidrList('--cluster-cidrs', input.clusterCidrs) : undefined;
  const service = input.serviceCidrs ? cidrList('--service-cidrs', input.serviceCidrs) : undefined;
  const stack = resolveStack(input, cluster, service);
  const families = STACK_FAMILIES[stack];
  const clusterCidrs = cluster ?? families.map((f) => parseCIDR(DEFAULT_CLUSTER_CIDRS[f]));
  const serviceCidrs = service ?? families.map((f) => parseCIDR(DEFAULT_SERVICE_CIDRS[f]));
  const masks = { ipv4: input.nodeCidrMaskSizeIPv4 ?? DEFAULT_NODE_MASK.ipv4, ipv6: input.nodeCidrMaskSizeIPv6 ?? DEFAULT_NODE_MASK.ipv6 };
  for (const c of clusterCidrs) checkMask(c.family, masks[c.family], c, input.nodes);
  for (const s of serviceCidrs) checkServiceCidr(s);
  for (const c of clusterCidrs) {
    for (const s of serviceCidrs) {
      if (overlaps(c, s)) throw new ConfigError('--service-cidrs', `${s.toString()} overlaps the cluster CIDR ${c.toString()}`);
    }
  }
  const subnets = Array.from({ length: input.subnets }, (_, s) => subnetOf(s, families));
  for (const subnet of subnets) {
    for (const fabric of [subnet.ipv4, subnet.ipv6].filter((x): x is string => !!x)) {
      for (const [flag, cidrs] of [['--cluster-cidrs', clusterCidrs], ['--service-cidrs', serviceCidrs]] as const) {
        const hit = cidrs.find((c) => overlaps(c, fabric));
        if (hit) throw new ConfigError(flag, `${hit.toString()} overlaps the sandbox fabric ${fabric}`);
      }
    }
  }
  return {
    stack,
    families,
    clusterCidrs: clusterCidrs.map(String),
    serviceCidrs: serviceCidrs.map(String),
    nodeCidrMaskSizeIPv4: masks.ipv4,
    nodeCidrMaskSizeIPv6: masks.ipv6,
    subnets,
    routers: subnets.map((s) => hostAddress(s, ROUTER_HOST)),
    nodes: hosts('node', input.nodes, NODE_HOST_BASE, subnets),
    externals: hosts('ext', input.externals, EXTERNAL_HOST_BASE, subnets),
  };
}


export interface ClusterConfigInput {
  readonly repoRoot: string;
  readonly stateDir: string;
  readonly controllers: readonly SandboxController[];
  readonly extraFlags: Readonly<Partial<Record<SandboxContainer, readonly string[]>>>;
  readonly api: SandboxApi;
  readonly pids: SandboxPids;
}

/** cluster.json: the plan plus what `up` learnt starting things. */
export function clusterConfig(plan: AddressPlan, input: ClusterConfigInput): SandboxClusterConfig {
  return {
    version: 1,
    repoRoot: input.repoRoot,
    stateDir: input.stateDir,
    stack: plan.stack,
    families: plan.families,
    clusterCidrs: plan.clusterCidrs,
    serviceCidrs: plan.serviceCidrs,
    nodeCidrMaskSizeIPv4: plan.nodeCidrMaskSizeIPv4,
    nodeCidrMaskSizeIPv6: plan.nodeCidrMaskSizeIPv6,
    subnets: plan.subnets,
    nodes: plan.nodes,
    externals: plan.externals,
    controllers: input.controllers,
    extraFlags: input.extraFlags,
    api: input.api,
    pids: input.pids,
  };
}
