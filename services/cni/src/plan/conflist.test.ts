import { describe, expect, it } from 'vitest';
import { parseCIDR } from '@kr/ip';
import { renderConflist } from '../model/conflist.js';
import { formatJson } from '../model/json.js';
import { existingConfig, planConflist, type CniConfFiles } from './conflist.js';

const TARGET = '/etc/cni/net.d/10-kuberouter.conflist';
const LEGACY = '/etc/cni/net.d/10-kuberouter.conf';
const DESIRED = { podCidrs: [parseCIDR('10.244.1.0/24'), parseCIDR('fd00:10:244:1::/64')], mtu: 1450, hairpinMode: false };
const LEGACY_TEXT = JSON.stringify({ cniVersion: '0.3.0', name: 'mynet', type: 'bridge', bridge: 'kube-bridge', isDefaultGateway: true, ipam: { type: 'host-local' } });
const current = formatJson(renderConflist(undefined, DESIRED).config);

function plan(files: CniConfFiles) {
  const existing = existingConfig(files);
  return { from: existing?.path, ...planConflist(files, existing, renderConflist(existing, DESIRED)) };
}

describe('planConflist', () => {
  it.each([
    { name: 'nothing there: write the template', files: { target: { path: TARGET }, legacy: { path: LEGACY } }, from: undefined, write: true, removeLegacy: undefined },
    { name: 'up to date: nothing', files: { target: { path: TARGET, text: current }, legacy: { path: LEGACY } }, from: TARGET, write: false, removeLegacy: undefined },
    {
      name: 'same content, other formatting: nothing',
      files: { target: { path: TARGET, text: JSON.stringify(JSON.parse(current)) } },
      from: TARGET,
      write: false,
      removeLegacy: undefined,
    },
    { name: 'legacy only: convert it, then remove it', files: { target: { path: TARGET }, legacy: { path: LEGACY, text: LEGACY_TEXT } }, from: LEGACY, write: true, removeLegacy: LEGACY },
    {
      name: 'both: the list wins, the shadowing legacy file goes',
      files: { target: { path: TARGET, text: current }, legacy: { path: LEGACY, text: LEGACY_TEXT } },
      from: TARGET,
      write: false,
      removeLegacy: LEGACY,
    },
    {
      name: 'a .json target holding a single plugin is converted in place',
      files: { target: { path: '/etc/cni/net.d/10-kr.json', text: LEGACY_TEXT } },
      from: '/etc/cni/net.d/10-kr.json',
      write: true,
      removeLegacy: undefined,
    },
  ])('$name', ({ files, from, write, removeLegacy }) => {
    const p = plan(files);
    expect(p.from).toBe(from);
    expect(p.write !== undefined).toBe(write);
    expect(p.removeLegacy).toBe(removeLegacy);
  });
});
