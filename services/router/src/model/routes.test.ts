// Test IP plan: see testing/fixtures.ts. Self = node a (198.18.0.11 / fd42:198:18::11) on
// subnet A (198.18.0.0/24, fd42:198:18::/64, dev eth0); node b on subnet A, node c on
// subnet B (198.18.1.0/24, fd42:198:19::/64, reached through a router). External router
// 198.18.0.1 / fd42:198:18::1 on subnet A announces 192.0.2.0/24 and 2001:db8:ff::/48; a
// far router 203.0.113.1 / 2001:db8:113::1 (not connected) announces 198.51.100.0/24 and
// 2001:db8:51::/64.
import { describe, expect, it } from 'vitest';
import { parseCIDR, parseIP, type EnabledFamilies } from '@kr/ip';
import type { ObservedPath } from './bgp-types.js';
import { computeRoutes, type ConnectedSubnet, type RoutesResult } from './routes.js';
import { OVERLAY_OVERHEAD, overlayOverhead, tunnelName, tunnelVni, type OverlaySettings } from './tunnels.js';
import { DUAL, STACKS, V4, V6, planNode, type Stack } from './testing/fixtures.js';

function path(prefix: string, nextHop: string, extra: Partial<ObservedPath> = {}): ObservedPath {
  return { prefix: parseCIDR(prefix), nextHop: parseIP(nextHop), peer: parseIP(nextHop), asPath: [], communities: [], withdrawal: false, best: true, local: false, ...extra };
}

const PATHS: ObservedPath[] = [
  path('10.244.2.0/24', '198.18.0.12'),
  path('fd00:10:244:2::/64', 'fd42:198:18::12'),
  path('10.244.3.0/24', '198.18.1.13'),
  path('fd00:10:244:3::/64', 'fd42:198:19::13'),
  path('192.0.2.0/24', '198.18.0.1', { asPath: [65000] }),
  path('2001:db8:ff::/48', 'fd42:198:18::1', { asPath: [65000] }),
  path('198.51.100.0/24', '203.0.113.1', { asPath: [65000] }),
  path('2001:db8:51::/64', '2001:db8:113::1', { asPath: [65000] }),
  // ignored: not best, withdrawn, our own
  path('10.244.9.0/24', '198.18.0.12', { best: false }),
  path('fd00:10:244:9::/64', 'fd42:198:18::12', { withdrawal: true }),
  path('10.244.1.0/24', '198.18.0.11', { local: true }),
];

const CONNECTED: ConnectedSubnet[] = [
  { cidr: parseCIDR('198.18.0.0/24'), dev: 'eth0' },
  { cidr: parseCIDR('fd42:198:18::/64'), dev: 'eth0' },
];

const SUBNET_IPIP: OverlaySettings = { enabled: true, type: 'subnet', encap: 'ipip', port: 5555 };

function run(stack: Stack, families: EnabledFamilies, overlay: OverlaySettings, paths = PATHS, excluded: string[] = []): RoutesResult {
  const nodes = (['a', 'b', 'c'] as const).map((n) => planNode(n, stack));
  return computeRoutes({ paths, self: nodes[0]!, nodes, connected: CONNECTED, config: { overlay, excludedCidrs: excluded.map((c) => parseCIDR(c)) }, families });
}

function brief(result: RoutesResult): string[] {
  return result.routes.map((r) => `${r.prefix.toString()} ${r.path} via ${r.via.address}${r.dev ? ` dev ${r.dev}` : ''}${r.src ? ` src ${r.src.address}` : ''}${r.node ? ` (${r.node})` : ''}`);
}

function ofStack(lines: string[], families: EnabledFamilies): string[] {
  return lines.filter((l) => (l.split(' ')[0]!.includes(':') ? families.ipv6 : families.ipv4));
}

