// Community text as kube-router annotations write it ↔ GoBGP's "asn:value".
// Test IP plan: none (no addresses involved).
import { describe, expect, it } from 'vitest';
import { canonicalCommunities, formatCommunity, parseCommunity, tryParseCommunity } from './communities.js';
import { DEFAULT_GOBGP_ADDRESS, DEFAULT_GOBGP_PORT, gobgpTarget } from './client.js';

describe('communities', () => {
  it.each([
    { text: '64512:100', value: 64512 * 65536 + 100 },
    { text: '0:0', value: 0 },
    { text: '65535:65535', value: 0xffffffff },
    { text: '4227858532', value: 4227858532 },
    { text: 'no-export', value: 0xffffff01 },
    { text: 'NO_ADVERTISE', value: 0xffffff02 },
    { text: ' blackhole ', value: 0xffff029a },
  ])('$text → $value', ({ text, value }) => {
    expect(parseCommunity(text)).toBe(value);
    expect(parseCommunity(formatCommunity(value))).toBe(value);
  });

  it.each(['65536:1', '1:65536', '4294967296', '1:2:3', 'no-such-name', '', '-1'])('%j is refused', (text) => {
    expect(tryParseCommunity(text)).toBeUndefined();
    expect(() => parseCommunity(text)).toThrow(/community/);
  });

  it('canonical lists are sorted, de-duplicated and in asn:value form', () => {
    expect(canonicalCommunities(['no-export', '64512:100', '4227858532', '64512:100'])).toEqual(['64512:100', '65535:65281']);
    expect(canonicalCommunities(undefined)).toEqual([]);
  });
});

describe('gobgpTarget', () => {
  it.each([
    { address: DEFAULT_GOBGP_ADDRESS, port: DEFAULT_GOBGP_PORT, target: '127.0.0.1:50051' },
    { address: '::1', port: 50051, target: '[::1]:50051' },
    { address: 'unix:///run/gobgp.sock', port: 0, target: 'unix:///run/gobgp.sock' },
  ])('$address $port → $target', ({ address, port, target }) => {
    expect(gobgpTarget(address, port)).toBe(target);
  });
});
