// Test IP plan: external routers 198.18.0.1-2 / fd42:198:18::1-2; service ranges
// 10.96.0.0/12, fd00:96::/112.
import { describe, expect, it } from 'vitest';
import { commonFlagSpecs, parseFlags } from '@kr/agent';
import { ConfigError } from '@kr/errors';
import type { EnabledFamilies } from '@kr/ip';
import { routerConfig, routerFlagSpecs } from './config.js';

const V4: EnabledFamilies = { ipv4: true, ipv6: false };
const V6: EnabledFamilies = { ipv4: false, ipv6: true };
const DUAL: EnabledFamilies = { ipv4: true, ipv6: true };

const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file ${path}`);
};

function config(argv: string[], families: EnabledFamilies = V4, readFile = noFile) {
  const parsed = parseFlags([...commonFlagSpecs('router'), ...routerFlagSpecs()] as const, argv);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return routerConfig(parsed.values, { families, readFile });
}

function refusal(argv: string[], families: EnabledFamilies = V4, readFile = noFile): ConfigError {
  try {
    config(argv, families, readFile);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('router flags', () => {
  it("defaults are kube-router's", () => {
    const c = config([]);
    expect(c).toMatchObject({
      clusterAsn: 64512,
      routerId: { kind: 'auto' },
      bgpPort: 179,
      holdTimeSeconds: 90,
      gracefulRestart: { enabled: false, restartTimeSeconds: 90, deferralTimeSeconds: 360 },
      nodesFullMesh: true,
      enableIbgp: true,
      externalPeers: [],
      peerMultihopTtl: 0,
      advertise: { podCidr: true, clusterIp: false, externalIp: false, loadBalancerIp: false },
      overrideNextHop: false,
      overlay: { enabled: true, type: 'subnet', encap: 'ipip', port: 5555 },
      routesSyncPeriodMs: 300_000,
      injectedRoutesSyncPeriodMs: 60_000,
      excludedCidrs: [],
      enablePodEgress: true,
      gobgp: { host: '127.0.0.1', port: 50051 },
    });
    expect(c.serviceRanges.strict).toBe(true);
    expect(c.serviceRanges.clusterIp.map(String)).toEqual(['10.96.0.0/12']);
  });

  it.each([
    {
      stack: 'ipv4',
      families: V4,
      argv: ['--peer-router-ips=198.18.0.1,198.18.0.2', '--peer-router-asns=65000,65001', '--peer-router-passwords=c2VjcmV0,', '--peer-router-ports=,1790'],
      want: ['198.18.0.1:179 asn=65000 password=secret', '198.18.0.2:1790 asn=65001'],
    },
    {
      stack: 'ipv6',
      families: V6,
      argv: ['--peer-router-ips', 'fd42:198:18::1', '--peer-router-asns', '4200000001', '--service-cluster-ip-range=fd00:96::/112'],
      want: ['fd42:198:18::1:179 asn=4200000001'],
    },
    {
      stack: 'dual',
      families: DUAL,
      argv: ['--peer-router-ips=198.18.0.1', '--peer-router-ips=fd42:198:18::1', '--peer-router-asns=65000,65000', '--peer-router-passwords-file=/etc/kube-router/bgp-passwords.conf'],
      want: ['198.18.0.1:179 asn=65000', 'fd42:198:18::1:179 asn=65000 password=secret'],
    },
  ])('$stack: external peers', ({ families, argv, want }) => {
    const c = config(argv, families, (path) => (path === '/etc/kube-router/bgp-passwords.conf' ? ',c2VjcmV0\n' : noFile(path)));
    expect(c.externalPeers.map((p) => `${p.address.address}:${p.port} asn=${p.asn}${p.password !== undefined ? ` password=${p.password}` : ''}`)).toEqual(want);
  });

  it.each([
    { argv: ['--router-id=generate'], want: { kind: 'generate' } },
    { argv: ['--router-id=10.0.0.1'], want: { kind: 'fixed', id: '10.0.0.1' } },
  ])('router id $argv', ({ argv, want }) => {
    expect(config(argv).routerId).toEqual(want);
  });

  it.each([
    { argv: ['--cluster-asn=64000'], flag: '--cluster-asn', reason: /not a private ASN/ },
    { argv: ['--cluster-asn=4294967295'], flag: '--cluster-asn', reason: /not a private ASN/ },
    { argv: ['--router-id=fd00::1'], flag: '--router-id', reason: /not an IPv4 address/ },
    { argv: ['--router-id=0.0.0.0'], flag: '--router-id', reason: /not a valid router id/ },
    { argv: ['--bgp-holdtime=2s'], flag: '--bgp-holdtime', reason: /3s to 18h12m15s/ },
    { argv: ['--bgp-holdtime=19h'], flag: '--bgp-holdtime', reason: /3s to 18h12m15s/ },
    { argv: ['--bgp-graceful-restart', '--bgp-graceful-restart-time=4096s'], flag: '--bgp-graceful-restart-time', reason: /4095s/ },
    { argv: ['--bgp-graceful-restart', '--bgp-graceful-restart-deferral-time=19h'], flag: '--bgp-graceful-restart-deferral-time', reason: /18h/ },
    { argv: ['--peer-router-ips=198.18.0.1,198.18.0.2', '--peer-router-asns=65000'], flag: '--peer-router-asns', reason: /1 ASNs for 2 --peer-router-ips/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=65000', '--peer-router-ports=179,179'], flag: '--peer-router-ports', reason: /2 ports for 1/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=65000', '--peer-router-ports=0'], flag: '--peer-router-ports', reason: /not a port/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=65000', '--peer-router-passwords=a,b'], flag: '--peer-router-passwords', reason: /2 passwords for 1/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=65000', '--peer-router-passwords=not*base64'], flag: '--peer-router-passwords', reason: /item 1: not valid base64/ },
    { argv: ['--peer-router-ips=198.18.0.300', '--peer-router-asns=65000'], flag: '--peer-router-ips', reason: /198\.18\.0\.300/ },
    { argv: ['--peer-router-ips=fd42:198:18::1', '--peer-router-asns=65000'], flag: '--peer-router-ips', reason: /ipv6, which is not enabled/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=23456'], flag: '--peer-router-asns', reason: /item 1: 23456 is a reserved ASN/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=4294967296'], flag: '--peer-router-asns', reason: /out of range/ },
    { argv: ['--peer-router-ips=198.18.0.1,198.18.0.1', '--peer-router-asns=65000,65000'], flag: '--peer-router-ips', reason: /listed twice/ },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-asns=65000', '--peer-router-passwords-file=/missing'], flag: '--peer-router-passwords-file', reason: /cannot read \/missing: ENOENT/ },
    { argv: ['--overlay-type=mesh'], flag: '--overlay-type', reason: /subnet or full/ },
    { argv: ['--overlay-encap=gre'], flag: '--overlay-encap', reason: /ipip, fou, vxlan/ },
    { argv: ['--overlay-encap-port=1023'], flag: '--overlay-encap-port', reason: /below the minimum 1024/ },
    { argv: ['--routes-sync-period=0'], flag: '--routes-sync-period', reason: /greater than 0/ },
    { argv: ['--excluded-cidrs=10.0.0.0/33'], flag: '--excluded-cidrs', reason: /prefix length/ },
    { argv: ['--gobgp-admin-port=0'], flag: '--gobgp-admin-port', reason: /below the minimum 1/ },
    { argv: ['--loadbalancer-ip-range=fd00::/64'], flag: '--loadbalancer-ip-range', reason: /ipv6, which is not enabled/ },
  ])('refuses $argv', ({ argv, flag, reason }) => {
    const err = refusal(argv);
    expect(err.flag).toBe(flag);
    expect(err.reason).toMatch(reason);
  });

  it('graceful restart times are checked only when it is enabled, as kube-router', () => {
    expect(config(['--bgp-graceful-restart-time=5000s']).gracefulRestart).toEqual({ enabled: false, restartTimeSeconds: 5000, deferralTimeSeconds: 360 });
  });

  it('the router flags do not clash with the common ones', () => {
    const names = [...commonFlagSpecs('router'), ...routerFlagSpecs()].map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
