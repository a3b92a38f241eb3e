// Test IP plan: pods on node-a 10.244.1.5 / fd00:10:244:1::5.
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { computePolicyInventory } from './inventory.js';

const pod = (name: string, nodeName: string, ips: string[], extra: { hostNetwork?: boolean; phase?: string } = {}): V1Pod => ({
  metadata: { name, namespace: 'x' },
  spec: { nodeName, containers: [], ...(extra.hostNetwork ? { hostNetwork: true } : {}) },
  status: { phase: extra.phase ?? 'Running', podIPs: ips.map((ip) => ({ ip })) },
});

describe('computePolicyInventory', () => {
  it.each([
    { name: 'ipv4 pod', pods: [pod('p', 'node-a', ['10.244.1.5'])], local: 1 },
    { name: 'ipv6 pod', pods: [pod('p', 'node-a', ['fd00:10:244:1::5'])], local: 1 },
    { name: 'dual-stack pod', pods: [pod('p', 'node-a', ['10.244.1.5', 'fd00:10:244:1::5'])], local: 1 },
    { name: 'other node', pods: [pod('p', 'node-b', ['10.244.2.5'])], local: 0 },
    { name: 'host network', pods: [pod('p', 'node-a', ['198.18.0.11'], { hostNetwork: true })], local: 0 },
    { name: 'no address yet', pods: [pod('p', 'node-a', [])], local: 0 },
    { name: 'finished', pods: [pod('p', 'node-a', ['10.244.1.5'], { phase: 'Succeeded' })], local: 0 },
  ])('$name', ({ pods, local }) => {
    expect(computePolicyInventory([{ metadata: { name: 'deny', namespace: 'x' } }], pods, 'node-a')).toEqual({ policies: 1, localPods: local });
  });
});
