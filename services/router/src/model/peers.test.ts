// Test IP plan: see testing/fixtures.ts (nodes a/b on 198.18.0.0/24 + fd42:198:18::/64,
// node c on 198.18.1.0/24 + fd42:198:19::/64, routers 198.18.0.1-2 / fd42:198:18::1-2).
import { describe, expect, it } from 'vitest';
import { parseIP, type EnabledFamilies } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import type { PeerSpec } from './bgp-types.js';
import { computePeers, generatedRouterId } from './peers.js';
import { DUAL, STACKS, V4, V6, planNode, routerSettings, type Stack } from './testing/fixtures.js';
import type { RouterConfig } from '../config.js';

function brief(peers: readonly PeerSpec[]): string[] {
  return peers.map(
    (p) =>
      `${p.source} ${p.address.address}:${p.port} asn=${p.asn} from=${p.localAddress?.address ?? '-'} [${p.families.join(',')}]` +
      `${p.routeReflectorClient ? ` rr-client=${p.routeReflectorClient.clusterId}` : ''}${p.password !== undefined ? ` password=${p.password}` : ''}${p.multihopTtl ? ` ttl=${p.multihopTtl}` : ''}`,
  );
}

function run(stack: Stack, families: EnabledFamilies, annotations: Record<string, Record<string, string>> = {}, config: Partial<RouterConfig> = {}) {
  const nodes = (['a', 'b', 'c'] as const).map((n) => planNode(n, stack, annotations[n] ?? {}));
  return computePeers({ self: nodes[0]!, nodes, config: routerSettings(families, config), families });
}

