// Test IP plan: see testing/router-answers.ts (node a 198.18.0.11 / fd42:198:18::11, b on
// the same subnet, c behind a vxlan tunnel, external router 198.18.0.1 / fd42:198:18::1).
import { describe, expect, it } from 'vitest';
import { nodestate, routerAdmin } from '@kr/proto';
import { formatAdvertisementsTable, formatPeersTable, formatRoutesTable, span } from './router-format.js';
import { NOW, advertisementsAnswer, emptyRoutesAnswer, peersAnswer, routesAnswer, type AnswerStack } from './testing/router-answers.js';

const HEAD: Record<AnswerStack, string> = {
  ipv4: 'node a   AS 64512   router-id 198.18.0.11   listening 198.18.0.11:179   synced 12s ago',
  ipv6: 'node a   AS 64512   router-id 10.199.37.4   listening [fd42:198:18::11]:179   synced 12s ago',
  dual: 'node a   AS 64512   router-id 198.18.0.11   listening 198.18.0.11:179, [fd42:198:18::11]:179   synced 12s ago',
};

const PEERS: Record<AnswerStack, string> = {
  ipv4: `${HEAD.ipv4}
sessions: live from GoBGP

PEER             ASN    SOURCE     NODE  STATE        UPTIME  FAMILIES  RECEIVED  ACCEPTED  ADVERTISED  DESCRIPTION
198.18.0.1:1790  65000  global     -     established  4m5s    ipv4      2         1         3           --peer-router-ips item 1 (md5)
198.18.0.12      64512  node-mesh  b     established  4m5s    ipv4      1         1         1           node b
198.18.1.13      64512  node-mesh  c     active       -       (ipv4)    0         0         0           node c

nodes not peered with:
  d: it has no ipv4 BGP address to peer with from 198.18.0.11
`,
  ipv6: `${HEAD.ipv6}
sessions: live from GoBGP

PEER                   ASN    SOURCE     NODE  STATE        UPTIME  FAMILIES  RECEIVED  ACCEPTED  ADVERTISED  DESCRIPTION
[fd42:198:18::1]:1790  65000  global     -     established  4m5s    ipv6      2         1         3           --peer-router-ips item 1 (md5)
fd42:198:18::12        64512  node-mesh  b     established  4m5s    ipv6      1         1         1           node b
fd42:198:19::13        64512  node-mesh  c     active       -       (ipv6)    0         0         0           node c

nodes not peered with:
  d: it has no ipv6 BGP address to peer with from fd42:198:18::11
`,
  dual: `${HEAD.dual}
sessions: live from GoBGP

PEER             ASN    SOURCE     NODE  STATE        UPTIME  FAMILIES     RECEIVED  ACCEPTED  ADVERTISED  DESCRIPTION
198.18.0.1:1790  65000  global     -     established  4m5s    ipv4,ipv6    2         1         3           --peer-router-ips item 1 (md5)
198.18.0.12      64512  node-mesh  b     established  4m5s    ipv4,ipv6    2         2         2           node b
198.18.1.13      64512  node-mesh  c     active       -       (ipv4,ipv6)  0         0         0           node c

nodes not peered with:
  d: it has no ipv4 BGP address to peer with from 198.18.0.11
`,
};

const ROUTES: Record<AnswerStack, string> = {
  ipv4: `${HEAD.ipv4}

PREFIX         NEXT HOP     PATH    DEV              SRC          NODE  INSTALLED
10.244.2.0/24  198.18.0.12  direct  eth0             -            b     yes
10.244.3.0/24  198.18.1.13  tunnel  tun-66ff8b7f386  198.18.0.11  c     yes

TUNNEL           ENCAP  FAMILY  LOCAL        REMOTE       NODE  PORT  VNI
tun-66ff8b7f386  vxlan  ipv4    198.18.0.11  198.18.1.13  c     4789  7654321

best paths not installed:
  198.51.100.0/24 via 203.0.113.1 (from 198.18.0.1): next hop is neither on a connected subnet nor a cluster node; left to the network
`,
  ipv6: `${HEAD.ipv6}

PREFIX              NEXT HOP         PATH    DEV              SRC              NODE  INSTALLED
fd00:10:244:2::/64  fd42:198:18::12  direct  eth0             -                b     yes
fd00:10:244:3::/64  fd42:198:19::13  tunnel  tun-1cc47d07207  fd42:198:18::11  c     yes

TUNNEL           ENCAP  FAMILY  LOCAL            REMOTE           NODE  PORT  VNI
tun-1cc47d07207  vxlan  ipv6    fd42:198:18::11  fd42:198:19::13  c     4789  1234567

best paths not installed:
  2001:db8:51::/64 via 2001:db8:113::1: next hop is neither on a connected subnet nor a cluster node; left to the network
`,
  dual: `${HEAD.dual}

PREFIX              NEXT HOP         PATH    DEV              SRC              NODE  INSTALLED
10.244.2.0/24       198.18.0.12      direct  eth0             -                b     yes
10.244.3.0/24       198.18.1.13      tunnel  tun-66ff8b7f386  198.18.0.11      c     yes
fd00:10:244:2::/64  fd42:198:18::12  direct  eth0             -                b     yes
fd00:10:244:3::/64  fd42:198:19::13  tunnel  tun-1cc47d07207  fd42:198:18::11  c     yes

TUNNEL           ENCAP  FAMILY  LOCAL            REMOTE           NODE  PORT  VNI
tun-66ff8b7f386  vxlan  ipv4    198.18.0.11      198.18.1.13      c     4789  7654321
tun-1cc47d07207  vxlan  ipv6    fd42:198:18::11  fd42:198:19::13  c     4789  1234567

best paths not installed:
  198.51.100.0/24 via 203.0.113.1 (from 198.18.0.1): next hop is neither on a connected subnet nor a cluster node; left to the network
  2001:db8:51::/64 via 2001:db8:113::1: next hop is neither on a connected subnet nor a cluster node; left to the network
`,
};

