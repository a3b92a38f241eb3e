// Test IP plan: cluster IPs 10.96.0.0/12, fd00:96::/112; external 198.51.100.0/24,
// 2001:db8:51::/64; LB 203.0.113.0/24, 2001:db8:113::/64.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { parseIP, type EnabledFamilies } from '@kr/ip';
import { externalIpRejection, loadBalancerIpRejection, serviceIpRanges, type ServiceRangeFlagValues } from './ranges.js';

const V4: EnabledFamilies = { ipv4: true, ipv6: false };
const V6: EnabledFamilies = { ipv4: false, ipv6: true };
const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

function flags(overrides: Partial<ServiceRangeFlagValues> = {}): ServiceRangeFlagValues {
  return {
    'service-cluster-ip-range': ['10.96.0.0/12'],
    'service-external-ip-range': [],
    'loadbalancer-ip-range': [],
    'strict-external-ip-validation': true,
    ...overrides,
  };
}

describe('serviceIpRanges', () => {
  it.each([
    { stack: 'ipv4', families: V4, values: flags(), cluster: ['10.96.0.0/12'] },
    { stack: 'ipv6 (the untouched IPv4 default is dropped)', families: V6, values: flags(), cluster: [] },
    { stack: 'ipv6', families: V6, values: flags({ 'service-cluster-ip-range': ['fd00:96::/112'] }), cluster: ['fd00:96::/112'] },
    { stack: 'dual', families: DUAL, values: flags({ 'service-cluster-ip-range': ['10.96.0.0/12', 'fd00:96::/112'] }), cluster: ['10.96.0.0/12', 'fd00:96::/112'] },
  ])('$stack', ({ families, values, cluster }) => {
    expect(serviceIpRanges(values, families).clusterIp.map(String)).toEqual(cluster);
  });

  it.each([
    { families: V4, values: flags({ 'service-external-ip-range': ['198.51.100.0/24', 'bogus'] }), flag: '--service-external-ip-range', reason: /bogus/ },
    { families: V4, values: flags({ 'loadbalancer-ip-range': ['2001:db8:113::/64'] }), flag: '--loadbalancer-ip-range', reason: /ipv6, which is not enabled/ },
    { families: V6, values: flags({ 'service-cluster-ip-range': ['10.96.0.0/16'] }), flag: '--service-cluster-ip-range', reason: /ipv4, which is not enabled/ },
    { families: DUAL, values: flags({ 'service-cluster-ip-range': ['10.96.0.0/12', '10.112.0.0/12'] }), flag: '--service-cluster-ip-range', reason: /more than one ipv4 range/ },
  ])('refuses $flag $values', ({ families, values, flag, reason }) => {
    let error: unknown;
    try {
      serviceIpRanges(values, families);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).flag).toBe(flag);
    expect((error as ConfigError).reason).toMatch(reason);
  });
});

describe('strict validation', () => {
  const ranges = serviceIpRanges(
    flags({
      'service-cluster-ip-range': ['10.96.0.0/12', 'fd00:96::/112'],
      'service-external-ip-range': ['198.51.100.0/24', '2001:db8:51::/64', '10.96.0.0/16'],
      'loadbalancer-ip-range': ['203.0.113.0/24', '2001:db8:113::/64'],
    }),
    DUAL,
  );
  it.each([
    { ip: '198.51.100.7', external: undefined, lb: /not inside any --loadbalancer-ip-range/ },
    { ip: '2001:db8:51::7', external: undefined, lb: /not inside/ },
    { ip: '203.0.113.9', external: /not inside any --service-external-ip-range/, lb: undefined },
    { ip: '2001:db8:113::9', external: /not inside/, lb: undefined },
    { ip: '10.96.1.1', external: /inside --service-cluster-ip-range/, lb: /inside --service-cluster-ip-range/ },
    { ip: 'fd00:96::1', external: /inside --service-cluster-ip-range/, lb: /inside --service-cluster-ip-range/ },
  ])('$ip', ({ ip, external, lb }) => {
    const address = parseIP(ip);
    const e = externalIpRejection(address, ranges);
    const l = loadBalancerIpRejection(address, ranges);
    if (external) expect(e).toMatch(external);
    else expect(e).toBeUndefined();
    if (lb) expect(l).toMatch(lb);
    else expect(l).toBeUndefined();
  });

  it('default-denies without ranges and accepts everything when not strict', () => {
    const none = serviceIpRanges(flags(), V4);
    expect(externalIpRejection(parseIP('198.51.100.7'), none)).toMatch(/no --service-external-ip-range/);
    expect(loadBalancerIpRejection(parseIP('203.0.113.9'), none)).toMatch(/no --loadbalancer-ip-range/);
    const lax = serviceIpRanges(flags({ 'strict-external-ip-validation': false }), V4);
    expect(externalIpRejection(parseIP('10.96.0.1'), lax)).toBeUndefined();
  });
});
