import { describe, expect, it } from 'vitest';
import { AddressError } from '@kr/errors';
import { parseCIDR, parseIP, type Family } from '@kr/ip';
import type { KernelRoute, ObservedRoute } from '../dataplane/kernel/types.js';
import { planKernelRoutes } from './kernel-routes.js';

// Test IP plan:
//   this node         198.18.1.10        2001:db8:1::10
//   node B (same L2)  198.18.1.11        2001:db8:1::11     pods 10.244.2.0/24  fd00:10:244:2::/64
//   node C (tunnel)   tun-c4 / tun-c6                         pods 10.244.3.0/24  fd00:10:244:3::/64
//   foreign routes    10.96.0.0/12, fd00:96::/108 (proto static)

const plan = {
  ipv4: { node: '198.18.1.10', b: '198.18.1.11', bPods: '10.244.2.0/24', cPods: '10.244.3.0/24', tun: 'tun-c4', gw: '169.254.0.1', foreign: '10.96.0.0/12' },
  ipv6: { node: '2001:db8:1::10', b: '2001:db8:1::11', bPods: 'fd00:10:244:2::/64', cPods: 'fd00:10:244:3::/64', tun: 'tun-c6', gw: 'fe80::1', foreign: 'fd00:96::/108' },
};
const metric = (f: Family) => (f === 'ipv4' ? 0 : 1024);

function direct(f: Family): KernelRoute {
  return { prefix: parseCIDR(plan[f].bPods), family: f, via: parseIP(plan[f].b) };
}
function tunnelled(f: Family): KernelRoute {
  return { prefix: parseCIDR(plan[f].cPods), family: f, via: parseIP(plan[f].gw), dev: plan[f].tun, onlink: f === 'ipv4', source: parseIP(plan[f].node) };
}
function observed(route: KernelRoute, extra: Partial<ObservedRoute> = {}): ObservedRoute {
  return {
    prefix: route.prefix,
    family: route.family,
    ...(route.via ? { via: route.via } : {}),
    dev: route.dev ?? 'eth0',
    onlink: Boolean(route.onlink),
    ...(route.source ? { source: route.source } : {}),
    metric: metric(route.family),
    multipath: false,
    ...extra,
  };
}
function addLines(f: Family): string[] {
  const p = plan[f];
  return [
    `route replace ${p.bPods} via ${p.b} proto 17`,
    `route replace ${p.cPods} via ${p.gw} dev ${p.tun}${f === 'ipv4' ? ' onlink' : ''} src ${p.node} proto 17`,
  ];
}

const stacks: { name: string; families: Family[] }[] = [
  { name: 'IPv4', families: ['ipv4'] },
  { name: 'IPv6', families: ['ipv6'] },
  { name: 'dual-stack', families: ['ipv4', 'ipv6'] },
];

