// The BIRD helpers of the sandbox tests: the configuration they write and the birdc
// output they read (captured from BIRD 2.0.12 on the sandbox fabric).
// Test IP plan: node1 198.18.0.11 / fd42:198:18::11, ext1 198.18.0.201 / fd42:198:18::201,
// pods 10.244.0.0/24 / fd00:10:244::/64, BIRD's own 203.0.113.0/24 / 2001:db8:99::/48.
import { describe, expect, it } from 'vitest';
import { birdConfig, parseBirdProtocols, parseBirdRoutes } from './bird.js';

const ROUTES = `BIRD 2.0.12 ready.
Table master4:
0.0.0.0/0            blackhole [static4 07:05:44.617] * (200)
\tType: static univ
10.244.0.0/24        unicast [node1_v4 07:05:45.724] * (100) [AS64512i]
\tvia 198.18.0.11 on eth0
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 64512
\tBGP.next_hop: 198.18.0.11
\tBGP.local_pref: 100
                     unicast [node1_v6 07:05:44.726 from fd42:198:18::11] (100) [AS64512i]
\tvia 198.18.0.11 on eth0
\tType: BGP univ
\tBGP.as_path: 64512
\tBGP.next_hop: 198.18.0.11

Table master6:
fd00:10:244::/64     unicast [node1_v4 07:05:45.724 from 198.18.0.11] * (100) [AS64512i]
\tvia fd42:198:18::11 on eth0
\tBGP.as_path: 64512 64512
\tBGP.next_hop: fd42:198:18::11 fe80::1
`;

const PROTOCOLS = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     07:05:44.617  
node1_v4   BGP        ---        up     07:05:45.723  Established   
node1_v6   BGP        ---        start  07:05:44.726  Active        Socket: Connection refused
`;

describe('parseBirdRoutes', () => {
  it('reads every route of every prefix, with its protocol, best flag, next hops and AS path', () => {
    expect(parseBirdRoutes(ROUTES)).toEqual([
      { table: 'master4', prefix: '0.0.0.0/0', protocol: 'static4', primary: true, nextHops: [], asPath: [] },
      { table: 'master4', prefix: '10.244.0.0/24', protocol: 'node1_v4', primary: true, nextHops: ['198.18.0.11'], asPath: [64512] },
      { table: 'master4', prefix: '10.244.0.0/24', protocol: 'node1_v6', primary: false, nextHops: ['198.18.0.11'], asPath: [64512] },
      { table: 'master6', prefix: 'fd00:10:244::/64', protocol: 'node1_v4', primary: true, nextHops: ['fd42:198:18::11', 'fe80::1'], asPath: [64512, 64512] },
    ]);
  });
});

describe('parseBirdProtocols', () => {
  it('maps each protocol to its state info', () => {
    expect(Object.fromEntries(parseBirdProtocols(PROTOCOLS))).toEqual({ device1: '', node1_v4: 'Established', node1_v6: 'Active        Socket: Connection refused' });
  });
});

describe('birdConfig', () => {
  it('writes one eBGP protocol per peer carrying both families, exporting only the static routes', () => {
    const text = birdConfig({
      dir: '/tmp/x',
      routerId: '198.18.0.201',
      asn: 64999,
      peers: [
        { name: 'node1_v4', address: '198.18.0.11', asn: 64512 },
        { name: 'node1_v6', address: 'fd42:198:18::11', asn: 64512 },
      ],
      families: { ipv4: { nextHop: '198.18.0.201', statics: ['203.0.113.0/24'] }, ipv6: { nextHop: 'fd42:198:18::201', statics: ['2001:db8:99::/48', '::/0'] } },
    });
    expect(text.split('\n')).toEqual([
      'log "/tmp/x/bird.log" all;',
      'router id 198.18.0.201;',
      'protocol device { scan time 2; }',
      'protocol static static_ipv4 { ipv4; route 203.0.113.0/24 blackhole; }',
      'protocol static static_ipv6 { ipv6; route 2001:db8:99::/48 blackhole; route ::/0 blackhole; }',
      'template bgp cluster_node {',
      '  local as 64999;',
      '  ipv4 { import all; export where source = RTS_STATIC; next hop address 198.18.0.201; };',
      '  ipv6 { import all; export where source = RTS_STATIC; next hop address fd42:198:18::201; };',
      '}',
      'protocol bgp node1_v4 from cluster_node { neighbor 198.18.0.11 as 64512; }',
      'protocol bgp node1_v6 from cluster_node { neighbor fd42:198:18::11 as 64512; }',
      '',
    ]);
  });
});
