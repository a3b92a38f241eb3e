// PeerSpec ↔ GoBGP Peer mapping and the comparisons the plan layer diffs with.
//
// Test IP plan: this node 198.18.0.1 / fd42:198:18::1; node peers 198.18.0.2 and
// fd42:198:18::2; an external router at 198.18.1.254.
import { parseIP, type Family } from '@kr/ip';
import { gobgp, gobgpCap } from '@kr/proto/gobgp';
import { describe, expect, it } from 'vitest';
import type { PeerSpec } from '../../model/bgp-types.js';
import { packAny } from './any.js';
import { toApiFamily } from './families.js';
import { bgpGlobalEquals, decodeDescription, encodeDescription, fromApiGlobal, fromApiPeer, peerSpecDiff, peerSpecEquals, toApiGlobal, toApiPeer } from './peers.js';

const base: PeerSpec = {
  address: parseIP('198.18.0.2'),
  asn: 64512,
  port: 179,
  families: ['ipv4', 'ipv6'],
  holdTimeSeconds: 90,
  keepaliveSeconds: 30,
  source: 'node-mesh',
  node: 'node-b',
};

/** What ListPeer would report for an established peer configured from `peer`. */
function asListed(peer: gobgp.Peer, remoteFamilies: Family[]): gobgp.Peer {
  return {
    ...peer,
    state: gobgp.PeerState.fromPartial({
      sessionState: gobgp.PeerState_SessionState.ESTABLISHED,
      neighborAddress: peer.conf!.neighborAddress,
      remoteCap: remoteFamilies.map((f) => packAny('MultiProtocolCapability', gobgpCap.MultiProtocolCapability, { family: toApiFamily(f) })),
    }),
    timers: { ...peer.timers, state: gobgp.TimersState.fromPartial({ uptime: new Date('2026-01-01T00:00:00Z') }) },
    afiSafis: peer.afiSafis.map((a) => ({ ...a, state: gobgp.AfiSafiState.fromPartial({ received: 2, accepted: 1, advertised: 3 }) })),
  };
}

