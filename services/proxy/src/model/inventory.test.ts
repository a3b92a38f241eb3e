// Test IP plan: ClusterIPs 10.96.0.10 / fd00:10:96::10; endpoints 10.244.1.5-6 / fd00:10:244:1::5-6.
import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { computeServiceInventory } from './inventory.js';

const svc = (name: string, spec: V1Service['spec']): V1Service => ({ metadata: { name, namespace: 'x' }, spec });
const slice = (addressType: string, eps: [string, boolean | undefined][]): V1EndpointSlice => ({
  addressType,
  endpoints: eps.map(([ip, ready]) => ({ addresses: [ip], ...(ready === undefined ? {} : { conditions: { ready } }) })),
});

const SERVICES = [
  svc('web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00:10:96::10'] }),
  svc('headless', { clusterIP: 'None' }),
  svc('external', { type: 'ExternalName', externalName: 'example.org' }),
];
const SLICES = [
  slice('IPv4', [['10.244.1.5', true], ['10.244.1.6', false]]),
  slice('IPv6', [['fd00:10:244:1::5', undefined], ['fd00:10:244:1::6', true]]),
  slice('FQDN', [['example.org', true]]),
];

describe('computeServiceInventory', () => {
  it.each([
    { stack: 'ipv4', families: { ipv4: true, ipv6: false }, ready: 1 },
    { stack: 'ipv6 (a nil ready condition counts as ready)', families: { ipv4: false, ipv6: true }, ready: 2 },
    { stack: 'dual', families: { ipv4: true, ipv6: true }, ready: 3 },
  ])('$stack', ({ families, ready }) => {
    expect(computeServiceInventory(SERVICES, SLICES, families)).toEqual({ services: 1, readyEndpoints: ready });
  });
});
