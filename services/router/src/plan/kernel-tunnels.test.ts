import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { parseCIDR, parseIP, type Family } from '@kr/ip';
import { parseTunnelLinks } from '../dataplane/kernel/tunnel-links.js';
import { FOU4, FOU6, IPIP4, IPIP6, VXLAN4, VXLAN6 } from '../dataplane/kernel/testing/link-fixtures.js';
import type { IpLink } from '@kr/dataplane';
import type { ObservedTunnel, TunnelEncap, TunnelSpec } from '../dataplane/kernel/types.js';
import {
  planTunnels,
  renderTunnelCreate,
  resolveTunnel,
  tunnelMatches,
  tunnelOverhead,
  tunnelRoute,
  vxlanMac,
  vxlanVni,
  type ObservedTunnelState,
} from './kernel-tunnels.js';

// Test IP plan:
//   this node   198.18.1.10   2001:db8:1::10   vxlan MAC 02:05:40:29:81:2b / 02:70:a5:d9:18:70
//   remote      198.18.2.10   2001:db8:2::10   vxlan MAC 02:4c:e8:56:d9:15 / 02:f2:e1:e9:ec:d6
//   remote pods 10.244.2.0/24 fd00:10:244:2::/64
const ends = {
  ipv4: { local: parseIP('198.18.1.10'), remote: parseIP('198.18.2.10') },
  ipv6: { local: parseIP('2001:db8:1::10'), remote: parseIP('2001:db8:2::10') },
};
const MAC = { local4: '02:05:40:29:81:2b', remote4: '02:4c:e8:56:d9:15', local6: '02:70:a5:d9:18:70', remote6: '02:f2:e1:e9:ec:d6' };

function spec(encap: TunnelEncap, family: Family, extra: Partial<TunnelSpec> = {}): TunnelSpec {
  return { name: `tun-${encap[0]}${family === 'ipv4' ? 4 : 6}`, encap, family, ...ends[family], ...extra };
}

describe('vxlan identity', () => {
  it('derives the same VNI on both ends, and pinned values (both ends must agree across releases)', () => {
    expect(vxlanVni(ends.ipv4.local, ends.ipv4.remote)).toBe(vxlanVni(ends.ipv4.remote, ends.ipv4.local));
    expect(vxlanVni(ends.ipv4.local, ends.ipv4.remote)).toBe(1872524);
    expect(vxlanVni(ends.ipv6.local, ends.ipv6.remote)).toBe(12041371);
    expect([ends.ipv4.local, ends.ipv4.remote, ends.ipv6.local, ends.ipv6.remote].map(vxlanMac)).toEqual([MAC.local4, MAC.remote4, MAC.local6, MAC.remote6]);
  });
});

describe('renderTunnelCreate (golden)', () => {
  it.each([
    {
      name: 'vxlan over IPv4, IPv4 inside',
      spec: spec('vxlan', 'ipv4', { mtu: 1450 }),
      lines: [
        `link add name tun-v4 mtu 1450 address ${MAC.local4} type vxlan id 1872524 remote 198.18.2.10 local 198.18.1.10 dstport 4789 nolearning`,
        'link set tun-v4 addrgenmode none',
        'link set tun-v4 up',
        `neigh replace 169.254.0.1 lladdr ${MAC.remote4} dev tun-v4 nud permanent`,
      ],
    },
    {
      name: 'vxlan over IPv6, IPv6 inside, own port and VNI',
      spec: spec('vxlan', 'ipv6', { mtu: 1430, port: 8472, vni: 42 }),
      lines: [
        `link add name tun-v6 mtu 1430 address ${MAC.local6} type vxlan id 42 remote 2001:db8:2::10 local 2001:db8:1::10 dstport 8472 nolearning`,
        'link set tun-v6 addrgenmode none',
        'link set tun-v6 up',
        `neigh replace fe80::1 lladdr ${MAC.remote6} dev tun-v6 nud permanent`,
      ],
    },
    {
      name: 'vxlan over IPv4, dual-stack inside',
      spec: spec('vxlan', 'ipv4', { innerFamilies: ['ipv6', 'ipv4'] }),
      lines: [
        `link add name tun-v4 address ${MAC.local4} type vxlan id 1872524 remote 198.18.2.10 local 198.18.1.10 dstport 4789 nolearning`,
        'link set tun-v4 addrgenmode none',
        'link set tun-v4 up',
        `neigh replace 169.254.0.1 lladdr ${MAC.remote4} dev tun-v4 nud permanent`,
        `neigh replace fe80::1 lladdr ${MAC.remote4} dev tun-v4 nud permanent`,
      ],
    },
    {
      name: 'ipip over IPv4',
      spec: spec('ipip', 'ipv4', { mtu: 1480 }),
      lines: ['link add name tun-i4 mtu 1480 type ipip mode ipip remote 198.18.2.10 local 198.18.1.10 ttl inherit nopmtudisc', 'link set tun-i4 up'],
    },
    {
      name: 'ipip over IPv6 (ip6tnl), dual-stack inside',
      spec: spec('ipip', 'ipv6', { mtu: 1460, innerFamilies: ['ipv4', 'ipv6'] }),
      lines: ['link add name tun-i6 mtu 1460 type ip6tnl mode any remote 2001:db8:2::10 local 2001:db8:1::10 hoplimit inherit encaplimit none', 'link set tun-i6 up'],
    },
    {
      name: 'fou (GUE) over IPv4',
      spec: spec('fou', 'ipv4', { mtu: 1468 }),
      lines: [
        'link add name tun-f4 mtu 1468 type ipip mode ipip remote 198.18.2.10 local 198.18.1.10 ttl 225 encap gue encap-sport auto encap-dport 5555',
        'link set tun-f4 up',
      ],
    },
    {
      name: 'fou (GUE) over IPv6, own port',
      spec: spec('fou', 'ipv6', { port: 6000 }),
      lines: [
        'link add name tun-f6 type ip6tnl mode ip6ip6 remote 2001:db8:2::10 local 2001:db8:1::10 hoplimit 225 encaplimit none encap gue encap-sport auto encap-dport 6000',
        'link set tun-f6 up',
      ],
    },
  ])('$name', ({ spec, lines }) => {
    expect(renderTunnelCreate(resolveTunnel(spec))).toEqual(lines);
  });
});