const T_C4 = 'tun-66ff8b7f386';
const T_C6 = 'tun-1cc47d07207';
const T_B4 = 'tun-54b9fe9b4e6';
const T_B6 = 'tun-a9d2105569b';

describe('computeRoutes', () => {
  const rows: { name: string; overlay: OverlaySettings; want: string[] }[] = [
    {
      name: 'overlay subnet: direct in the subnet, tunnel to the node beyond it, external routers on-link direct',
      overlay: SUBNET_IPIP,
      want: [
        '10.244.2.0/24 direct via 198.18.0.12 dev eth0 (b)',
        `10.244.3.0/24 tunnel via 198.18.1.13 dev ${T_C4} src 198.18.0.11 (c)`,
        '192.0.2.0/24 direct via 198.18.0.1 dev eth0',
        '2001:db8:ff::/48 direct via fd42:198:18::1 dev eth0',
        'fd00:10:244:2::/64 direct via fd42:198:18::12 dev eth0 (b)',
        `fd00:10:244:3::/64 tunnel via fd42:198:19::13 dev ${T_C6} src fd42:198:18::11 (c)`,
      ],
    },
    {
      name: 'overlay full: every node over a tunnel, never an external router',
      overlay: { enabled: true, type: 'full', encap: 'vxlan', port: 4789 },
      want: [
        `10.244.2.0/24 tunnel via 198.18.0.12 dev ${T_B4} src 198.18.0.11 (b)`,
        `10.244.3.0/24 tunnel via 198.18.1.13 dev ${T_C4} src 198.18.0.11 (c)`,
        '192.0.2.0/24 direct via 198.18.0.1 dev eth0',
        '2001:db8:ff::/48 direct via fd42:198:18::1 dev eth0',
        `fd00:10:244:2::/64 tunnel via fd42:198:18::12 dev ${T_B6} src fd42:198:18::11 (b)`,
        `fd00:10:244:3::/64 tunnel via fd42:198:19::13 dev ${T_C6} src fd42:198:18::11 (c)`,
      ],
    },
    {
      name: 'overlay disabled: only on-link next hops get routes',
      overlay: { ...SUBNET_IPIP, enabled: false },
      want: ['10.244.2.0/24 direct via 198.18.0.12 dev eth0 (b)', '192.0.2.0/24 direct via 198.18.0.1 dev eth0', '2001:db8:ff::/48 direct via fd42:198:18::1 dev eth0', 'fd00:10:244:2::/64 direct via fd42:198:18::12 dev eth0 (b)'],
    },
  ];
  for (const { stack, families } of STACKS) {
    it.each(rows)(`${stack}: $name`, ({ overlay, want }) => {
      const result = run(stack, families, overlay);
      expect(brief(result)).toEqual(ofStack(want, families));
      // every tunnel is of its remote's family, with both ends of that family
      for (const t of result.tunnels) {
        expect([t.local.family, t.remote.family]).toEqual([t.family, t.family]);
        expect(t.name).toBe(tunnelName(t.remote));
        expect(t.encap).toBe(overlay.encap);
        if (overlay.encap === 'vxlan') expect(t).toMatchObject({ port: 4789, vni: tunnelVni(t.local, t.remote) });
        else expect(t.port).toBeUndefined();
      }
    });
  }

  it('says why paths are not installed', () => {
    const extra = [
      path('fd00:10:244:1::/64', 'fd42:198:18::12'), // our own pod CIDR announced back
      path('10.244.4.0/25', '198.18.0.12'), // inside an excluded CIDR
      path('10.244.5.0/24', 'fd42:198:18::12'), // next hop of the other family
      path('10.244.6.0/24', '198.18.0.11'), // next hop is this node
      path('10.244.2.0/24', '198.18.0.99'), // a second best path for a prefix (the lower next hop wins)
    ];
    const result = run('dual', DUAL, SUBNET_IPIP, [...PATHS, ...extra], ['10.244.4.0/24']);
    expect(result.skipped.map((s) => `${s.prefix.toString()} via ${s.nextHop.address}: ${s.reason}`)).toEqual([
      '10.244.2.0/24 via 198.18.0.99: another best path for this prefix is installed',
      '10.244.4.0/25 via 198.18.0.12: inside --excluded-cidrs 10.244.4.0/24',
      '10.244.5.0/24 via fd42:198:18::12: next hop fd42:198:18::12 is not of the prefix\'s family',
      '10.244.6.0/24 via 198.18.0.11: next hop is this node',
      '198.51.100.0/24 via 203.0.113.1: next hop is neither on a connected subnet nor a cluster node; left to the network',
      '2001:db8:51::/64 via 2001:db8:113::1: next hop is neither on a connected subnet nor a cluster node; left to the network',
      'fd00:10:244:1::/64 via fd42:198:18::12: overlaps this node\'s pod CIDR fd00:10:244:1::/64',
    ]);
  });

  it.each([
    { stack: 'ipv4' as Stack, families: V4, reason: '2001:db8:ff::/48: ipv6 is not enabled' },
    { stack: 'ipv6' as Stack, families: V6, reason: '192.0.2.0/24: ipv4 is not enabled' },
  ])('$stack: paths of a disabled family are skipped with the reason', ({ stack, families, reason }) => {
    const result = run(stack, families, SUBNET_IPIP);
    expect(result.skipped.map((s) => `${s.prefix.toString()}: ${s.reason}`)).toContain(reason);
  });

  it('without overlay: a node beyond the subnet is left to the network, and says so', () => {
    const result = run('ipv4', V4, { ...SUBNET_IPIP, enabled: false });
    expect(result.skipped.find((s) => s.prefix.toString() === '10.244.3.0/24')?.reason).toBe('next hop is not on a connected subnet and --enable-overlay=false; left to the network');
    expect(result.tunnels).toEqual([]);
  });
});