const ADVERTISEMENTS: Record<AnswerStack, string> = {
  ipv4: `${HEAD.ipv4}

PREFIX           KIND             NEXT HOP     SERVICE
10.244.1.0/24    pod-cidr         198.18.0.11  -
10.96.0.10/32    cluster-ip       198.18.0.11  default/web, default/web2
203.0.113.20/32  loadbalancer-ip  198.18.0.11  default/local-lb

towards external peers: communities 64512:100; AS-path prepend 64512 x2
`,
  ipv6: `${HEAD.ipv6}

PREFIX              KIND        NEXT HOP         SERVICE
fd00:10:244:1::/64  pod-cidr    fd42:198:18::11  -
fd00:96::10/128     cluster-ip  fd42:198:18::11  default/web

WITHHELD          KIND             SERVICE           REASON
2001:db8:113::20  loadbalancer-ip  default/local-lb  local traffic policy and no ready local endpoint of its family

towards external peers: communities 64512:100; AS-path prepend 64512 x2
`,
  dual: `${HEAD.dual}

PREFIX              KIND             NEXT HOP         SERVICE
10.244.1.0/24       pod-cidr         198.18.0.11      -
fd00:10:244:1::/64  pod-cidr         fd42:198:18::11  -
10.96.0.10/32       cluster-ip       198.18.0.11      default/web, default/web2
203.0.113.20/32     loadbalancer-ip  198.18.0.11      default/local-lb
fd00:96::10/128     cluster-ip       fd42:198:18::11  default/web

WITHHELD          KIND             SERVICE           REASON
2001:db8:113::20  loadbalancer-ip  default/local-lb  local traffic policy and no ready local endpoint of its family

towards external peers: communities 64512:100; AS-path prepend 64512 x2
`,
};

const STACKS: AnswerStack[] = ['ipv4', 'ipv6', 'dual'];

describe.each(STACKS)('kr router tables, %s', (stack) => {
  it('kr peers', () => expect(formatPeersTable(peersAnswer(stack), NOW)).toBe(PEERS[stack]));
  it('kr routes', () => expect(formatRoutesTable(routesAnswer(stack), NOW)).toBe(ROUTES[stack]));
  it('kr advertisements', () => expect(formatAdvertisementsTable(advertisementsAnswer(stack), NOW)).toBe(ADVERTISEMENTS[stack]));
});

describe('kr router tables, edge cases', () => {
  it('says when the peers are as of the last sync, and why', () => {
    const answer = { ...peersAnswer('dual'), live: false, liveError: 'GoBGP did not answer within 1000 ms' };
    expect(formatPeersTable(answer, NOW).split('\n')[1]).toBe('sessions: as of the last sync (GoBGP: GoBGP did not answer within 1000 ms)');
  });

  it('before the first sync: says so instead of showing empty tables as facts', () => {
    expect(formatRoutesTable(emptyRoutesAnswer(), NOW)).toBe('node a   AS -   router-id -   no sync completed yet\n\nno routes\n');
    expect(formatPeersTable(routerAdmin.ListPeersResponse.fromPartial({ router: { node: 'a' }, liveError: 'connect ECONNREFUSED' }), NOW)).toBe(
      'node a   AS -   router-id -   no sync completed yet\nsessions: as of the last sync (GoBGP: connect ECONNREFUSED)\n\nno peers\n',
    );
    expect(formatAdvertisementsTable(routerAdmin.ListAdvertisementsResponse.fromPartial({}), NOW)).toBe('router: no answer\n\nnothing advertised\n');
  });

  it('shows multihop and route-reflector clients next to the description', () => {
    const answer = routerAdmin.ListPeersResponse.fromPartial({
      router: { node: 'a' },
      live: true,
      peers: [
        { peer: { address: { family: nodestate.Family.FAMILY_IPV6, ip: 'fd42:198:18::12' }, asn: 64512, state: 1 }, configuredFamilies: [1, 2], port: 179, multihopTtl: 3, routeReflectorClusterId: '1.2.3.4' },
      ],
    });
    expect(formatPeersTable(answer, NOW).split('\n').slice(3)).toEqual([
      'PEER             ASN    SOURCE  NODE  STATE  UPTIME  FAMILIES     RECEIVED  ACCEPTED  ADVERTISED  DESCRIPTION',
      'fd42:198:18::12  64512  -       -     idle   -       (ipv4,ipv6)  0         0         0           (multihop 3, rr-client 1.2.3.4)',
      '',
    ]);
  });

  it.each([
    { ms: 0, text: '0s' },
    { ms: 59_999, text: '59s' },
    { ms: 245_000, text: '4m5s' },
    { ms: 7_380_000, text: '2h3m' },
    { ms: 273_600_000, text: '3d4h' },
    { ms: -5_000, text: '0s' },
  ])('span($ms) = $text', ({ ms, text }) => expect(span(ms)).toBe(text));
});