describe('rendered tunnels read back as themselves', () => {
  // The fixtures are what `ip -j -d link show` prints for the rendered commands: a link
  // created by renderTunnelCreate must be recognised as matching, or every sync would
  // re-create it.
  it.each([
    { name: 'vxlan/IPv4', link: VXLAN4, spec: { ...spec('vxlan', 'ipv4'), name: VXLAN4.ifname, vni: 1234567 }, mac: '02:aa:bb:cc:dd:01' },
    { name: 'vxlan/IPv6', link: VXLAN6, spec: { ...spec('vxlan', 'ipv6'), name: VXLAN6.ifname, vni: 7654321 }, mac: '02:aa:bb:cc:dd:02' },
    { name: 'ipip/IPv4', link: IPIP4, spec: spec('ipip', 'ipv4', { name: 'tun-c4' }) },
    { name: 'ipip/IPv6', link: IPIP6, spec: spec('ipip', 'ipv6', { name: 'tun-c6' }) },
    { name: 'fou/IPv4', link: FOU4, spec: spec('fou', 'ipv4') },
    { name: 'fou/IPv6', link: FOU6, spec: spec('fou', 'ipv6') },
  ])('$name', ({ link, spec, mac }) => {
    const [observed] = parseTunnelLinks([link]);
    const resolved = resolveTunnel(spec);
    // The captured vxlan links carry a hand-picked MAC; everything else must match as is.
    const want = mac ? { ...resolved, mac } : resolved;
    expect(tunnelMatches(want, observed!)).toBe(true);
    for (const change of [{ remote: spec.family === 'ipv4' ? parseIP('198.18.3.10') : parseIP('2001:db8:3::10') }, { encap: spec.encap === 'fou' ? 'ipip' : 'fou' } as const]) {
      expect(tunnelMatches(resolveTunnel({ ...spec, ...change, innerFamilies: [spec.family] }), observed!)).toBe(false);
    }
  });
});

describe('tunnelRoute', () => {
  const pods = { ipv4: parseCIDR('10.244.2.0/24'), ipv6: parseCIDR('fd00:10:244:2::/64') };
  it.each([
    { name: 'vxlan, IPv4 pods', tunnel: spec('vxlan', 'ipv4'), family: 'ipv4' as const, want: { via: '169.254.0.1', onlink: true } },
    { name: 'vxlan, IPv6 pods', tunnel: spec('vxlan', 'ipv6'), family: 'ipv6' as const, want: { via: 'fe80::1', onlink: false } },
    { name: 'ipip, IPv4 pods', tunnel: spec('ipip', 'ipv4'), family: 'ipv4' as const, want: {} },
    { name: 'fou, IPv6 pods', tunnel: spec('fou', 'ipv6'), family: 'ipv6' as const, want: {} },
  ])('$name', ({ tunnel, family, want }) => {
    const route = tunnelRoute(tunnel, pods[family], ends[family].local);
    expect({ dev: route.dev, via: route.via?.address, onlink: route.onlink, source: route.source?.address }).toEqual({
      dev: tunnel.name,
      via: (want as { via?: string }).via,
      onlink: (want as { onlink?: boolean }).onlink,
      source: ends[family].local.address,
    });
  });
});

