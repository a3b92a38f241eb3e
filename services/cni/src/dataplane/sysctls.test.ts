import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { SysctlExecutor } from '@kr/dataplane';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from '@kr/dataplane/testing';
import { applySysctls, readOptionalSysctl } from './sysctls.js';

// br_netfilter's keys may be absent; an absent optional key is reported, not fatal.
const ABSENT = { key: 'net/bridge/kr-test-no-such-key', value: '1', why: 'test', optional: true };

describe.skipIf(!isRoot())(`applySysctls in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it('applies in order, reports what changed and what is missing; twice changes nothing', async () => {
    await withNetns(async (netns) => {
      const sysctl = new SysctlExecutor({ netns });
      const settings = [{ key: 'net/ipv4/ip_forward', value: '1', why: 'v4' }, { key: 'net/ipv6/conf/all/forwarding', value: '1', why: 'v6' }, ABSENT];
      const first = await applySysctls(sysctl, settings);
      expect(first.changed.map((c) => [c.key, c.previous])).toEqual([['net/ipv4/ip_forward', '0'], ['net/ipv6/conf/all/forwarding', '0']]);
      expect(first.missing).toEqual([ABSENT]);
      const second = await applySysctls(sysctl, settings);
      expect(second.changed).toEqual([]);
      expect(await readOptionalSysctl(sysctl, 'net/ipv4/ip_forward')).toBe('1');
      expect(await readOptionalSysctl(sysctl, 'net/ipv6/conf/nodev/accept_ra')).toBeUndefined();
    });
  });

  it('a missing key that is not optional fails with DataplaneError', async () => {
    await withNetns(async (netns) => {
      const err = await applySysctls(new SysctlExecutor({ netns }), [{ ...ABSENT, optional: false }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataplaneError);
    });
  });
});