describe('computePeers: global and node mesh', () => {
  it.each([
    {
      stack: 'ipv4',
      families: V4,
      global: { routerId: '198.18.0.11', listen: ['198.18.0.11'] },
      peers: ['node-mesh 198.18.0.12:179 asn=64512 from=198.18.0.11 [ipv4]', 'node-mesh 198.18.1.13:179 asn=64512 from=198.18.0.11 [ipv4]'],
    },
    {
      stack: 'ipv6',
      families: V6,
      // no IPv4 address at all: generated from the node address (FNV-1a, as kube-router's "generate")
      global: { routerId: generatedRouterId(parseIP('fd42:198:18::11')), listen: ['fd42:198:18::11'] },
      peers: ['node-mesh fd42:198:18::12:179 asn=64512 from=fd42:198:18::11 [ipv6]', 'node-mesh fd42:198:19::13:179 asn=64512 from=fd42:198:18::11 [ipv6]'],
    },
    {
      stack: 'dual',
      families: DUAL,
      global: { routerId: '198.18.0.11', listen: ['198.18.0.11', 'fd42:198:18::11'] },
      peers: ['node-mesh 198.18.0.12:179 asn=64512 from=198.18.0.11 [ipv4,ipv6]', 'node-mesh 198.18.1.13:179 asn=64512 from=198.18.0.11 [ipv4,ipv6]'],
    },
    {
      stack: 'dual-v6',
      families: DUAL,
      // IPv6-primary: one IPv6 session carries both families; the router id is the node's IPv4 address
      global: { routerId: '198.18.0.11', listen: ['fd42:198:18::11', '198.18.0.11'] },
      peers: ['node-mesh fd42:198:18::12:179 asn=64512 from=fd42:198:18::11 [ipv4,ipv6]', 'node-mesh fd42:198:19::13:179 asn=64512 from=fd42:198:18::11 [ipv4,ipv6]'],
    },
  ] as const)('$stack', ({ stack, families, global, peers }) => {
    const result = run(stack, families);
    expect(result.global).toMatchObject({ asn: 64512, routerId: global.routerId, listenPort: 179, listenAddresses: global.listen });
    expect(result.global?.gracefulRestart).toBeUndefined();
    expect(brief(result.peers)).toEqual(peers);
    expect(result.peers.every((p) => p.holdTimeSeconds === 90 && p.keepaliveSeconds === 30 && p.node !== undefined)).toBe(true);
    expect(result.problems).toEqual([]);
  });

  it.each(STACKS)('$stack: --nodes-full-mesh=false peers only nodes of the same node.asn', ({ stack, families }) => {
    const result = run(stack, families, { a: { 'kube-router.io/node.asn': '65100' }, b: { 'kube-router.io/node.asn': '65100' }, c: { 'kube-router.io/node.asn': '65200' } }, { nodesFullMesh: false });
    expect(result.global?.asn).toBe(65100);
    expect(result.peers.map((p) => `${p.node} ${p.asn}`)).toEqual(['b 65100']);
    expect(result.skipped).toEqual([{ node: 'c', reason: 'its ASN 65200 differs from ours (65100)' }]);
  });

  it('full mesh ignores node.asn, as kube-router does', () => {
    const result = run('ipv4', V4, { a: { 'kube-router.io/node.asn': '65100' }, c: { 'kube-router.io/node.asn': '65200' } });
    expect(result.global?.asn).toBe(64512);
    expect(result.peers.map((p) => `${p.node} ${p.asn}`)).toEqual(['b 64512', 'c 64512']);
  });

  it.each(STACKS)('$stack: route reflection — servers reflect to clients, clients peer only with servers', ({ stack, families }) => {
    const annotations = { a: { 'kube-router.io/rr.server': '42' }, b: { 'kube-router.io/rr.client': '42' }, c: { 'kube-router.io/rr.server': '10.0.0.42' } };
    const server = run(stack, families, annotations);
    expect(server.peers.map((p) => `${p.node} ${p.source}${p.routeReflectorClient ? ` client of ${p.routeReflectorClient.clusterId}` : ''}`)).toEqual([
      'b route-reflector client of 0.0.0.42',
      'c node-mesh',
    ]);
    const nodes = (['a', 'b', 'c'] as const).map((n) => planNode(n, stack, annotations[n]));
    const client = computePeers({ self: nodes[1]!, nodes, config: routerSettings(families), families });
    expect(client.peers.map((p) => `${p.node} ${p.source} ${p.routeReflectorClient ? 'reflecting' : 'plain'}`)).toEqual(['a route-reflector plain', 'c route-reflector plain']);
    expect(client.skipped).toEqual([]);
  });

  it('--enable-ibgp=false: no node peers, external peers stay', () => {
    const result = run('dual', DUAL, {}, { enableIbgp: false, externalPeers: [{ address: parseIP('198.18.0.1'), asn: 65000, port: 179 }] });
    expect(brief(result.peers)).toEqual(['global 198.18.0.1:179 asn=65000 from=198.18.0.11 [ipv4,ipv6]']);
  });

  it('bgp-local-addresses: listen and peer on them, and peer other nodes on theirs', () => {
    const result = run('dual', DUAL, {
      a: { 'kube-router.io/bgp-local-addresses': 'fd42:198:18::a1,198.18.0.111' },
      b: { 'kube-router.io/bgp-local-addresses': 'fd42:198:18::b2' },
      c: { 'kube-router.io/bgp-local-addresses': '198.18.1.113' },
    });
    expect(result.global?.listenAddresses).toEqual(['fd42:198:18::a1', '198.18.0.111']);
    expect(brief(result.peers)).toEqual(['node-mesh fd42:198:18::b2:179 asn=64512 from=fd42:198:18::a1 [ipv4,ipv6]']);
    expect(result.skipped).toEqual([{ node: 'c', reason: 'it has no ipv6 BGP address to peer with from fd42:198:18::a1' }]);
    // an IPv6 session address with an IPv4 address at hand: the router id is the IPv4 one
    expect(result.global?.routerId).toBe('198.18.0.111');
  });

  it('graceful restart, hold time, router id settings', () => {
    const gr = { enabled: true, restartTimeSeconds: 120, deferralTimeSeconds: 300 };
    const fixed = run('ipv6', V6, {}, { gracefulRestart: gr, holdTimeSeconds: 9, routerId: { kind: 'fixed', id: '10.0.0.1' } });
    expect(fixed.global).toMatchObject({ routerId: '10.0.0.1', gracefulRestart: gr });
    expect(fixed.peers.every((p) => p.gracefulRestart === gr && p.holdTimeSeconds === 9 && p.keepaliveSeconds === 3)).toBe(true);
    expect(run('ipv4', V4, {}, { routerId: { kind: 'generate' } }).global?.routerId).toBe(generatedRouterId(parseIP('198.18.0.11')));
  });
});