describe('tunnelOverhead', () => {
  it.each([
    ['vxlan', 'ipv4', 50],
    ['vxlan', 'ipv6', 70],
    ['ipip', 'ipv4', 20],
    ['ipip', 'ipv6', 40],
    ['fou', 'ipv4', 32],
    ['fou', 'ipv6', 52],
  ] as const)('%s over %s: %d bytes', (encap, family, bytes) => {
    expect(tunnelOverhead(encap, family)).toBe(bytes);
  });
});

describe('resolveTunnel rejects', () => {
  it.each([
    { name: 'a name without our prefix', spec: spec('vxlan', 'ipv4', { name: 'kr-abc' }), reason: /tun-/ },
    { name: 'a name too long', spec: spec('vxlan', 'ipv4', { name: 'tun-0123456789ab' }), reason: /at most 11/ },
    { name: 'an address of the other family', spec: spec('vxlan', 'ipv4', { remote: ends.ipv6.remote }), reason: /not ipv4/ },
    { name: 'IPv6 inside ipip over IPv4', spec: spec('ipip', 'ipv4', { innerFamilies: ['ipv6'] }), reason: /cannot carry ipv6/ },
    { name: 'IPv4 inside fou over IPv6', spec: spec('fou', 'ipv6', { innerFamilies: ['ipv4', 'ipv6'] }), reason: /cannot carry ipv4/ },
    { name: 'a VNI beyond 24 bits', spec: spec('vxlan', 'ipv6', { vni: 1 << 24 }), reason: /vni/ },
    { name: 'a port of 0', spec: spec('fou', 'ipv4', { port: 0 }), reason: /port/ },
  ])('$name', ({ spec, reason }) => {
    expect(() => resolveTunnel(spec)).toThrow(ConfigError);
    expect(() => resolveTunnel(spec)).toThrow(reason);
  });
});

/** What the kernel would show after creating `specs` (as the read-back of the real links does). */
function asObserved(specs: readonly TunnelSpec[]): ObservedTunnelState {
  const links: ObservedTunnel[] = [];
  const neighbours: ObservedTunnelState['neighbours'][number][] = [];
  const fouPorts: ObservedTunnelState['fouPorts'][number][] = [];
  for (const s of specs) {
    const r = resolveTunnel(s);
    links.push({
      name: s.name,
      encap: s.encap,
      family: s.family,
      local: s.local,
      remote: s.remote,
      ...(r.port !== undefined ? { port: r.port } : {}),
      ...(r.vni !== undefined ? { vni: r.vni } : {}),
      ...(r.mac !== undefined ? { mac: r.mac } : {}),
      mtu: s.mtu ?? 1500,
      up: true,
      details: r.details,
    });
    neighbours.push(...r.neighbours.map((n) => ({ dev: s.name, address: parseIP(n.address), mac: n.mac })));
    if (s.encap === 'fou') fouPorts.push({ family: s.family, port: r.port!, gue: true });
  }
  return { links, neighbours, fouPorts };
}

