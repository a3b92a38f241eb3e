// The overlap check of `up` against the root namespace's networks, on recorded `ip -j`
// output. Test IP plan: the root uplink 192.0.2.2/24 + fd00::2/64 (defaults via .1/::1),
// a route to 10.96.0.0/12 via the uplink, a local route table with 127/8 and ff00::/8;
// sandbox ranges are the defaults or the overlapping values each row gives.
import { describe, expect, it } from 'vitest';
import { findOverlaps, formatOverlaps, prefixesFromAddresses, prefixesFromRoutes, sandboxRanges } from './overlap.js';
import { planAddresses } from './plan.js';

const ADDR = [
  { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
  { ifname: 'ifb0', addr_info: [] },
  {
    ifname: 'eth0',
    addr_info: [
      { family: 'inet', local: '192.0.2.2', prefixlen: 24 },
      { family: 'inet6', local: 'fd00::2', prefixlen: 64 },
      { family: 'inet6', local: 'fe80::fc:ff:fe00:1', prefixlen: 64 },
    ],
  },
];
const ROUTES_V4 = [
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
  { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel' },
  { dst: '10.96.0.0/12', gateway: '192.0.2.1', dev: 'eth0' },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local' },
  { type: 'broadcast', dst: '192.0.2.255', dev: 'eth0', table: 'local' },
];
const ROUTES_V6 = [
  { dst: 'fd00::/64', dev: 'eth0' },
  { dst: 'default', gateway: 'fd00::1', dev: 'eth0' },
  { type: 'local', dst: 'fd00::2', dev: 'eth0', table: 'local' },
  { type: 'multicast', dst: 'ff00::/8', dev: 'eth0', table: 'local' },
];

const ROOT = [...prefixesFromAddresses(ADDR), ...prefixesFromRoutes(ROUTES_V4), ...prefixesFromRoutes(ROUTES_V6)];

describe('root prefixes', () => {
  it('takes interface networks and route destinations, but not default routes', () => {
    expect(ROOT.map((p) => `${p.cidr.toString()} ${p.source}`)).toEqual([
      '127.0.0.0/8 address 127.0.0.1/8 on lo',
      '::1/128 address ::1/128 on lo',
      '192.0.2.0/24 address 192.0.2.2/24 on eth0',
      'fd00::/64 address fd00::2/64 on eth0',
      'fe80::/64 address fe80::fc:ff:fe00:1/64 on eth0',
      '192.0.2.0/24 route 192.0.2.0/24 (dev eth0)',
      '10.96.0.0/12 route 10.96.0.0/12 (dev eth0)',
      '127.0.0.0/8 route 127.0.0.0/8 (local dev lo table local)',
      '192.0.2.255/32 route 192.0.2.255 (broadcast dev eth0 table local)',
      'fd00::/64 route fd00::/64 (dev eth0)',
      'fd00::2/128 route fd00::2 (local dev eth0 table local)',
      'ff00::/8 route ff00::/8 (multicast dev eth0 table local)',
    ]);
  });

  it('ignores output it does not understand', () => {
    expect(prefixesFromAddresses({ not: 'a list' })).toEqual([]);
    expect(prefixesFromRoutes([{ dst: 'not-an-ip' }, { dev: 'eth0' }, { dst: '0.0.0.0/0' }])).toEqual([]);
  });
});

describe('findOverlaps', () => {
  it.each([
    { name: 'ipv4 defaults vs a route to 10.96.0.0/12', stack: 'ipv4', extra: {}, want: ['10.96.0.0/16 ~ route 10.96.0.0/12 (dev eth0)'] },
    { name: 'ipv6 defaults', stack: 'ipv6', extra: {}, want: [] },
    { name: 'dual with other services', stack: 'dual', extra: { serviceCidrs: ['10.200.0.0/16', 'fd00:10:96::/112'] }, want: [] },
    {
      name: 'ipv6 pods on the uplink prefix',
      stack: 'ipv6',
      extra: { clusterCidrs: ['fd00::/48'] },
      want: ['fd00::/48 ~ address fd00::2/64 on eth0', 'fd00::/48 ~ route fd00::/64 (dev eth0)', 'fd00::/48 ~ route fd00::2 (local dev eth0 table local)'],
    },
    {
      name: 'dual-v6 pods on the uplink /24',
      stack: 'dual-v6',
      extra: { clusterCidrs: ['fd00:10:244::/56', '192.0.2.0/24'], serviceCidrs: ['fd00:10:96::/112', '10.200.0.0/16'], nodeCidrMaskSizeIPv4: 26 },
      want: [
        '192.0.2.0/24 ~ address 192.0.2.2/24 on eth0',
        '192.0.2.0/24 ~ route 192.0.2.0/24 (dev eth0)',
        '192.0.2.0/24 ~ route 192.0.2.255 (broadcast dev eth0 table local)',
      ],
    },
  ] as const)('$name', ({ stack, extra, want }) => {
    const plan = planAddresses({ nodes: 3, subnets: 1, externals: 0, stack, ...extra });
    expect(findOverlaps(sandboxRanges(plan), ROOT).map((o) => `${o.range.cidr} ~ ${o.root.source}`)).toEqual(want);
  });

  it('names the fabric when it is the fabric that collides (no flag moves it)', () => {
    const plan = planAddresses({ nodes: 1, subnets: 1, externals: 0, stack: 'ipv4' });
    const root = prefixesFromRoutes([{ dst: '198.18.0.0/15', dev: 'tun0' }]);
    const text = formatOverlaps(findOverlaps(sandboxRanges(plan), root));
    expect(text).toContain("the sandbox's fabric subnet 0 198.18.0.0/24 overlaps the root namespace's route 198.18.0.0/15 (dev tun0)");
    expect(text).toContain('are fixed');
  });

  it('names every collision of a range on one line', () => {
    const plan = planAddresses({ nodes: 1, subnets: 1, externals: 0, stack: 'ipv6', clusterCidrs: ['fd00::/48'] });
    expect(formatOverlaps(findOverlaps(sandboxRanges(plan), ROOT)).split('\n')).toEqual([
      "refusing to start: address ranges overlap this machine's own networks",
      "  the sandbox's pod range fd00::/48 overlaps the root namespace's address fd00::2/64 on eth0, route fd00::/64 (dev eth0), route fd00::2 (local dev eth0 table local); choose another range with --cluster-cidrs",
    ]);
  });

  it('tells which flag moves a pod or service range', () => {
    const plan = planAddresses({ nodes: 1, subnets: 1, externals: 0, stack: 'ipv4' });
    expect(formatOverlaps(findOverlaps(sandboxRanges(plan), ROOT))).toBe(
      "refusing to start: address ranges overlap this machine's own networks\n" +
        "  the sandbox's service range 10.96.0.0/16 overlaps the root namespace's route 10.96.0.0/12 (dev eth0); choose another range with --service-cidrs",
    );
  });
});
