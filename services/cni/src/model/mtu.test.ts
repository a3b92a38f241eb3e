import { describe, expect, it } from 'vitest';
import { nodestate } from '@kr/proto';
import { computePodMtu, overlayOverheadOf, type OverlayOverhead } from './mtu.js';

// ipip adds 20 bytes over IPv4 and 40 over IPv6 (ip6tnl); vxlan 50 and 70.
const IPIP: OverlayOverhead = { encap: 'ipip', ipv4: 20, ipv6: 40 };
const VXLAN: OverlayOverhead = { encap: 'vxlan', ipv4: 50, ipv6: 70 };

describe('computePodMtu', () => {
  it.each([
    { stack: 'ipv4', families: ['ipv4'], overlay: undefined, want: 1500 },
    { stack: 'ipv6', families: ['ipv6'], overlay: undefined, want: 1500 },
    { stack: 'ipv4', families: ['ipv4'], overlay: IPIP, want: 1480 },
    { stack: 'ipv6', families: ['ipv6'], overlay: IPIP, want: 1460 },
    { stack: 'dual: the worse tunnel wins', families: ['ipv4', 'ipv6'], overlay: VXLAN, want: 1430 },
    { stack: 'dual-v6', families: ['ipv6', 'ipv4'], overlay: VXLAN, want: 1430 },
  ] as const)('$stack, overlay $overlay.encap → $want', ({ families, overlay, want }) => {
    expect(computePodMtu(1500, overlay, families)).toEqual({ ok: true, mtu: want, overhead: 1500 - want });
  });

  it.each([
    { families: ['ipv6'], mtu: 1300, overlay: VXLAN, reason: 'interface MTU 1300 minus vxlan overhead 70 leaves 1230, below the minimum 1280 for ipv6' },
    { families: ['ipv4', 'ipv6'], mtu: 1280, overlay: IPIP, reason: 'interface MTU 1280 minus ipip overhead 40 leaves 1240, below the minimum 1280 for ipv4 and ipv6' },
    { families: ['ipv4'], mtu: 60, overlay: undefined, reason: 'interface MTU 60 leaves 60, below the minimum 68 for ipv4' },
  ] as const)('refuses an MTU IPv6 or IPv4 cannot run on: $reason', ({ families, mtu, overlay, reason }) => {
    expect(computePodMtu(mtu, overlay, families)).toEqual({ ok: false, reason });
  });
});

describe('overlayOverheadOf', () => {
  const router = (encap: string) => nodestate.RouterState.fromPartial({ overlayEncap: encap, overlayOverheadIpv4: 20, overlayOverheadIpv6: 40 });
  it('reads the router section; no overlay or no router means no overhead', () => {
    expect(overlayOverheadOf(router('ipip'))).toEqual(IPIP);
    expect(overlayOverheadOf(router(''))).toBeUndefined();
    expect(overlayOverheadOf(undefined)).toBeUndefined();
  });
});
