import { describe, expect, it } from 'vitest';
import { bridgeSysctls, desiredSysctls } from './sysctls.js';

const keys = (s: { key: string; value: string }[]) => s.map((x) => `${x.key}=${x.value}`);

describe('desiredSysctls', () => {
  it.each([
    { stack: 'ipv4', families: { ipv4: true, ipv6: false }, acceptRa: '1', want: ['net/ipv4/ip_forward=1', 'net/bridge/bridge-nf-call-iptables=1'] },
    {
      stack: 'ipv6, uplink accepts RAs: accept_ra=2 before forwarding',
      families: { ipv4: false, ipv6: true },
      acceptRa: '1',
      want: ['net/ipv6/conf/eth0.100/accept_ra=2', 'net/ipv6/conf/all/forwarding=1', 'net/bridge/bridge-nf-call-ip6tables=1'],
    },
    {
      stack: 'dual, uplink already 2',
      families: { ipv4: true, ipv6: true },
      acceptRa: '2',
      want: ['net/ipv4/ip_forward=1', 'net/ipv6/conf/all/forwarding=1', 'net/bridge/bridge-nf-call-iptables=1', 'net/bridge/bridge-nf-call-ip6tables=1'],
    },
    {
      stack: 'dual, RAs switched off by the admin: left off',
      families: { ipv4: true, ipv6: true },
      acceptRa: '0',
      want: ['net/ipv4/ip_forward=1', 'net/ipv6/conf/all/forwarding=1', 'net/bridge/bridge-nf-call-iptables=1', 'net/bridge/bridge-nf-call-ip6tables=1'],
    },
  ])('$stack', ({ families, acceptRa, want }) => {
    expect(keys(desiredSysctls(families, { ipv6Uplink: { name: 'eth0.100', acceptRa } }))).toEqual(want);
  });

  it('only br_netfilter keys are optional', () => {
    const all = desiredSysctls({ ipv4: true, ipv6: true }, { ipv6Uplink: { name: 'eth0', acceptRa: '1' } });
    expect(all.filter((s) => s.optional).map((s) => s.key)).toEqual(['net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables']);
  });

  it('the bridge needs IPv6 enabled only when IPv6 is', () => {
    expect(keys(bridgeSysctls({ ipv4: true, ipv6: false }))).toEqual([]);
    expect(keys(bridgeSysctls({ ipv4: false, ipv6: true }))).toEqual(['net/ipv6/conf/kube-bridge/disable_ipv6=0']);
  });
});
