import { nodestate } from '@kr/proto';
import { describe, expect, it } from 'vitest';
import { isSectionName, SECTION_CODECS, SECTIONS } from './sections.js';
import type { SectionArgs, SectionName, SectionTypes } from './sections.js';

// Test IP plan (values only; nothing is configured anywhere):
//   fabric   198.18.0.0/15      fd18::/64
//   pods     10.244.0.0/16      fd44::/56 (one /64 per node)
//   services 10.96.0.0/16       fd96::/108
const { Family } = nodestate;
const v4 = (cidr: string) => ({ family: Family.FAMILY_IPV4, cidr });
const v6 = (cidr: string) => ({ family: Family.FAMILY_IPV6, cidr });
const a4 = (ip: string) => ({ family: Family.FAMILY_IPV4, ip });
const a6 = (ip: string) => ({ family: Family.FAMILY_IPV6, ip });

const header = (owner: string) => ({
  owner,
  node: 'node-a',
  generation: 7,
  updated: new Date('2025-01-02T03:04:05.678Z'),
  health: nodestate.Health.HEALTH_HEALTHY,
  lastSyncDuration: { seconds: 0, nanos: 12_000_000 },
  pid: 4242,
});

type Row = { [S in SectionName]: { name: string; section: S; value: SectionTypes[S] } }[SectionName];

const families = {
  IPv4: { prefixes: [v4('10.244.1.0/24')], addresses: [a4('198.18.0.11')], vips: [a4('10.96.0.10')] },
  IPv6: { prefixes: [v6('fd44:0:0:1::/64')], addresses: [a6('fd18::11')], vips: [a6('fd96::a')] },
  'dual-stack': {
    prefixes: [v4('10.244.1.0/24'), v6('fd44:0:0:1::/64')],
    addresses: [a4('198.18.0.11'), a6('fd18::11')],
    vips: [a4('10.96.0.10'), a6('fd96::a')],
  },
};

const rows: Row[] = Object.entries(families).flatMap(([family, f]): Row[] => [
  {
    name: `${family} cni`,
    section: 'cni',
    value: nodestate.CniState.fromPartial({
      header: header('cni'),
      podCidrs: f.prefixes,
      bridge: 'kube-bridge',
      mtu: 1480,
      hairpinMode: true,
      gateways: f.addresses,
    }),
  },
  {
    name: `${family} router`,
    section: 'router',
    value: nodestate.RouterState.fromPartial({
      header: header('router'),
      localAsn: 64512,
      routerId: '198.18.0.11',
      peers: f.addresses.map((address) => ({
        address,
        asn: 64512,
        source: nodestate.PeerSource.PEER_SOURCE_NODE_MESH,
        state: nodestate.BgpSessionState.BGP_SESSION_STATE_ESTABLISHED,
        families: f.prefixes.map((p) => p.family),
      })),
      advertised: f.prefixes.map((prefix, i) => ({
        prefix,
        kind: nodestate.AdvertisementKind.ADVERTISEMENT_KIND_POD_CIDR,
        nextHop: f.addresses[i],
      })),
      clusterNodes: [{ name: 'node-a', addresses: f.addresses, podCidrs: f.prefixes }],
      clusterPodCidrs: f.prefixes,
      overlayOverheadIpv4: 20,
      overlayOverheadIpv6: 40,
    }),
  },
  {
    name: `${family} proxy`,
    section: 'proxy',
    value: nodestate.ProxyState.fromPartial({
      header: header('proxy'),
      mode: 'nftables',
      vips: f.vips.map((address) => ({
        address,
        port: 53,
        protocol: nodestate.Protocol.PROTOCOL_UDP,
        kind: nodestate.VipKind.VIP_KIND_CLUSTER_IP,
        service: 'kube-system/kube-dns',
      })),
      services: 1,
      endpoints: 2,
    }),
  },
  {
    name: `${family} firewall`,
    section: 'firewall',
    value: nodestate.FirewallState.fromPartial({ header: header('firewall'), mode: 'iptables', policies: 3, localPods: f.addresses.length, inSync: true }),
  },
]);

describe('section codecs', () => {
  it('cover every section', () => {
    expect(new Set(rows.map((r) => r.section))).toEqual(new Set(SECTIONS));
  });

  it.each(rows)('$name round-trips', (row) => {
    const codec = SECTION_CODECS[row.section] as (typeof SECTION_CODECS)[SectionName];
    const bytes = (codec.encode as (v: unknown) => Uint8Array)(row.value);
    expect(bytes.length).toBeGreaterThan(0);
    expect(codec.decode(bytes)).toEqual(row.value);
  });

  it('throw on bytes that are not a message', () => {
    expect(() => SECTION_CODECS.router.decode(new Uint8Array([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });

  it('name sections', () => {
    expect(SECTIONS.every(isSectionName)).toBe(true);
    expect(isSectionName('bgp')).toBe(false);
    expect(isSectionName('toString')).toBe(false);
  });

  it('type section callbacks so the name narrows the value', () => {
    const seen: string[] = [];
    const callback = (...[section, value]: SectionArgs<'cni' | 'router'>): void => {
      if (section === 'router') seen.push(`router asn ${value?.localAsn}`);
      else seen.push(`cni mtu ${value?.mtu}`);
    };
    callback('router', nodestate.RouterState.fromPartial({ localAsn: 64512 }));
    callback('cni', undefined);
    expect(seen).toEqual(['router asn 64512', 'cni mtu undefined']);
  });
});
