// What `wait` and `status` read: `kr status --json` and `kr peers --json` per node, pods'
// phases.
// Test IP plan: node2 198.18.0.12, node3 198.18.0.13, ext1 198.18.0.201 (an external
// peer, which `wait` does not wait for).
import { describe, expect, it } from 'vitest';
import { isSynced, parseKrPeers, parseKrStatus } from './controllers.js';
import { SESSION_SETTLE_MS, controllersNotSynced, podsNotRunning, sessionsNotSettled } from './wait.js';

// The shape `kr status --json` prints (services/ctl statusJson), trimmed.
const KR_STATUS = {
  node: 'node1',
  bus: { url: 'nats://127.0.0.1:4222', connected: true },
  controllers: {
    cni: { health: 'healthy', admin: { address: '127.0.0.1:50064', reachable: true, serving: 'SERVING', status: { controller: 'cni', health: 'HEALTH_HEALTHY', header: { owner: 'cni', syncs: '3' } } } },
    router: {
      health: 'healthy',
      admin: { address: '127.0.0.1:50061', reachable: true, status: { controller: 'router', header: { owner: 'router', syncPending: true } } },
    },
    proxy: {
      health: 'degraded',
      admin: { address: '127.0.0.1:50062', reachable: true, status: { healthReasons: ['bus unreachable'], header: { owner: 'proxy' } } },
    },
    firewall: { health: 'absent', admin: { address: '127.0.0.1:50063', reachable: false, error: 'not running (admin API unreachable)' }, section: null },
  },
};

describe('parseKrStatus', () => {
  it('reads health, syncPending (absent = false) and reasons of the listed controllers only', () => {
    expect(parseKrStatus(KR_STATUS, ['cni', 'router', 'proxy', 'firewall'])).toEqual({
      cni: { health: 'healthy', syncPending: false, reasons: [] },
      router: { health: 'healthy', syncPending: true, reasons: [] },
      proxy: { health: 'degraded', syncPending: false, reasons: ['bus unreachable'] },
      firewall: { health: 'absent', syncPending: false, reasons: ['not running (admin API unreachable)'] },
    });
    expect(Object.keys(parseKrStatus(KR_STATUS, ['cni']))).toEqual(['cni']);
    expect(parseKrStatus({}, ['cni'])).toEqual({ cni: { health: 'absent', syncPending: false, reasons: [] } });
  });

  it('counts only healthy controllers with nothing pending as synced', () => {
    const byController = parseKrStatus(KR_STATUS, ['cni', 'router', 'proxy', 'firewall']);
    expect(Object.entries(byController).filter(([, h]) => isSynced(h)).map(([c]) => c)).toEqual(['cni']);
    expect(controllersNotSynced({ node1: byController })).toEqual([
      'node1/router: healthy, sync pending',
      'node1/proxy: degraded (bus unreachable)',
      'node1/firewall: absent (not running (admin API unreachable))',
    ]);
  });
});

describe('podsNotRunning', () => {
  it('lists pending and terminating pods with why', () => {
    expect(
      podsNotRunning([
        { metadata: { namespace: 'a', name: 'ok' }, spec: { nodeName: 'node1' }, status: { phase: 'Running' } },
        { metadata: { namespace: 'a', name: 'net' }, spec: { nodeName: 'node1' }, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'NetworkNotReady', message: 'no CNI configuration' }] } },
        { metadata: { namespace: 'a', name: 'bye', deletionTimestamp: '2025-01-01T00:00:00Z' }, spec: { nodeName: 'node1' }, status: { phase: 'Running' } },
        { metadata: { namespace: 'b', name: 'new' }, spec: {}, status: { phase: 'Pending' } },
      ]),
    ).toEqual(['pod a/net: Pending (NetworkNotReady: no CNI configuration)', 'pod a/bye: Terminating', 'pod b/new: Pending (not scheduled yet)']);
  });
});

// The shape `kr peers --json` prints (services/ctl), trimmed.
const KR_PEERS = {
  router: { node: 'node1', localAsn: 64512 },
  peers: [
    { peer: { address: { family: 'FAMILY_IPV4', ip: '198.18.0.12' }, source: 'PEER_SOURCE_NODE_MESH', state: 'BGP_SESSION_STATE_ESTABLISHED', node: 'node2', stateSince: '2026-11-26T09:42:09.000Z' } },
    { peer: { address: { family: 'FAMILY_IPV4', ip: '198.18.0.13' }, source: 'PEER_SOURCE_NODE_MESH', state: 'BGP_SESSION_STATE_ACTIVE', node: 'node3' } },
    { peer: { address: { family: 'FAMILY_IPV4', ip: '198.18.0.201' }, source: 'PEER_SOURCE_GLOBAL', state: 'BGP_SESSION_STATE_ACTIVE' } },
  ],
};

describe('sessionsNotSettled', () => {
  const sessions = parseKrPeers(KR_PEERS);
  const established = Date.parse('2026-11-26T09:42:09.000Z');

  it('reads the sessions with other nodes only', () => {
    expect(sessions).toEqual([
      { node: 'node2', address: '198.18.0.12', state: 'established', since: '2026-11-26T09:42:09.000Z' },
      { node: 'node3', address: '198.18.0.13', state: 'active' },
    ]);
    expect(parseKrPeers({})).toEqual([]);
  });

  it.each([
    { name: 'just established', now: established + 500, want: ['node1/router: BGP session with node2 (198.18.0.12) has only just been established', 'node1/router: BGP session with node3 (198.18.0.13) is active'] },
    { name: 'settled', now: established + SESSION_SETTLE_MS, want: ['node1/router: BGP session with node3 (198.18.0.13) is active'] },
  ])('names sessions not up, or $name', ({ now, want }) => {
    expect(sessionsNotSettled({ node1: sessions }, now)).toEqual(want);
  });

  it('waits for a node whose router cannot be asked, and for nobody when all are settled', () => {
    expect(sessionsNotSettled({ node1: 'kr peers failed: exit 1' }, established)).toEqual(['node1/router: kr peers failed: exit 1']);
    expect(sessionsNotSettled({ node1: sessions.filter((s) => s.state === 'established'), node2: [] }, established + 60_000)).toEqual([]);
  });
});
