// Test IP plan:
//   gateways  10.244.1.1/24, fd00:10:244:1::1/64; stale 10.244.9.1/24, fd00:10:244:9::1/64
//   link-local fe80::1/64 (the kernel's)
import { describe, expect, it } from 'vitest';
import { planBridge, type BridgeAddress, type BridgeObserved } from './bridge.js';

const G4: BridgeAddress = { family: 'ipv4', ip: '10.244.1.1', prefixLength: 24 };
const G6: BridgeAddress = { family: 'ipv6', ip: 'fd00:10:244:1::1', prefixLength: 64 };
const STALE4 = { family: 'ipv4', ip: '10.244.9.1', prefixLength: 24, scope: 'global' } as const;
const STALE6 = { family: 'ipv6', ip: 'fd00:10:244:9::1', prefixLength: 64, scope: 'global' } as const;
const LL = { family: 'ipv6', ip: 'fe80::1', prefixLength: 64, scope: 'link' } as const;
const up = (mtu: number, ...addresses: BridgeObserved['addresses']): BridgeObserved => ({ link: { kind: 'bridge', mtu, up: true }, addresses });
const g = (a: BridgeAddress) => ({ ...a, scope: 'global' });

describe('planBridge', () => {
  it.each([
    {
      name: 'ipv4, absent bridge',
      addresses: [G4],
      observed: { addresses: [] },
      link: ['link add name kube-bridge type bridge', 'link set dev kube-bridge mtu 1450', 'link set dev kube-bridge up'],
      addr: ['address replace 10.244.1.1/24 dev kube-bridge'],
    },
    {
      name: 'ipv6, absent bridge (nodad)',
      addresses: [G6],
      observed: { addresses: [] },
      link: ['link add name kube-bridge type bridge', 'link set dev kube-bridge mtu 1450', 'link set dev kube-bridge up'],
      addr: ['address replace fd00:10:244:1::1/64 dev kube-bridge nodad'],
    },
    { name: 'dual, in place: nothing to do', addresses: [G4, G6], observed: up(1450, g(G4), g(G6), LL), link: [], addr: [] },
    { name: 'dual-v6, in place: nothing to do', addresses: [G6, G4], observed: up(1450, LL, g(G6), g(G4)), link: [], addr: [] },
    {
      name: 'dual, stale CIDRs and wrong MTU: delete the old, add the new, keep link-local',
      addresses: [G4, G6],
      observed: up(1500, STALE4, STALE6, LL),
      link: ['link set dev kube-bridge mtu 1450'],
      addr: [
        'address del 10.244.9.1/24 dev kube-bridge',
        'address del fd00:10:244:9::1/64 dev kube-bridge',
        'address replace 10.244.1.1/24 dev kube-bridge',
        'address replace fd00:10:244:1::1/64 dev kube-bridge nodad',
      ],
    },
    {
      name: 'ipv4 only now: the IPv6 gateway goes; a different prefix length is another address',
      addresses: [G4],
      observed: { link: { kind: 'bridge', mtu: 1450, up: false }, addresses: [{ ...g(G4), prefixLength: 16 }, g(G6)] },
      link: ['link set dev kube-bridge up'],
      addr: ['address del 10.244.1.1/16 dev kube-bridge', 'address del fd00:10:244:1::1/64 dev kube-bridge', 'address replace 10.244.1.1/24 dev kube-bridge'],
    },
  ] as const)('$name', ({ addresses, observed, link, addr }) => {
    expect(planBridge({ name: 'kube-bridge', mtu: 1450, addresses }, observed)).toEqual({ ok: true, linkLines: link, addressLines: addr });
  });

  it('leaves the MTU alone without one to set', () => {
    expect(planBridge({ name: 'kube-bridge', addresses: [G4] }, up(9000, g(G4)))).toEqual({ ok: true, linkLines: [], addressLines: [] });
  });

  it('refuses to adopt an interface of another kind under our name', () => {
    const r = planBridge({ name: 'kube-bridge', addresses: [G4] }, { link: { kind: 'veth', mtu: 1500, up: true }, addresses: [] });
    expect(r).toEqual({ ok: false, reason: 'kube-bridge exists but is a veth interface, not a bridge; remove or rename it' });
  });
});
