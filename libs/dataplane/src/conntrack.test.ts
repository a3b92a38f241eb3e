import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Family } from '@kr/ip';
import { DataplaneError } from '@kr/errors';
import { ConntrackExecutor } from './conntrack.js';
import { runTool } from './exec.js';
import { isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns } from './testing/index.js';

// Test IP plan (inside throwaway namespaces only): a client talking UDP to a service
// VIP that was DNATed to a backend.
//   IPv4 client 198.18.0.5, VIP 198.18.100.10:53, backend 198.18.0.20:5353
//   IPv6 client 2001:db8:1::5, VIP 2001:db8:100::10:53, backend 2001:db8:1::20:5353
const plan: Record<Family, { client: string; vip: string; backend: string }> = {
  ipv4: { client: '198.18.0.5', vip: '198.18.100.10', backend: '198.18.0.20' },
  ipv6: { client: '2001:db8:1::5', vip: '2001:db8:100::10', backend: '2001:db8:1::20' },
};

/** Create a NATed UDP flow entry directly (conntrack -I), as a DNATed packet would. */
async function insertFlow(netns: string, family: Family): Promise<void> {
  const p = plan[family];
  await runTool(
    // -I takes the family from the addresses; it rejects -f.
    ['conntrack', '-I', '-p', 'udp', '-s', p.client, '-d', p.vip, '--sport', '40000', '--dport', '53',
      '-r', p.backend, '-q', p.client, '--reply-port-src', '5353', '--reply-port-dst', '40000', '--timeout', '120'],
    { netns },
  );
}

async function flows(netns: string, family: Family): Promise<number> {
  const { stdout } = await runTool(['conntrack', '-L', '-f', family], { netns });
  return stdout.split('\n').filter(Boolean).length;
}

describe('ConntrackExecutor guards', () => {
  it('refuses an unfiltered delete', async () => {
    await expect(new ConntrackExecutor({ netns: 'kr-test-never-created' }).delete({ family: 'ipv4', protocol: 'udp' })).rejects.toThrow(
      /unfiltered/,
    );
  });
});

describe.skipIf(!isRoot())(`ConntrackExecutor in a fresh namespace${ROOT_REQUIRED}`, () => {
  let rootBefore = '';
  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
  });
  afterAll(async () => {
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it.each(['ipv4', 'ipv6'] as const)('%s: deleting with no match is not an error', async (family) => {
    await withNetns(async (netns) => {
      const result = await new ConntrackExecutor({ netns }).delete({ family, protocol: 'udp', origDst: plan[family].vip, dport: 53 });
      expect(result).toEqual({ deleted: 0 });
    });
  });

  it.each([
    { family: 'ipv4' as const, by: 'service VIP and port', filter: (p: (typeof plan)['ipv4']) => ({ origDst: p.vip, dport: 53 }) },
    { family: 'ipv6' as const, by: 'service VIP and port', filter: (p: (typeof plan)['ipv6']) => ({ origDst: p.vip, dport: 53 }) },
    { family: 'ipv4' as const, by: 'removed backend', filter: (p: (typeof plan)['ipv4']) => ({ replySrc: p.backend }) },
    { family: 'ipv6' as const, by: 'removed backend', filter: (p: (typeof plan)['ipv6']) => ({ replySrc: p.backend }) },
  ])('$family: deletes the flows of a $by, leaves the other family alone', async ({ family, filter }) => {
    await withNetns(async (netns) => {
      await insertFlow(netns, 'ipv4');
      await insertFlow(netns, 'ipv6');
      const conntrack = new ConntrackExecutor({ netns });
      // A non-matching port first: nothing goes.
      expect(await conntrack.delete({ family, protocol: 'udp', origDst: plan[family].vip, dport: 54 })).toEqual({ deleted: 0 });
      expect(await conntrack.delete({ family, protocol: 'udp', ...filter(plan[family]) })).toEqual({ deleted: 1 });
      expect(await flows(netns, family)).toBe(0);
      expect(await flows(netns, family === 'ipv4' ? 'ipv6' : 'ipv4')).toBe(1);
    });
  });

  it('a malformed filter is a DataplaneError', async () => {
    await withNetns(async (netns) => {
      const err = await new ConntrackExecutor({ netns }).delete({ family: 'ipv4', protocol: 'udp', origDst: 'not-an-ip' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataplaneError);
    });
  });
});
