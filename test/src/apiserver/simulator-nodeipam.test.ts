// Node pod-CIDR allocation: one subnet per cluster CIDR, in the cluster CIDRs' order,
// with per-family mask sizes; released when the node goes; exhaustion reported.
//
// Test IP plan (nothing is configured on any interface):
//   IPv4 pods 10.244.0.0/16 (/24 per node); IPv6 pods fd00:244::/56 (/64 per node);
//   k0s-like IPv6 pods fd00::/108 (/117 per node); tiny IPv4 192.0.2.0/30 (/31 per node)
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { EVENT, NODE, startApiServerSimulator } from './index.js';
import { startTestSimulator, type TestSimulator } from './testing/helpers.js';

let env: TestSimulator | undefined;

afterEach(async () => {
  await env?.dispose();
  env = undefined;
});

const ROWS = [
  { name: 'IPv4 /24', cidrs: ['10.244.0.0/16'], masks: {}, expect: [['10.244.0.0/24'], ['10.244.1.0/24']] },
  { name: 'IPv6 /64', cidrs: ['fd00:244::/56'], masks: {}, expect: [['fd00:244::/64'], ['fd00:244:0:1::/64']] },
  { name: 'IPv6 /117 (k0s)', cidrs: ['fd00::/108'], masks: { nodeCidrMaskSizeIPv6: 117 }, expect: [['fd00::/117'], ['fd00::800/117']] },
  {
    name: 'dual-stack, IPv4 first',
    cidrs: ['10.244.0.0/16', 'fd00:244::/56'],
    masks: {},
    expect: [['10.244.0.0/24', 'fd00:244::/64'], ['10.244.1.0/24', 'fd00:244:0:1::/64']],
  },
  {
    name: 'dual-stack, IPv6 first, custom masks',
    cidrs: ['fd00:244::/56', '10.244.0.0/16'],
    masks: { nodeCidrMaskSizeIPv4: 26, nodeCidrMaskSizeIPv6: 60 },
    expect: [['fd00:244::/60', '10.244.0.0/26'], ['fd00:244:0:10::/60', '10.244.0.64/26']],
  },
];

type NodeSpec = { podCIDR?: string; podCIDRs?: string[] };
const specOf = (sim: TestSimulator['sim'], name: string) => sim.store.peek(NODE, undefined, name)?.spec as NodeSpec | undefined;

describe('node pod-CIDR allocation', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      env = await startTestSimulator({ clusterCidrs: row.cidrs, ...row.masks });
      const { sim } = env;
      sim.registry.create(NODE, undefined, { metadata: { name: 'node-1' } });
      sim.registry.create(NODE, undefined, { metadata: { name: 'node-2' } });
      await sim.settle();
      expect([specOf(sim, 'node-1')?.podCIDRs, specOf(sim, 'node-2')?.podCIDRs]).toEqual(row.expect);
      expect(specOf(sim, 'node-1')?.podCIDR).toBe(row.expect[0]?.[0]);
      // Released on delete: the next node gets the freed subnets.
      sim.registry.delete(NODE, undefined, 'node-1');
      sim.registry.create(NODE, undefined, { metadata: { name: 'node-3' } });
      await sim.settle();
      expect(specOf(sim, 'node-3')?.podCIDRs).toEqual(row.expect[0]);
    });
  }

  it('keeps pod CIDRs a node comes with, allocates around them, and never changes them', async () => {
    env = await startTestSimulator({ clusterCidrs: ['10.244.0.0/16'] });
    const { sim } = env;
    sim.registry.create(NODE, undefined, { metadata: { name: 'fixed' }, spec: { podCIDRs: ['10.244.0.0/24'] } });
    sim.registry.create(NODE, undefined, { metadata: { name: 'dynamic' } });
    await sim.settle();
    expect(specOf(sim, 'fixed')).toEqual({ podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] });
    expect(specOf(sim, 'dynamic')?.podCIDRs).toEqual(['10.244.1.0/24']);
    const node = sim.registry.get(NODE, undefined, 'fixed');
    node.spec = { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] };
    expect(() => sim.registry.update(NODE, undefined, 'fixed', node, undefined)).toThrow(
      'Node "fixed" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    );
  });

  it('reports exhaustion with a CIDRNotAvailable event and leaves the node without pod CIDRs', async () => {
    env = await startTestSimulator({ clusterCidrs: ['192.0.2.0/30'], nodeCidrMaskSizeIPv4: 31 });
    const { sim } = env;
    for (const name of ['n1', 'n2', 'n3']) sim.registry.create(NODE, undefined, { metadata: { name } });
    await sim.settle();
    expect(['n1', 'n2', 'n3'].map((n) => specOf(sim, n)?.podCIDRs)).toEqual([['192.0.2.0/31'], ['192.0.2.2/31'], undefined]);
    const events = sim.store.list(EVENT).filter((e) => e.reason === 'CIDRNotAvailable');
    expect(events.map((e) => (e.involvedObject as { name: string }).name)).toEqual(['n3']);
  });

  it('refuses mask sizes that do not fit the cluster CIDR', async () => {
    await expect(
      startApiServerSimulator({ serviceCidrs: ['fd01::/108'], clusterCidrs: ['fd00::/108'], listen: [{ host: '127.0.0.1', port: 0 }] }),
    ).rejects.toThrow(new ConfigError('--node-cidr-mask-size-ipv6', 'mask size 64 is smaller than the prefix of cluster CIDR fd00::/108'));
  });
});
