import { describe, expect, it } from 'vitest';
import type { IpNeighbour, IpRoute } from '@kr/dataplane';
import { parseRouteListing } from './route-listing.js';
import { parseFouPorts, parseTunnelLinks, parseTunnelNeighbours } from './tunnel-links.js';
import { FOREIGN, FOU4, FOU6, IPIP4, IPIP6, VXLAN4, VXLAN6 } from './testing/link-fixtures.js';

// Test IP plan: this node 198.18.1.10 / 2001:db8:1::10, remote 198.18.2.10 / 2001:db8:2::10,
// pod CIDRs 10.244.x.0/24 / fd00:10:244:x::/64. Route listings below were captured from
// `ip -j route show table main proto 17` (iproute2 6.1) inside a test namespace.

describe('parseTunnelLinks', () => {
  it.each([
    {
      name: 'vxlan over IPv4',
      link: VXLAN4,
      want: { encap: 'vxlan', family: 'ipv4', local: '198.18.1.10', remote: '198.18.2.10', port: 4789, vni: 1234567, mac: '02:aa:bb:cc:dd:01', mtu: 1450, up: true, details: { learning: false, addrGenMode: 'none' } },
    },
    {
      name: 'vxlan over IPv6',
      link: VXLAN6,
      want: { encap: 'vxlan', family: 'ipv6', local: '2001:db8:1::10', remote: '2001:db8:2::10', port: 4789, vni: 7654321, mac: '02:aa:bb:cc:dd:02', mtu: 1430, up: true, details: { learning: false, addrGenMode: 'none' } },
    },
    {
      name: 'ipip over IPv4',
      link: IPIP4,
      want: { encap: 'ipip', family: 'ipv4', local: '198.18.1.10', remote: '198.18.2.10', mtu: 1480, up: true, details: { proto: 'ipip', ttl: 0, pmtudisc: false, encapType: undefined, encapLimit: undefined } },
    },
    {
      name: 'ipip over IPv6 (ip6tnl)',
      link: IPIP6,
      want: { encap: 'ipip', family: 'ipv6', local: '2001:db8:1::10', remote: '2001:db8:2::10', mtu: 1460, up: true, details: { proto: 'any', ttl: 0, pmtudisc: undefined, encapType: undefined, encapLimit: 'none' } },
    },
    {
      name: 'fou over IPv4',
      link: FOU4,
      want: { encap: 'fou', family: 'ipv4', local: '198.18.1.10', remote: '198.18.2.10', port: 5555, mtu: 1468, up: true, details: { proto: 'ipip', ttl: 225, pmtudisc: true, encapType: 'gue', encapLimit: undefined } },
    },
    {
      name: 'fou over IPv6',
      link: FOU6,
      want: { encap: 'fou', family: 'ipv6', local: '2001:db8:1::10', remote: '2001:db8:2::10', port: 5555, mtu: 1448, up: true, details: { proto: 'ip6ip6', ttl: 225, pmtudisc: undefined, encapType: 'gue', encapLimit: 'none' } },
    },
  ])('$name', ({ link, want }) => {
    const [observed] = parseTunnelLinks([link]);
    expect(JSON.parse(JSON.stringify(observed))).toEqual(JSON.parse(JSON.stringify({ name: link.ifname, ...want })));
  });

  it('reads a direct (non-GUE) fou link as a shape we do not create', () => {
    const direct = { ...FOU4, linkinfo: { info_kind: 'ipip', info_data: { ...FOU4.linkinfo!.info_data, encap: { type: 'fou', sport: 0, dport: 5555 } } } };
    expect(parseTunnelLinks([direct])[0]?.encap).toBeUndefined();
  });

  it('skips links without our prefix or of other kinds', () => {
    expect(parseTunnelLinks(FOREIGN)).toEqual([]);
  });

  it('reads a link that is down', () => {
    expect(parseTunnelLinks([{ ...VXLAN4, flags: ['BROADCAST', 'MULTICAST'] }])[0]?.up).toBe(false);
  });
});

