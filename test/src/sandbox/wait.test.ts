// What `wait` and `status` read: `kr status --json` per node, pods' phases.
// Test IP plan: none needed (no addresses are compared here).
import { describe, expect, it } from 'vitest';
import { isSynced, parseKrStatus } from './controllers.js';
import { controllersNotSynced, podsNotRunning } from './wait.js';

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
