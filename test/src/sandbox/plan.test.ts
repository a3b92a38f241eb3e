// The address plan: stacks and family order, CIDR defaults and flags, host addresses.
// Test IP plan: fabric 198.18.s.0/24 + fd42:198:18:s::/64; defaults pods 10.244.0.0/16 +
// fd00:10:244::/56, services 10.96.0.0/16 + fd00:10:96::/112; k0s-like IPv6 pods
// fd00::/108, services fd01::/108, node mask /117.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { STACK_FAMILIES, findNode, validateClusterConfig } from './node/index.js';
import { clusterConfig, planAddresses, type PlanInput } from './plan.js';

const base: PlanInput = { nodes: 3, subnets: 1, externals: 0 };

describe('planAddresses', () => {
  it.each([
    { name: 'ipv4', input: { stack: 'ipv4' }, stack: 'ipv4', families: ['ipv4'], cluster: ['10.244.0.0/16'], service: ['10.96.0.0/16'] },
    { name: 'ipv6', input: { stack: 'ipv6' }, stack: 'ipv6', families: ['ipv6'], cluster: ['fd00:10:244::/56'], service: ['fd00:10:96::/112'] },
    { name: 'dual (default)', input: {}, stack: 'dual', families: ['ipv4', 'ipv6'], cluster: ['10.244.0.0/16', 'fd00:10:244::/56'], service: ['10.96.0.0/16', 'fd00:10:96::/112'] },
    { name: 'dual-v6', input: { stack: 'dual-v6' }, stack: 'dual-v6', families: ['ipv6', 'ipv4'], cluster: ['fd00:10:244::/56', '10.244.0.0/16'], service: ['fd00:10:96::/112', '10.96.0.0/16'] },
    {
      name: 'ipv6 from the CIDR flags (k0s)',
      input: { clusterCidrs: ['fd00::/108'], serviceCidrs: ['fd01::/108'], nodeCidrMaskSizeIPv6: 117 },
      stack: 'ipv6',
      families: ['ipv6'],
      cluster: ['fd00::/108'],
      service: ['fd01::/108'],
    },
    {
      name: 'dual-v6 from the service CIDRs, default pod CIDRs follow',
      input: { serviceCidrs: ['fd01::/108', '10.100.0.0/16'] },
      stack: 'dual-v6',
      families: ['ipv6', 'ipv4'],
      cluster: ['fd00:10:244::/56', '10.244.0.0/16'],
      service: ['fd01::/108', '10.100.0.0/16'],
    },
  ] as const)('$name', ({ input, stack, families, cluster, service }) => {
    const plan = planAddresses({ ...base, ...input });
    expect(plan.stack).toBe(stack);
    expect(plan.families).toEqual(families);
    expect(plan.clusterCidrs).toEqual(cluster);
    expect(plan.serviceCidrs).toEqual(service);
  });

  it.each([
    {
      stack: 'ipv4',
      subnets: [{ index: 0, ipv4: '198.18.0.0/24' }],
      node1: { name: 'node1', netns: 'krsbx-node1', subnet: 0, addresses: { ipv4: '198.18.0.11' } },
      router: { ipv4: '198.18.0.1' },
    },
    {
      stack: 'ipv6',
      subnets: [{ index: 0, ipv6: 'fd42:198:18::/64' }],
      node1: { name: 'node1', netns: 'krsbx-node1', subnet: 0, addresses: { ipv6: 'fd42:198:18::11' } },
      router: { ipv6: 'fd42:198:18::1' },
    },
    {
      stack: 'dual',
      subnets: [{ index: 0, ipv4: '198.18.0.0/24', ipv6: 'fd42:198:18::/64' }],
      node1: { name: 'node1', netns: 'krsbx-node1', subnet: 0, addresses: { ipv4: '198.18.0.11', ipv6: 'fd42:198:18::11' } },
      router: { ipv4: '198.18.0.1', ipv6: 'fd42:198:18::1' },
    },
  ] as const)('lays out hosts on the fabric ($stack)', ({ stack, subnets, node1, router }) => {
    const plan = planAddresses({ ...base, stack, nodes: 1 });
    expect(plan.subnets).toEqual(subnets);
    expect(plan.nodes).toEqual([node1]);
    expect(plan.routers).toEqual([router]);
  });

  it('spreads nodes and externals over the subnets round-robin', () => {
    const plan = planAddresses({ nodes: 3, subnets: 2, externals: 2, stack: 'dual' });
    expect(plan.nodes.map((n) => [n.name, n.subnet, n.addresses.ipv4, n.addresses.ipv6])).toEqual([
      ['node1', 0, '198.18.0.11', 'fd42:198:18::11'],
      ['node2', 1, '198.18.1.12', 'fd42:198:18:1::12'],
      ['node3', 0, '198.18.0.13', 'fd42:198:18::13'],
    ]);
    expect(plan.externals.map((e) => [e.name, e.netns, e.subnet, e.addresses.ipv4, e.addresses.ipv6])).toEqual([
      ['ext1', 'krsbx-ext1', 0, '198.18.0.201', 'fd42:198:18::201'],
      ['ext2', 'krsbx-ext2', 1, '198.18.1.202', 'fd42:198:18:1::202'],
    ]);
    expect(plan.routers).toEqual([
      { ipv4: '198.18.0.1', ipv6: 'fd42:198:18::1' },
      { ipv4: '198.18.1.1', ipv6: 'fd42:198:18:1::1' },
    ]);
  });

  it('keeps the subnet number in the IPv6 prefix past 9 (hex group)', () => {
    const plan = planAddresses({ nodes: 11, subnets: 11, externals: 0, stack: 'ipv6' });
    expect(plan.subnets[10]).toEqual({ index: 10, ipv6: 'fd42:198:18:a::/64' });
    expect(plan.nodes[10]!.addresses.ipv6).toBe('fd42:198:18:a::21');
  });

  it('defaults the node masks to /24 and /64 and takes the flags', () => {
    expect(planAddresses(base)).toMatchObject({ nodeCidrMaskSizeIPv4: 24, nodeCidrMaskSizeIPv6: 64 });
    expect(planAddresses({ ...base, nodeCidrMaskSizeIPv4: 26, nodeCidrMaskSizeIPv6: 72 })).toMatchObject({ nodeCidrMaskSizeIPv4: 26, nodeCidrMaskSizeIPv6: 72 });
  });

  it.each([
    { input: { stack: 'dual', clusterCidrs: ['fd00::/56', '10.1.0.0/16'] }, why: /--cluster-cidrs: fd00::\/56,10.1.0.0\/16 is IPv6 then IPv4, but --stack dual needs IPv4 then IPv6/ },
    { input: { stack: 'ipv4', serviceCidrs: ['fd01::/112'] }, why: /--service-cidrs: .* is IPv6, but --stack ipv4 needs IPv4/ },
    { input: { clusterCidrs: ['10.1.0.0/16'], serviceCidrs: ['fd01::/112'] }, why: /--service-cidrs: fd01::\/112 is IPv6, but --cluster-cidrs \(IPv4\) needs IPv4/ },
    { input: { clusterCidrs: ['10.1.0.0/16', '10.2.0.0/16'] }, why: /different families/ },
    { input: { clusterCidrs: ['10.1.0.1/16'] }, why: /"10.1.0.1\/16" is not a CIDR/ },
    { input: { clusterCidrs: [] }, why: /expected one or two CIDRs, got 0/ },
    { input: { stack: 'ipv4', nodeCidrMaskSizeIPv4: 8 }, why: /--node-cidr-mask-size-ipv4: \/8 is shorter than the cluster CIDR 10.244.0.0\/16/ },
    { input: { stack: 'ipv4', nodeCidrMaskSizeIPv4: 31 }, why: /leaves no room for pods/ },
    { input: { stack: 'ipv6', nodeCidrMaskSizeIPv6: 96 }, why: /more than 65536 node CIDRs/ },
    { input: { stack: 'ipv6', clusterCidrs: ['fd00::/120'], nodeCidrMaskSizeIPv6: 121, nodes: 3 }, why: /room for 2 node CIDRs of \/121, not 3/ },
    { input: { stack: 'ipv4', serviceCidrs: ['10.0.0.0/8'] }, why: /--service-cidrs: 10.0.0.0\/8 is too large/ },
    { input: { stack: 'ipv6', serviceCidrs: ['fd01::/64'] }, why: /too large .*\/108/ },
    { input: { stack: 'ipv4', serviceCidrs: ['10.244.0.0/20'] }, why: /overlaps the cluster CIDR 10.244.0.0\/16/ },
    { input: { stack: 'ipv4', clusterCidrs: ['198.18.0.0/16'] }, why: /--cluster-cidrs: 198.18.0.0\/16 overlaps the sandbox fabric 198.18.0.0\/24/ },
    { input: { stack: 'ipv6', serviceCidrs: ['fd42:198:18::/112'] }, why: /overlaps the sandbox fabric fd42:198:18::\/64/ },
  ] as const)('refuses $input', ({ input, why }) => {
    expect(() => planAddresses({ ...base, ...input })).toThrow(ConfigError);
    expect(() => planAddresses({ ...base, ...input })).toThrow(why);
  });
});

describe('clusterConfig', () => {
  it.each(['ipv4', 'ipv6', 'dual', 'dual-v6'] as const)('%s: is what the node agent accepts', (stack) => {
    const plan = planAddresses({ nodes: 3, subnets: 2, externals: 1, stack });
    const config = clusterConfig(plan, {
      repoRoot: '/repo',
      stateDir: '/repo/.sandbox',
      controllers: ['cni', 'firewall'],
      extraFlags: { cni: ['--auto-mtu=false'] },
      api: { url: 'http://127.0.0.1:40000', socket: '/repo/.sandbox/apiserver.sock', kubeconfig: '/repo/.sandbox/kubeconfig' },
      pids: { apiserver: 42 },
    });
    expect(validateClusterConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    expect(config.families).toEqual(STACK_FAMILIES[stack]);
    expect(findNode(config, 'node2').subnet).toBe(1);
  });
});