describe('toApiPeer / fromApiPeer', () => {
  const rows: { name: string; spec: PeerSpec }[] = [
    { name: 'IPv4 node peer carrying both families', spec: base },
    { name: 'IPv6 node peer carrying both families', spec: { ...base, address: parseIP('fd42:198:18::2'), localAddress: parseIP('fd42:198:18::1') } },
    { name: 'IPv4-only peer', spec: { ...base, families: ['ipv4'] } },
    { name: 'IPv6-only peer', spec: { ...base, address: parseIP('fd42:198:18::2'), families: ['ipv6'] } },
    {
      name: 'external peer with everything set',
      spec: {
        ...base,
        address: parseIP('198.18.1.254'),
        asn: 65001,
        port: 1179,
        localAddress: parseIP('198.18.0.1'),
        password: 'pa|ss',
        multihopTtl: 3,
        connectRetrySeconds: 10,
        gracefulRestart: { enabled: true, restartTimeSeconds: 90, deferralTimeSeconds: 360 },
        source: 'global',
        node: undefined,
        description: 'tor | rack 1',
      },
    },
    { name: 'route-reflector client', spec: { ...base, source: 'route-reflector', routeReflectorClient: { clusterId: '198.18.0.1' } } },
  ];
  it.each(rows)('$name round-trips through what GoBGP lists', ({ spec }) => {
    const api = toApiPeer(spec);
    expect(api.afiSafis.map((a) => a.config?.family)).toEqual(spec.families.map(toApiFamily));
    const observed = fromApiPeer(asListed(api, ['ipv4', 'ipv6']));
    expect(peerSpecDiff(spec, observed.spec)).toEqual([]);
    expect(observed.state).toBe('established');
    expect(observed.families).toEqual(spec.families);
    expect([observed.received, observed.accepted, observed.advertised]).toEqual([2 * spec.families.length, spec.families.length, 3 * spec.families.length]);
    expect(observed.uptime).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it('negotiated families are those both sides announce', () => {
    expect(fromApiPeer(asListed(toApiPeer(base), ['ipv6'])).families).toEqual(['ipv6']);
  });

  it('graceful restart asks for per-family graceful restart too', () => {
    const api = toApiPeer({ ...base, gracefulRestart: { enabled: true, restartTimeSeconds: 90, deferralTimeSeconds: 360 } });
    expect(api.gracefulRestart).toMatchObject({ enabled: true, restartTime: 90, deferralTime: 360, localRestarting: true });
    expect(api.afiSafis.map((a) => a.mpGracefulRestart?.config?.enabled)).toEqual([true, true]);
  });
});

describe('peerSpecDiff', () => {
  it.each([
    { change: { asn: 64513 }, diff: ['asn'] },
    { change: { port: 1179 }, diff: ['port'] },
    { change: { password: 'x' }, diff: ['password'] },
    { change: { families: ['ipv6'] as Family[] }, diff: ['families'] },
    { change: { families: ['ipv6', 'ipv4'] as Family[] }, diff: [] },
    { change: { holdTimeSeconds: 30, keepaliveSeconds: 10 }, diff: ['holdTimeSeconds', 'keepaliveSeconds'] },
    { change: { routeReflectorClient: { clusterId: '1.1.1.1' } }, diff: ['routeReflectorClient'] },
    { change: { multihopTtl: 2 }, diff: ['multihopTtl'] },
    { change: { gracefulRestart: { enabled: true, restartTimeSeconds: 1, deferralTimeSeconds: 2 } }, diff: ['gracefulRestart'] },
    { change: { gracefulRestart: { enabled: false, restartTimeSeconds: 1, deferralTimeSeconds: 2 } }, diff: [] },
    { change: { source: 'global' as const }, diff: ['source'] },
  ])('$change → $diff', ({ change, diff }) => {
    expect(peerSpecDiff({ ...base, ...change }, base)).toEqual(diff);
  });

  it('ignores what GoBGP fills in when we leave it to GoBGP', () => {
    const observed = { ...base, localAddress: parseIP('198.18.0.1'), connectRetrySeconds: 120 };
    expect(peerSpecEquals(base, observed)).toBe(true);
    expect(peerSpecDiff({ ...base, localAddress: parseIP('198.18.0.3') }, observed)).toEqual(['localAddress']);
    expect(peerSpecDiff({ ...base, connectRetrySeconds: 5 }, observed)).toEqual(['connectRetrySeconds']);
  });
});

describe('peer descriptions', () => {
  it.each([
    { spec: { source: 'node-mesh' as const, node: 'node-b' }, text: 'kr|node-mesh|node-b|' },
    { spec: { source: 'global' as const, description: 'a|b' }, text: 'kr|global||a|b' },
  ])('$text', ({ spec, text }) => {
    expect(encodeDescription(spec)).toBe(text);
    expect(decodeDescription(text)).toEqual(spec);
  });
  it('a peer added by someone else is reported as global with its text', () => {
    expect(decodeDescription('added by hand')).toEqual({ source: 'global', description: 'added by hand' });
  });
});

describe('global', () => {
  const global = { asn: 64512, routerId: '198.18.0.1', listenPort: 179, listenAddresses: ['198.18.0.1', 'fd42:198:18::1'] };
  it('reads back, and ASN 0 means not started', () => {
    expect(fromApiGlobal(toApiGlobal(global))).toEqual(global);
    expect(fromApiGlobal(gobgp.Global.fromPartial({}))).toBeUndefined();
  });
  it.each([
    { other: { listenAddresses: ['fd42:198:18:0::1', '198.18.0.1'] }, equal: true },
    { other: { asn: 64513 }, equal: false },
    { other: { routerId: '198.18.0.2' }, equal: false },
    { other: { listenPort: -1 }, equal: false },
  ])('$other → equal $equal', ({ other, equal }) => {
    expect(bgpGlobalEquals(global, { ...global, ...other })).toBe(equal);
  });
});
