// The fabric's `ip -batch` input, whole, per stack; then the same batches applied for
// real inside throwaway namespaces (kr-test-*, never krsbx-*, so a running sandbox is
// not disturbed) to show the kernel takes them and hosts reach the router.
// Test IP plan: fabric 198.18.s.0/24 + fd42:198:18:s::/64, router .1/::1, node i .(10+i),
// external j .(200+j).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ipBatch, runTool } from './exec.js';
import { fabricBatch, hostBatch } from './fabric.js';
import { planAddresses, type AddressPlan } from './plan.js';

describe('fabricBatch / hostBatch', () => {
  it.each([
    {
      stack: 'ipv4',
      fabric: ['link set lo up', 'link add br0 type bridge', 'link set br0 up', 'addr add 198.18.0.1/24 dev br0', 'link add n1 type veth peer name eth0 netns krsbx-node1', 'link set n1 master br0', 'link set n1 up'],
      host: ['link set lo up', 'link set eth0 up', 'addr add 198.18.0.11/24 dev eth0', 'route add 0.0.0.0/0 via 198.18.0.1 dev eth0'],
    },
    {
      stack: 'ipv6',
      fabric: ['link set lo up', 'link add br0 type bridge', 'link set br0 up', 'addr add fd42:198:18::1/64 dev br0 nodad', 'link add n1 type veth peer name eth0 netns krsbx-node1', 'link set n1 master br0', 'link set n1 up'],
      host: ['link set lo up', 'link set eth0 up', 'addr add fd42:198:18::11/64 dev eth0 nodad', 'route add ::/0 via fd42:198:18::1 dev eth0'],
    },
    {
      stack: 'dual-v6',
      fabric: [
        'link set lo up',
        'link add br0 type bridge',
        'link set br0 up',
        'addr add 198.18.0.1/24 dev br0',
        'addr add fd42:198:18::1/64 dev br0 nodad',
        'link add n1 type veth peer name eth0 netns krsbx-node1',
        'link set n1 master br0',
        'link set n1 up',
      ],
      host: [
        'link set lo up',
        'link set eth0 up',
        'addr add 198.18.0.11/24 dev eth0',
        'addr add fd42:198:18::11/64 dev eth0 nodad',
        'route add 0.0.0.0/0 via 198.18.0.1 dev eth0',
        'route add ::/0 via fd42:198:18::1 dev eth0',
      ],
    },
  ] as const)('$stack, one node', ({ stack, fabric, host }) => {
    const plan = planAddresses({ nodes: 1, subnets: 1, externals: 0, stack });
    expect(fabricBatch(plan)).toEqual(fabric);
    expect(hostBatch(plan, plan.nodes[0]!)).toEqual(host);
  });

  it('puts each host on the bridge of its subnet', () => {
    const plan = planAddresses({ nodes: 2, subnets: 2, externals: 1, stack: 'ipv4' });
    expect(fabricBatch(plan).filter((l) => l.includes('master'))).toEqual(['link set n1 master br0', 'link set n2 master br1', 'link set x1 master br0']);
    expect(hostBatch(plan, plan.nodes[1]!)).toContain('route add 0.0.0.0/0 via 198.18.1.1 dev eth0');
  });
});

describe('the batches in the kernel', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const ns of made.splice(0)) await runTool(['ip', 'netns', 'delete', ns]).catch(() => undefined);
  });

  /** The plan with its namespace names swapped for throwaway ones. */
  function throwaway(plan: AddressPlan): { plan: AddressPlan; fabric: string } {
    const id = randomBytes(3).toString('hex');
    const rename = (h: AddressPlan['nodes'][number]) => ({ ...h, netns: `kr-test-${id}-${h.name}` });
    return { plan: { ...plan, nodes: plan.nodes.map(rename), externals: plan.externals.map(rename) }, fabric: `kr-test-${id}-fab` };
  }

  it.each(['ipv4', 'ipv6', 'dual'] as const)('%s: hosts on two subnets get addresses and default routes', async (stack) => {
    const { plan, fabric } = throwaway(planAddresses({ nodes: 2, subnets: 2, externals: 0, stack }));
    for (const ns of [fabric, ...plan.nodes.map((n) => n.netns)]) {
      await runTool(['ip', 'netns', 'add', ns]);
      made.push(ns);
    }
    await ipBatch(fabric, fabricBatch(plan));
    for (const node of plan.nodes) await ipBatch(node.netns, hostBatch(plan, node));

    const node2 = plan.nodes[1]!;
    const addrs = JSON.parse((await runTool(['ip', '-n', node2.netns, '-j', 'addr', 'show', 'dev', 'eth0'])).stdout) as Array<{ addr_info: Array<{ local: string; scope: string }> }>;
    const global = addrs[0]!.addr_info.filter((a) => a.scope === 'global').map((a) => a.local);
    expect(global).toEqual([node2.addresses.ipv4, node2.addresses.ipv6].filter(Boolean));
    for (const family of plan.families) {
      const routes = JSON.parse((await runTool(['ip', '-n', node2.netns, '-j', family === 'ipv4' ? '-4' : '-6', 'route', 'show', 'default'])).stdout) as Array<{ gateway: string }>;
      expect(routes.map((r) => r.gateway)).toEqual([plan.routers[1]![family]]);
    }
    const ports = JSON.parse((await runTool(['ip', '-n', fabric, '-j', 'link', 'show', 'master', 'br1'])).stdout) as Array<{ ifname: string }>;
    expect(ports.map((p) => p.ifname)).toEqual(['n2']);
  });
});
