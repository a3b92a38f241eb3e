// The configuration list, compared whole against golden files in ./testdata.
// Regenerate them with UPDATE_GOLDEN=1 and review the diff.
//
// Test IP plan:
//   node pod CIDRs   10.244.1.0/24 (IPv4), fd00:10:244:1::/64 (IPv6)
//   stale pod CIDRs  10.244.9.0/24, fd00:10:244:9::/64 (an earlier allocation)
//   gateways         10.244.1.1/24, fd00:10:244:1::1/64 (host-local's default: first address)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { parseCIDR } from '@kr/ip';
import { gatewayInterfaceAddress, parseCniConfig, planConflistCleanup, renderConflist, type ExistingCniConfig } from './conflist.js';
import { formatJson, type JsonObject } from './json.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const V4 = parseCIDR('10.244.1.0/24');
const V6 = parseCIDR('fd00:10:244:1::/64');
const STACKS = {
  ipv4: [V4],
  ipv6: [V6],
  dual: [V4, V6],
  'dual-v6': [V6, V4],
} as const;

function golden(name: string, actual: string): void {
  const path = join(TESTDATA, name);
  if (process.env['UPDATE_GOLDEN']) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

function input(name: string): ExistingCniConfig {
  const path = `/etc/cni/net.d/${name.replace('.input', '')}`;
  return parseCniConfig(path, readFileSync(join(TESTDATA, name), 'utf8'));
}

describe('renderConflist from nothing (kube-router template)', () => {
  it.each([
    { stack: 'ipv4', gateways: ['10.244.1.1/24'] },
    { stack: 'ipv6', gateways: ['fd00:10:244:1::1/64'] },
    { stack: 'dual', gateways: ['10.244.1.1/24', 'fd00:10:244:1::1/64'] },
    { stack: 'dual-v6', gateways: ['fd00:10:244:1::1/64', '10.244.1.1/24'] },
  ] as const)('$stack node: one range set per family in the node order', ({ stack, gateways }) => {
    const r = renderConflist(undefined, { podCidrs: STACKS[stack], mtu: 1450, hairpinMode: false });
    golden(`fresh-${stack}.conflist`, formatJson(r.config));
    expect(r.gateways.map(gatewayInterfaceAddress)).toEqual(gateways);
    expect(r.mtu).toBe(1450);
    expect(r.hairpinMode).toBe(false);
    expect(r.notes).toEqual([]);
  });

  it('--hairpin-mode turns hairpinMode on; without auto-MTU no mtu is written', () => {
    const r = renderConflist(undefined, { podCidrs: STACKS.dual, hairpinMode: true });
    const bridge = (r.config['plugins'] as JsonObject[])[0] as JsonObject;
    expect(bridge['hairpinMode']).toBe(true);
    expect(bridge).not.toHaveProperty('mtu');
    expect(r.mtu).toBeUndefined();
  });
});

describe('renderConflist keeps what a user added', () => {
  it('chained plugins, extra fields, custom name; drops the stale range, keeps the refined one', () => {
    const r = renderConflist(input('user-edited.input.conflist'), { podCidrs: STACKS.dual, mtu: 1450, hairpinMode: false });
    golden('user-edited.conflist', formatJson(r.config));
    // hairpinMode the user set survives --hairpin-mode=false.
    expect(r.hairpinMode).toBe(true);
    expect(r.notes).toEqual(['range "10.244.9.0/24" removed: not a pod CIDR of this node']);
  });

  it('is a fixed point: rendering its own output changes nothing', () => {
    for (const podCidrs of Object.values(STACKS)) {
      const first = renderConflist(input('user-edited.input.conflist'), { podCidrs, mtu: 1450, hairpinMode: true });
      const again = renderConflist({ kind: 'conflist', path: '/x.conflist', value: first.config }, { podCidrs, mtu: 1450, hairpinMode: true });
      expect(formatJson(again.config)).toBe(formatJson(first.config));
      expect(again.notes).toEqual([]);
    }
  });

  it("kube-router's hostport template: portmap stays chained after the bridge", () => {
    const r = renderConflist(input('kube-router-hairpin.input.conflist'), { podCidrs: STACKS['dual-v6'], mtu: 8950, hairpinMode: false });
    golden('kube-router-hairpin.conflist', formatJson(r.config));
  });

  it('a list without a bridge plugin gets ours in front of the chain', () => {
    const existing: ExistingCniConfig = { kind: 'conflist', path: '/x.conflist', value: { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'portmap' }] } };
    const r = renderConflist(existing, { podCidrs: STACKS.ipv4, hairpinMode: false });
    expect((r.config['plugins'] as JsonObject[]).map((p) => p['type'])).toEqual(['bridge', 'portmap']);
    expect(r.config['cniVersion']).toBe('1.0.0');
  });

  it('a user gateway inside the range is the gateway; one outside it is dropped with a note', () => {
    const value = (gateway: string): JsonObject => ({
      cniVersion: '0.3.1',
      name: 'n',
      plugins: [{ type: 'bridge', ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24', gateway }]] } }],
    });
    const inside = renderConflist({ kind: 'conflist', path: '/x', value: value('10.244.1.254') }, { podCidrs: STACKS.ipv4, hairpinMode: false });
    expect(inside.gateways.map(gatewayInterfaceAddress)).toEqual(['10.244.1.254/24']);
    const outside = renderConflist({ kind: 'conflist', path: '/x', value: value('10.244.2.1') }, { podCidrs: STACKS.ipv4, hairpinMode: false });
    expect(outside.gateways.map(gatewayInterfaceAddress)).toEqual(['10.244.1.1/24']);
    expect(outside.notes).toEqual(['gateway "10.244.2.1" of range 10.244.1.0/24 removed: not a usable address of the range']);
  });

  it('raises a cniVersion too old for chained plugins and several IPs', () => {
    const existing: ExistingCniConfig = { kind: 'conflist', path: '/x', value: { cniVersion: '0.2.0', name: 'n', plugins: [{ type: 'bridge' }] } };
    const r = renderConflist(existing, { podCidrs: STACKS.dual, hairpinMode: false });
    expect(r.config['cniVersion']).toBe('0.3.0');
    expect(r.notes[0]).toMatch(/cniVersion "0.2.0" raised to 0.3.0/);
  });
});

describe('legacy single-plugin configuration', () => {
  it("kube-router's 10-kuberouter.conf with an ipam subnet becomes a list with ranges", () => {
    const r = renderConflist(input('legacy.input.conf'), { podCidrs: STACKS.dual, mtu: 1500, hairpinMode: false });
    golden('legacy.conflist', formatJson(r.config));
    expect(r.notes).toEqual(['converted the single-plugin configuration /etc/cni/net.d/legacy.conf into a configuration list']);
  });
});

describe('bad configuration files are refused, never overwritten', () => {
  it.each([
    { name: 'not JSON', text: '{"cniVersion": "0.3.0",', reason: /is not valid JSON/ },
    { name: 'not an object', text: '[]', reason: /does not hold a JSON object/ },
    { name: 'empty plugin list', text: '{"name":"n","plugins":[]}', reason: /"plugins" must be a non-empty list/ },
    { name: 'plugin without type', text: '{"name":"n","plugins":[{"bridge":"x"}]}', reason: /"plugins" must be a non-empty list/ },
    { name: 'neither', text: '{"name":"n"}', reason: /neither a configuration list/ },
  ])('$name', ({ text, reason }) => {
    const err = (() => {
      try {
        parseCniConfig('/etc/cni/net.d/10-kuberouter.conflist', text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).flag).toBe('--cni-conf-file');
    expect((err as Error).message).toMatch(reason);
  });

  it('an IPAM other than host-local is an error naming it', () => {
    const existing: ExistingCniConfig = { kind: 'conflist', path: '/x', value: { name: 'n', plugins: [{ type: 'bridge', ipam: { type: 'dhcp' } }] } };
    expect(() => renderConflist(existing, { podCidrs: STACKS.ipv4, hairpinMode: false })).toThrow(/IPAM is "dhcp"; only host-local/);
  });
});

describe('planConflistCleanup', () => {
  it.each(Object.keys(STACKS) as (keyof typeof STACKS)[])('%s: a list we wrote from scratch is deleted', (stack) => {
    for (const hairpinMode of [false, true]) {
      const r = renderConflist(undefined, { podCidrs: STACKS[stack], mtu: 1450, hairpinMode });
      expect(planConflistCleanup({ kind: 'conflist', path: '/x', value: r.config }, hairpinMode)).toEqual({ action: 'delete' });
    }
  });

  it('a list with user additions keeps them and loses only ranges and MTU', () => {
    const r = renderConflist(input('user-edited.input.conflist'), { podCidrs: STACKS.dual, mtu: 1450, hairpinMode: false });
    const plan = planConflistCleanup({ kind: 'conflist', path: '/x', value: r.config }, false);
    expect(plan.action).toBe('write');
    const config = (plan as { config: JsonObject }).config;
    golden('user-edited.cleaned.conflist', formatJson(config));
    expect(planConflistCleanup({ kind: 'conflist', path: '/x', value: config }, false)).toEqual({ action: 'keep' });
  });
});