describe('tunnels', () => {
  it.each([
    { ip: '198.18.1.13', name: T_C4 },
    { ip: 'fd42:198:19::13', name: T_C6 },
    { ip: 'FD42:198:19:0::13', name: T_C6 },
  ])('tunnelName($ip) is stable and fits IFNAMSIZ', ({ ip, name }) => {
    expect(tunnelName(parseIP(ip))).toBe(name);
    expect(name.length).toBeLessThanOrEqual(15);
  });

  it('does not collide where kube-router\'s stripped-address hash does', () => {
    // kube-router hashes "1234" for both
    expect(tunnelName(parseIP('1.2.3.4'))).not.toBe(tunnelName(parseIP('::1234')));
    expect(tunnelName(parseIP('21.3.0.4'))).not.toBe(tunnelName(parseIP('2.13.0.4')));
  });

  it.each([
    { a: '198.18.0.11', b: '198.18.1.13', vni: 2770845 },
    { a: 'fd42:198:18::11', b: 'fd42:198:19::13', vni: 5178570 },
  ])('tunnelVni($a, $b) is symmetric and in range', ({ a, b, vni }) => {
    expect(tunnelVni(parseIP(a), parseIP(b))).toBe(vni);
    expect(tunnelVni(parseIP(b), parseIP(a))).toBe(vni);
  });

  it.each([
    { encap: 'ipip' as const, ipv4: 20, ipv6: 48 },
    { encap: 'fou' as const, ipv4: 32, ipv6: 60 },
    { encap: 'vxlan' as const, ipv4: 50, ipv6: 70 },
  ])('overlay overhead of $encap', ({ encap, ipv4, ipv6 }) => {
    expect(OVERLAY_OVERHEAD[encap]).toEqual({ ipv4, ipv6 });
    expect(overlayOverhead({ enabled: true, encap })).toEqual({ encap, ipv4, ipv6 });
    expect(overlayOverhead({ enabled: false, encap })).toBeUndefined();
  });
});