describe('planTunnels', () => {
  const stacks: { name: string; families: Family[] }[] = [
    { name: 'IPv4', families: ['ipv4'] },
    { name: 'IPv6', families: ['ipv6'] },
    { name: 'dual-stack', families: ['ipv4', 'ipv6'] },
  ];

  describe.each(stacks)('$name', ({ families }) => {
    const desired = families.flatMap((f) => [spec('vxlan', f, { mtu: 1400 }), spec('fou', f)]);

    it('creates everything from nothing, fou receive ports first', () => {
      const plan = planTunnels(desired, { links: [], neighbours: [], fouPorts: [] });
      expect(plan.created).toEqual(desired.map((d) => d.name).sort());
      const fouAdds = families.map((f) => (f === 'ipv4' ? 'fou add port 5555 gue' : 'fou add port 5555 gue -6'));
      expect(plan.lines.slice(0, families.length)).toEqual(fouAdds);
      expect(plan.lines.slice(families.length)).toEqual(
        [...desired].sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((d) => renderTunnelCreate(resolveTunnel(d))),
      );
    });

    it('does nothing when everything is in place', () => {
      expect(planTunnels(desired, asObserved(desired))).toMatchObject({ lines: [], unchanged: desired.length });
    });

    it('repairs MTU, state and neighbours in place, and re-creates a link whose endpoint changed', () => {
      const observed = asObserved(desired);
      const vx = families.map((f) => `tun-v${f === 'ipv4' ? 4 : 6}`);
      const drifted: ObservedTunnelState = {
        ...observed,
        links: observed.links.map((l) => (vx.includes(l.name) ? { ...l, mtu: 1500, up: false } : l.encap === 'fou' ? { ...l, remote: parseIP(l.family === 'ipv4' ? '198.18.9.9' : '2001:db8:9::9') } : l)),
        neighbours: [
          ...vx.map((dev) => ({ dev, address: parseIP('169.254.0.1'), mac: '02:00:00:00:00:01' })),
          ...vx.map((dev) => ({ dev, address: parseIP('fe80::99'), mac: '02:00:00:00:00:01' })),
        ],
      };
      const plan = planTunnels(desired, drifted);
      const fous = families.map((f) => `tun-f${f === 'ipv4' ? 4 : 6}`);
      expect(plan.recreated).toEqual(fous);
      expect(plan.updated).toEqual(vx);
      expect(plan.lines).toEqual([
        ...fous.map((n) => `link del ${n}`),
        ...desired.filter((d) => d.encap === 'fou').flatMap((d) => renderTunnelCreate(resolveTunnel(d))),
        ...families.flatMap((f) => {
          const n = `tun-v${f === 'ipv4' ? 4 : 6}`;
          const remoteMac = vxlanMac(ends[f].remote);
          return [
            `link set ${n} mtu 1400`,
            `link set ${n} up`,
            ...(f === 'ipv4'
              ? [`neigh replace 169.254.0.1 lladdr ${remoteMac} dev ${n} nud permanent`]
              : [`neigh replace fe80::1 lladdr ${remoteMac} dev ${n} nud permanent`, `neigh del 169.254.0.1 dev ${n}`]),
            `neigh del fe80::99 dev ${n}`,
          ];
        }),
      ]);
    });

    it('deletes our stale links and the fou ports no tunnel needs', () => {
      const observed = asObserved(desired);
      const plan = planTunnels(desired.filter((d) => d.encap === 'vxlan'), observed, { fouPorts: [5555] });
      expect(plan.removed).toEqual(families.map((f) => `tun-f${f === 'ipv4' ? 4 : 6}`));
      expect(plan.lines).toEqual([
        ...plan.removed.map((n) => `link del ${n}`),
        ...families.map((f) => (f === 'ipv4' ? 'fou del port 5555' : 'fou del port 5555 -6')),
      ]);
    });

    it('with keepUnwanted (RIB warm-up) keeps stale links and fou ports, and still converges the wanted ones', () => {
      const observed = asObserved(desired);
      const drifted = { ...observed, links: observed.links.map((l) => (l.encap === 'vxlan' ? { ...l, up: false } : l)) };
      const plan = planTunnels(desired.filter((d) => d.encap === 'vxlan'), drifted, { fouPorts: [5555], keepUnwanted: true });
      expect(plan.removed).toEqual([]);
      expect(plan.kept).toEqual(families.map((f) => `tun-f${f === 'ipv4' ? 4 : 6}`));
      expect(plan.lines).toEqual(families.map((f) => `link set tun-v${f === 'ipv4' ? 4 : 6} up`));
    });
  });

  it('leaves fou ports that are not ours (another port, or direct fou) alone', () => {
    const observed = { links: [], neighbours: [], fouPorts: [{ family: 'ipv4' as const, port: 7777, gue: true }, { family: 'ipv4' as const, port: 5555, gue: false }] };
    expect(planTunnels([], observed, { fouPorts: [5555] }).lines).toEqual([]);
  });

  it('never plans for links that are not ours', async () => {
    const { FOREIGN } = await import('../dataplane/kernel/testing/link-fixtures.js');
    const observed = { links: parseTunnelLinks(FOREIGN as IpLink[]), neighbours: [], fouPorts: [] };
    expect(observed.links).toEqual([]);
    expect(planTunnels([], observed).lines).toEqual([]);
  });

  it('rejects two tunnels with one name', () => {
    expect(() => planTunnels([spec('vxlan', 'ipv4'), spec('vxlan', 'ipv4')], { links: [], neighbours: [], fouPorts: [] })).toThrow(/more than one/);
  });
});

describe('on a kernel without IPv6', () => {
  it('creates vxlan links without touching IPv6 settings, and refuses IPv6 inside', () => {
    const v4 = spec('vxlan', 'ipv4');
    expect(renderTunnelCreate(resolveTunnel(v4, { ipv6: false }))).toEqual([
      `link add name tun-v4 address ${MAC.local4} type vxlan id 1872524 remote 198.18.2.10 local 198.18.1.10 dstport 4789 nolearning`,
      'link set tun-v4 up',
      `neigh replace 169.254.0.1 lladdr ${MAC.remote4} dev tun-v4 nud permanent`,
    ]);
    const [observed] = parseTunnelLinks([{ ...VXLAN4, inet6_addr_gen_mode: undefined }]);
    expect(tunnelMatches({ ...resolveTunnel({ ...v4, name: VXLAN4.ifname, vni: 1234567 }, { ipv6: false }), mac: '02:aa:bb:cc:dd:01' }, observed!)).toBe(true);
    expect(() => resolveTunnel({ ...v4, innerFamilies: ['ipv4', 'ipv6'] }, { ipv6: false })).toThrow(/no IPv6/);
  });
});
