import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { SysctlExecutor } from './sysctl.js';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from './testing/index.js';

// No addresses: per-namespace forwarding and conntrack-free knobs, IPv4 and IPv6 rows.

describe('SysctlExecutor key checks', () => {
  it.each(['-w', '', 'net..ipv4', 'net/ipv4/../../kernel', 'a b', 'x=1'])('rejects key %j before running anything', async (key) => {
    await expect(new SysctlExecutor({ netns: 'kr-test-never-created' }).get(key)).rejects.toThrow(DataplaneError);
  });
});

describe.skipIf(!isRoot())(`SysctlExecutor in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it.each([
    { name: 'IPv4 forwarding', key: 'net.ipv4.ip_forward', initial: '0', value: 1 },
    { name: 'IPv6 forwarding', key: 'net.ipv6.conf.all.forwarding', initial: '0', value: '1' },
    { name: 'IPv6 on lo, slash form', key: 'net/ipv6/conf/lo/disable_ipv6', initial: '0', value: 1 },
    { name: 'multi-value key', key: 'net.ipv4.ip_local_port_range', initial: '32768 60999', value: '20000\t30000' },
  ])('$name: set → changed, set again → unchanged, get reads it', async ({ key, initial, value }) => {
    await withNetns(async (netns) => {
      const sysctl = new SysctlExecutor({ netns });
      expect(await sysctl.get(key)).toBe(initial);
      expect(await sysctl.set(key, value)).toEqual({ changed: true, previous: initial });
      const normalised = String(value).split(/\s+/).join(' ');
      expect(await sysctl.set(key, value)).toEqual({ changed: false, previous: normalised });
      expect(await sysctl.get(key)).toBe(normalised);
    });
  });

  it('an unknown key is a DataplaneError naming sysctl', async () => {
    await withNetns(async (netns) => {
      const err = (await new SysctlExecutor({ netns }).get('net.ipv4.kr_no_such_key').catch((e: unknown) => e)) as DataplaneError;
      expect(err).toBeInstanceOf(DataplaneError);
      expect(err.command).toContain('sysctl');
      expect(err.stderr).toMatch(/No such file|cannot stat/);
    });
  });
});