describe('planKernelRoutes', () => {
  describe.each(stacks)('$name', ({ families }) => {
    const desired = families.flatMap((f) => [direct(f), tunnelled(f)]);

    it('adds every route into an empty table, after asking for a foreign check', () => {
      const first = planKernelRoutes(desired, []);
      expect(first.needsForeignCheck).toBe(true);
      const second = planKernelRoutes(desired, [], []);
      expect(second.needsForeignCheck).toBe(false);
      expect(second.lines).toEqual(families.flatMap(addLines));
      expect(second.added).toHaveLength(desired.length);
    });

    it('does nothing when in sync, and needs no foreign listing', () => {
      const result = planKernelRoutes(desired, desired.map((r) => observed(r)));
      expect(result).toMatchObject({ lines: [], unchanged: desired.length, needsForeignCheck: false, added: [], updated: [], removed: [] });
    });

    it('replaces a route of ours that differs, and deletes the stale and the duplicate ones', () => {
      const own = families.flatMap((f) => [
        observed(direct(f), { via: parseIP(f === 'ipv4' ? '198.18.1.99' : '2001:db8:1::99') }),
        observed(tunnelled(f)),
        observed(tunnelled(f), { metric: 5 }),
        observed({ prefix: parseCIDR(f === 'ipv4' ? '10.244.9.0/24' : 'fd00:10:244:9::/64'), family: f, via: parseIP(plan[f].b) }),
      ]);
      const result = planKernelRoutes(desired, own);
      expect(result.needsForeignCheck).toBe(false);
      expect(result.lines).toEqual([
        ...families.flatMap((f) => [
          `route del ${plan[f].cPods} proto 17 metric 5 via ${plan[f].gw} dev ${plan[f].tun} table main`,
          `route del ${f === 'ipv4' ? '10.244.9.0/24' : 'fd00:10:244:9::/64'} proto 17 metric ${metric(f)} via ${plan[f].b} dev eth0 table main`,
        ]),
        ...families.map((f) => `route replace ${plan[f].bPods} via ${plan[f].b} proto 17`),
      ]);
      expect(result.updated.map(String)).toHaveLength(families.length);
      expect(result.removed).toHaveLength(2 * families.length);
    });

    it('with keepUnwanted (RIB warm-up) keeps routes at undesired prefixes and still converges the desired ones', () => {
      const stale = families.map((f) => observed({ prefix: parseCIDR(f === 'ipv4' ? '10.244.9.0/24' : 'fd00:10:244:9::/64'), family: f, via: parseIP(plan[f].b) }));
      const own = [...families.map((f) => observed(tunnelled(f))), ...stale];
      const result = planKernelRoutes(desired, own, [], { keepUnwanted: true });
      expect(result.removed).toEqual([]);
      expect(result.kept).toEqual(stale);
      expect(result.lines).toEqual(families.map((f) => addLines(f)[0]));
    });

    it('leaves a prefix held by a foreign route alone and reports the conflict', () => {
      const held = families.map((f) => ({ ...observed(direct(f), { protocol: '4' }) }));
      const result = planKernelRoutes(desired, [], held);
      expect(result.conflicts.map((c) => c.route.prefix.toString())).toEqual(families.map((f) => plan[f].bPods));
      expect(result.lines).toEqual(families.map((f) => addLines(f)[1]));
    });

    it('ignores foreign routes on other prefixes or at other metrics', () => {
      const foreign = families.flatMap((f) => [
        observed({ prefix: parseCIDR(plan[f].foreign), family: f, via: parseIP(plan[f].b) }, { protocol: '4' }),
        observed(direct(f), { protocol: '4', metric: 200 }),
      ]);
      expect(planKernelRoutes(desired, [], foreign)).toMatchObject({ conflicts: [], lines: families.flatMap(addLines) });
    });

    it('deletes multipath and typed routes of ours by prefix, type and metric', () => {
      const own = families.flatMap((f) => [
        observed(direct(f), { multipath: true, metric: 7 }),
        { ...observed(tunnelled(f)), type: 'unreachable', dev: undefined, via: undefined, source: undefined, onlink: false },
      ]);
      const result = planKernelRoutes(desired, own, []);
      expect(result.lines).toEqual([
        ...families.flatMap((f) => [
          `route del ${plan[f].bPods} proto 17 metric 7 table main`,
          // Not deleted: replaced in place, `replace` overwrites a route of any type at the same metric.
        ]),
        ...families.flatMap(addLines),
      ]);
      expect(result.updated).toHaveLength(families.length);
      expect(result.added).toHaveLength(families.length);
    });
  });

  it('deletes an IPv6 onlink route before moving it to another device', () => {
    const want: KernelRoute = { prefix: parseCIDR('fd00:10:244:3::/64'), family: 'ipv6', via: parseIP('fd00:10:244:3::1'), dev: 'tun-new', onlink: true };
    const have = observed({ ...want, dev: 'tun-old' });
    expect(planKernelRoutes([want], [have]).lines).toEqual([
      'route del fd00:10:244:3::/64 proto 17 metric 1024 via fd00:10:244:3::1 dev tun-old table main',
      'route replace fd00:10:244:3::/64 via fd00:10:244:3::1 dev tun-new onlink proto 17',
    ]);
  });

  it.each([
    { name: 'family mismatch', route: { prefix: parseCIDR('10.0.0.0/8'), family: 'ipv6' as const, dev: 'x' }, reason: /does not match/ },
    { name: 'gateway of the other family', route: { prefix: parseCIDR('10.0.0.0/8'), family: 'ipv4' as const, via: parseIP('2001:db8::1') }, reason: /not ipv4/ },
    { name: 'neither gateway nor device', route: { prefix: parseCIDR('fd00::/64'), family: 'ipv6' as const }, reason: /gateway or a device/ },
    { name: 'device name with a space', route: { prefix: parseCIDR('fd00::/64'), family: 'ipv6' as const, dev: 'a b' }, reason: /invalid device/ },
    { name: 'onlink without gateway', route: { prefix: parseCIDR('10.0.0.0/8'), family: 'ipv4' as const, dev: 'x', onlink: true }, reason: /onlink/ },
  ])('rejects a route: $name', ({ route, reason }) => {
    expect(() => planKernelRoutes([route], [])).toThrow(AddressError);
    expect(() => planKernelRoutes([route], [])).toThrow(reason);
  });

  it('rejects two desired routes for one prefix', () => {
    expect(() => planKernelRoutes([direct('ipv4'), tunnelled('ipv4'), { ...direct('ipv4') }], [])).toThrow(/more than one/);
  });
});