describe('generatedRouterId', () => {
  it.each([
    { ip: '198.18.0.11' },
    { ip: 'fd42:198:18::11' },
  ])('$ip: stable, dotted quad, not 0.0.0.0', ({ ip }) => {
    const id = generatedRouterId(parseIP(ip));
    expect(id).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(id).not.toBe('0.0.0.0');
    expect(generatedRouterId(parseIP(ip))).toBe(id);
  });
  it('differs between addresses', () => {
    expect(generatedRouterId(parseIP('fd42:198:18::11'))).not.toBe(generatedRouterId(parseIP('fd42:198:18::12')));
  });
  it('is FNV-1a over the 16-byte address, as kube-router computes it', () => {
    // FNV-1a 32 of ::ffff:198.18.0.11 (computed independently below)
    let h = 0x811c9dc5;
    for (const b of [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 11]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(generatedRouterId(parseIP('198.18.0.11'))).toBe([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].join('.'));
  });
});

describe('computePeers: external peers', () => {
  const R1 = parseIP('198.18.0.1');
  const R1v6 = parseIP('fd42:198:18::1');

  it.each([
    { stack: 'ipv4' as const, families: V4, peers: [{ address: R1, asn: 65000, port: 179, password: 'secret' }], want: ['global 198.18.0.1:179 asn=65000 from=198.18.0.11 [ipv4] password=secret ttl=3'] },
    { stack: 'ipv6' as const, families: V6, peers: [{ address: R1v6, asn: 65000, port: 1790 }], want: ['global fd42:198:18::1:1790 asn=65000 from=fd42:198:18::11 [ipv6] ttl=3'] },
    {
      stack: 'dual' as const,
      families: DUAL,
      // an IPv6 router from an IPv4-primary node: peered from the node's IPv6 address
      peers: [{ address: R1, asn: 65000, port: 179 }, { address: R1v6, asn: 65000, port: 179 }],
      want: ['global 198.18.0.1:179 asn=65000 from=198.18.0.11 [ipv4,ipv6] ttl=3', 'global fd42:198:18::1:179 asn=65000 from=fd42:198:18::11 [ipv4,ipv6] ttl=3'],
    },
  ])('$stack: --peer-router-* with multihop', ({ stack, families, peers, want }) => {
    const result = run(stack, families, {}, { externalPeers: peers, peerMultihopTtl: 3, enableIbgp: false });
    expect(brief(result.peers)).toEqual(want);
    expect(result.problems).toEqual([]);
  });

  it.each(STACKS)('$stack: node annotations kube-router.io/peer.*', ({ stack, families }) => {
    const v4 = families.ipv4 && stack !== 'ipv6';
    const v6 = families.ipv6;
    const ips = [...(v4 ? ['198.18.0.1'] : []), ...(v6 ? ['fd42:198:18::2'] : [])];
    const result = run(
      stack,
      families,
      {
        a: {
          'kube-router.io/peer.ips': ips.join(','),
          'kube-router.io/peer.asns': ips.map(() => '65000').join(','),
          'kube-router.io/peer.ports': ips.map((_, i) => (i === 0 ? '' : '1790')).join(','),
          'kube-router.io/peer.passwords': ips.map((_, i) => (i === 0 ? 'c2VjcmV0' : '')).join(','),
        },
      },
      { enableIbgp: false },
    );
    const all = ips.map((ip, i) => `node-annotation ${ip}:${i === 0 ? 179 : 1790} asn=65000 from=${ip.includes(':') ? 'fd42:198:18::11' : '198.18.0.11'} [${['ipv4', 'ipv6'].filter((f) => families[f as 'ipv4']).join(',')}]${i === 0 ? ' password=secret' : ''}`);
    expect(brief(result.peers)).toEqual(all);
    expect(result.problems).toEqual([]);
  });

  it('annotation peers are ignored while --peer-router-ips is set, and say so', () => {
    const result = run('ipv4', V4, { a: { 'kube-router.io/peer.ips': '198.18.0.2', 'kube-router.io/peer.asns': '65001' } }, { enableIbgp: false, externalPeers: [{ address: R1, asn: 65000, port: 179 }] });
    expect(result.peers.map((p) => p.address.address)).toEqual(['198.18.0.1']);
    expect(result.problems.map((p) => p.message)).toEqual(['Node a: metadata.annotations["kube-router.io/peer.ips"]: ignored: --peer-router-ips is set and takes precedence (as in kube-router)']);
  });
});

describe('computePeers: kube-router.io/peers (consolidated YAML)', () => {
  const YAML = [
    '- remoteip: 198.18.0.1',
    '  remoteasn: 65000',
    '  password: c2VjcmV0',
    '- remoteip: fd42:198:18::1',
    '  remoteasn: 65000',
    '  port: 1790',
    '  localip: fd42:198:18::11',
    '  bfd: { enabled: true }',
    '- remoteip: 198.18.0.2',
    '- remoteasn: 65001',
    '  remoteip: 198.18.0.2',
    '  password: "%%%"',
  ].join('\n');

  it.each([
    { stack: 'ipv4' as Stack, families: V4, want: ['node-annotation 198.18.0.1:179 asn=65000 from=198.18.0.11 [ipv4] password=secret'] },
    {
      stack: 'dual' as Stack,
      families: DUAL,
      want: ['node-annotation 198.18.0.1:179 asn=65000 from=198.18.0.11 [ipv4,ipv6] password=secret', 'node-annotation fd42:198:18::1:1790 asn=65000 from=fd42:198:18::11 [ipv4,ipv6]'],
    },
  ])('$stack: good entries apply, bad ones are reported, and it takes precedence over peer.*', ({ stack, families, want }) => {
    const result = run(stack, families, { a: { 'kube-router.io/peers': YAML, 'kube-router.io/peer.ips': '198.18.0.9', 'kube-router.io/peer.asns': '65009' } }, { enableIbgp: false });
    expect(brief(result.peers)).toEqual(want);
    const key = 'Node a: metadata.annotations["kube-router.io/peers"]';
    expect(result.problems.map((p) => p.message)).toEqual([
      'Node a: metadata.annotations["kube-router.io/peer.ips"]: ignored: kube-router.io/peers is set and takes precedence (as in kube-router)',
      'Node a: metadata.annotations["kube-router.io/peer.asns"]: ignored: kube-router.io/peers is set and takes precedence (as in kube-router)',
      `${key}: item 2: bfd is not supported and is ignored`,
      ...(families.ipv6 ? [] : [`${key}: item 2: remoteip: fd42:198:18::1: ipv6 is not enabled; peer skipped`]),
      `${key}: item 3: remoteasn is required; peer skipped`,
      `${key}: item 4: password: not valid base64; peer skipped`,
    ]);
  });

  it('unparsable YAML is reported and nothing else breaks', () => {
    const result = run('ipv4', V4, { a: { 'kube-router.io/peers': '- remoteip: [198.18.0.1' } });
    expect(result.problems[0]?.message).toMatch(/^Node a: metadata\.annotations\["kube-router\.io\/peers"\]: not valid YAML: /);
    expect(result.peers.map((p) => p.node)).toEqual(['b', 'c']);
  });
});

describe('computePeers: bad input is reported with node and annotation, the rest applies', () => {
  const cases: { name: string; stack: Stack; families: EnabledFamilies; annotations: Record<string, string>; peers: string[]; problems: string[] }[] = [
    {
      name: 'one bad IP, one reserved ASN, one bad base64, one bad port among good peers',
      stack: 'dual',
      families: DUAL,
      annotations: {
        'kube-router.io/peer.ips': '198.18.0.1,198.18.0.300,198.18.0.2,fd42:198:18::1,fd42:198:18::2',
        'kube-router.io/peer.asns': '65000,65000,23456,65000,65000',
        'kube-router.io/peer.passwords': ',,,not*base64,',
        'kube-router.io/peer.ports': ',,,,70000',
      },
      peers: ['198.18.0.1'],
      problems: [
        'Node a: metadata.annotations["kube-router.io/peer.ips"]: item 2: "198.18.0.300": not a valid IPv4 address (expected a.b.c.d); peer skipped',
        'Node a: metadata.annotations["kube-router.io/peer.asns"]: item 3: 23456 is a reserved ASN; peer skipped',
        'Node a: metadata.annotations["kube-router.io/peer.passwords"]: item 4: not valid base64; peer skipped',
        'Node a: metadata.annotations["kube-router.io/peer.ports"]: item 5: "70000" is not a port (1-65535); peer skipped',
      ],
    },
    {
      name: 'mismatched list lengths disable the annotated peers',
      stack: 'ipv4',
      families: V4,
      annotations: { 'kube-router.io/peer.ips': '198.18.0.1,198.18.0.2', 'kube-router.io/peer.asns': '65000' },
      peers: [],
      problems: ['Node a: metadata.annotations["kube-router.io/peer.asns"]: 1 ASNs for 2 kube-router.io/peer.ips; the lists must be of equal length (no annotated peer is used)'],
    },
    {
      name: 'optional list of the wrong length',
      stack: 'ipv6',
      families: V6,
      annotations: { 'kube-router.io/peer.ips': 'fd42:198:18::1', 'kube-router.io/peer.asns': '65000', 'kube-router.io/peer.localips': 'fd42:198:18::11,fd42:198:18::11' },
      peers: [],
      problems: ['Node a: metadata.annotations["kube-router.io/peer.localips"]: 2 items for 1 kube-router.io/peer.ips; give none or one per peer, blank for the default (no annotated peer is used)'],
    },
    {
      name: 'a peer of a disabled family, and a local IP of the wrong family',
      stack: 'ipv4',
      families: V4,
      annotations: { 'kube-router.io/peer.ips': 'fd42:198:18::1,198.18.0.2', 'kube-router.io/peer.asns': '65000,65001', 'kube-router.io/peer.localips': ',fd42:198:18::11' },
      peers: [],
      problems: [
        'Node a: metadata.annotations["kube-router.io/peer.ips"]: item 1: fd42:198:18::1: ipv6 is not enabled; peer skipped',
        'Node a: metadata.annotations["kube-router.io/peer.localips"]: item 2: fd42:198:18::11 is not of the peer\'s family (198.18.0.2); peer skipped',
      ],
    },
    {
      name: 'ASN out of range and a missing partner annotation',
      stack: 'dual-v6',
      families: DUAL,
      annotations: { 'kube-router.io/peer.asns': '65000', 'kube-router.io/node.asn': '4294967296', 'kube-router.io/rr.server': 'fd00::1' },
      peers: [],
      problems: [
        'Node a: metadata.annotations["kube-router.io/node.asn"]: 4294967296 is out of range 1..4294967295',
        'Node a: metadata.annotations["kube-router.io/rr.server"]: "fd00::1" is not a cluster id (a 32-bit number or an IPv4 address)',
        'Node a: metadata.annotations["kube-router.io/peer.asns"]: ignored: kube-router.io/peer.ips is missing',
      ],
    },
    {
      name: 'bgp-local-addresses with garbage and a disabled family',
      stack: 'ipv4',
      families: V4,
      annotations: { 'kube-router.io/bgp-local-addresses': 'nope,fd42:198:18::11,198.18.0.111' },
      peers: [],
      problems: [
        'Node a: metadata.annotations["kube-router.io/bgp-local-addresses"]: item 1 "nope": not a valid IPv4 address (expected a.b.c.d)',
        'Node a: metadata.annotations["kube-router.io/bgp-local-addresses"]: item 2 fd42:198:18::11: ipv6 is not enabled',
      ],
    },
  ];
  it.each(cases)('$name ($stack)', ({ stack, families, annotations, peers, problems }) => {
    const result = run(stack, families, { a: annotations }, { enableIbgp: false });
    expect(result.peers.map((p) => p.address.address)).toEqual(peers);
    expect(result.problems.map((p) => p.message)).toEqual(problems);
    expect(result.global).toBeDefined();
  });

  it('a node without addresses of an enabled family cannot run BGP, and says why', () => {
    const bare: V1Node = { kind: 'Node', metadata: { name: 'a' }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }] } };
    const result = computePeers({ self: bare, nodes: [bare], config: routerSettings(V6), families: V6 });
    expect(result.global).toBeUndefined();
    expect(result.problems.map((p) => p.message)).toEqual(['Node a: status.addresses: no ipv6 address: BGP cannot run on this node']);
  });

  it('--nodes-full-mesh=false without node.asn falls back to --cluster-asn and reports the node', () => {
    const result = run('ipv4', V4, {}, { nodesFullMesh: false });
    expect(result.global?.asn).toBe(64512);
    expect(result.problems.map((p) => p.message)).toEqual([
      'Node a: metadata.annotations["kube-router.io/node.asn"]: missing: --nodes-full-mesh=false needs the node\'s ASN; using --cluster-asn 64512',
    ]);
    expect(result.skipped.map((s) => s.node)).toEqual(['b', 'c']);
  });
});