describe('parseTunnelNeighbours', () => {
  it('keeps permanent entries on the given links only', () => {
    const neighbours: IpNeighbour[] = [
      { dst: '169.254.0.1', dev: 'tun-a', lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] },
      { dst: 'fe80::1', dev: 'tun-a', lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] },
      { dst: '198.18.1.1', dev: 'eth0', lladdr: '02:00:00:00:00:02', state: ['PERMANENT'] },
      { dst: '169.254.0.2', dev: 'tun-a', lladdr: '02:00:00:00:00:03', state: ['REACHABLE'] },
    ];
    expect(parseTunnelNeighbours(neighbours, new Set(['tun-a'])).map((n) => `${n.dev} ${n.address.address} ${n.mac}`)).toEqual([
      'tun-a 169.254.0.1 02:00:00:00:00:01',
      'tun-a fe80::1 02:00:00:00:00:01',
    ]);
  });
});

describe('parseFouPorts', () => {
  it('reads GUE and direct ports of both families (ip/ipfou.c print_fou_mapping)', () => {
    expect(parseFouPorts([{ port: 5555, gue: null, family: 'inet' }, { port: 5555, gue: null, family: 'inet6' }, { port: 7777, ipproto: 4, family: 'inet' }])).toEqual([
      { family: 'ipv4', port: 5555, gue: true },
      { family: 'ipv6', port: 5555, gue: true },
      { family: 'ipv4', port: 7777, gue: false },
    ]);
  });
});

describe('parseRouteListing', () => {
  it.each([
    {
      name: 'IPv4: onlink via a tunnel, host route, multipath, unreachable, default',
      family: 'ipv4' as const,
      routes: [
        { dst: '10.244.2.0/24', gateway: '169.254.0.1', dev: 'tun-t4', prefsrc: '198.18.1.10', flags: ['onlink'] },
        { dst: '10.98.0.1', dev: 'eth0', scope: 'link', flags: [] },
        { dst: '10.97.0.0/16', metric: 7, flags: [], nexthops: [{ gateway: '198.18.1.1', dev: 'eth0', weight: 1, flags: [] }] },
        { type: 'unreachable', dst: '10.99.0.0/16', flags: [] },
        { dst: 'default', gateway: '198.18.1.1', dev: 'eth0', flags: [] },
      ],
      want: [
        '10.244.2.0/24 via=169.254.0.1 dev=tun-t4 onlink src=198.18.1.10 metric=0',
        '10.98.0.1/32 dev=eth0 metric=0',
        '10.97.0.0/16 multipath metric=7',
        '10.99.0.0/16 type=unreachable metric=0',
        '0.0.0.0/0 via=198.18.1.1 dev=eth0 metric=0',
      ],
    },
    {
      name: 'IPv6: link-local gateway, onlink, multipath, host route',
      family: 'ipv6' as const,
      routes: [
        { dst: 'fd00:10:244:2::/64', gateway: 'fe80::1', dev: 'tun-t6', metric: 1024, flags: [], pref: 'medium' },
        { dst: 'fd00:10:244:3::/64', gateway: 'fd00:10:244:3::1', dev: 'tun-t4', metric: 1024, flags: ['onlink'], pref: 'medium' },
        { dst: 'fd00:99::/64', metric: 1024, flags: [], pref: 'medium', nexthops: [{ gateway: '2001:db8:1::1', dev: 'eth0', weight: 1, flags: [] }] },
        { dst: 'fd00::1', dev: 'eth0', metric: 1024, flags: [], pref: 'medium' },
      ],
      want: [
        'fd00:10:244:2::/64 via=fe80::1 dev=tun-t6 metric=1024',
        'fd00:10:244:3::/64 via=fd00:10:244:3::1 dev=tun-t4 onlink metric=1024',
        'fd00:99::/64 multipath metric=1024',
        'fd00::1/128 dev=eth0 metric=1024',
      ],
    },
  ])('$name', ({ family, routes, want }) => {
    const parsed = parseRouteListing(routes as unknown as IpRoute[], family).map((r) =>
      [
        r.prefix.toString(),
        r.type && `type=${r.type}`,
        r.multipath && 'multipath',
        r.via && `via=${r.via.address}`,
        r.dev && `dev=${r.dev}`,
        r.onlink && 'onlink',
        r.source && `src=${r.source.address}`,
        `metric=${r.metric}`,
      ]
        .filter(Boolean)
        .join(' '),
    );
    expect(parsed).toEqual(want);
  });
});
