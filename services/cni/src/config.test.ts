import { describe, expect, it } from 'vitest';
import { commonFlagSpecs, parseFlags } from '@kr/agent';
import { ConfigError } from '@kr/errors';
import { DEFAULT_CNI_CONF_FILE, cniFlagSpecs, cniSettings, confPaths } from './config.js';

const parse = (argv: string[]) => parseFlags([...commonFlagSpecs('cni'), ...cniFlagSpecs()] as const, argv);

describe('CNI flags', () => {
  it("defaults are kube-router's", () => {
    const r = parse([]);
    if (r.kind !== 'run') throw new Error('expected run');
    expect(cniSettings(r.values)).toEqual({
      paths: { target: DEFAULT_CNI_CONF_FILE, legacy: '/etc/cni/net.d/10-kuberouter.conf' },
      autoMtu: true,
      hairpinMode: false,
      cleanup: false,
    });
  });

  it.each([
    { arg: '--cni-conf-file=net.d/10-kuberouter.conflist', reason: 'must be an absolute path' },
    { arg: '--cni-conf-file=/etc/cni/net.d/10-kuberouter.yaml', reason: 'must end in .conflist, .conf, .json' },
    { arg: '--cni-conf-file=/etc/cni/net.d/.hidden.conflist', reason: 'must not be a hidden file' },
    { arg: '--auto-mtu=maybe', reason: 'is not a boolean' },
  ])('$arg is refused', ({ arg, reason }) => {
    expect(() => parse([arg])).toThrow(ConfigError);
    expect(() => parse([arg])).toThrow(reason);
  });
});

describe('confPaths', () => {
  it.each([
    { file: '/etc/cni/net.d/10-kuberouter.conflist', want: { target: '/etc/cni/net.d/10-kuberouter.conflist', legacy: '/etc/cni/net.d/10-kuberouter.conf' } },
    { file: '/etc/cni/net.d/10-kuberouter.conf', want: { target: '/etc/cni/net.d/10-kuberouter.conflist', legacy: '/etc/cni/net.d/10-kuberouter.conf' } },
    { file: '/etc/cni/net.d/10-kuberouter.json', want: { target: '/etc/cni/net.d/10-kuberouter.json' } },
  ])('$file', ({ file, want }) => {
    expect(confPaths(file)).toEqual(want);
  });
});
