// kr-sandbox's command line: every command's flags, defaults and usage errors (exit 2).
// Test IP plan: pod/service CIDRs 10.1.0.0/16, fd00:1::/56 (user-given values pass
// through untouched; plan.test.ts checks them).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { parseDuration } from './duration.js';
import { parseExtraFlags, parseLabelChanges, parseSandboxArgs } from './args.js';

describe('parseSandboxArgs', () => {
  it.each([
    { argv: ['up'], want: { command: 'up', nodes: 3, subnets: 1, externals: 0, controllers: ['cni', 'router', 'proxy', 'firewall'], extraFlags: {}, json: false } },
    {
      argv: ['up', '--nodes', '2', '--stack', 'dual-v6', '--subnets=2', '--externals', '1', '--controllers', 'firewall,cni', '--json'],
      want: { command: 'up', nodes: 2, stack: 'dual-v6', subnets: 2, externals: 1, controllers: ['cni', 'firewall'], json: true },
    },
    {
      argv: ['up', '--cluster-cidrs', '10.1.0.0/16, fd00:1::/56', '--service-cidrs', 'fd00:2::/112', '--node-cidr-mask-size-ipv6', '117'],
      want: { clusterCidrs: ['10.1.0.0/16', 'fd00:1::/56'], serviceCidrs: ['fd00:2::/112'], nodeCidrMaskSizeIPv6: 117 },
    },
    { argv: ['up', '--controllers', 'none'], want: { controllers: [] } },
    {
      argv: ['up', '--flags', 'cni:--auto-mtu=false', '--flags', 'nats:-DV', '--flags', 'cni:--hairpin-mode=true'],
      want: { extraFlags: { cni: ['--auto-mtu=false', '--hairpin-mode=true'], nats: ['-DV'] } },
    },
    { argv: ['apply', '-f', 'demo.yaml'], want: { command: 'apply', files: ['demo.yaml'], json: false } },
    { argv: ['delete', '-f', '-', '--wait', '0'], want: { command: 'delete', files: ['-'], waitMs: 0 } },
    { argv: ['label', 'pod', 'a/web', 'app=web', 'tier-'], want: { command: 'label', kind: 'pod', namespace: 'a', name: 'web', changes: { app: 'web', tier: null } } },
    { argv: ['label', 'pod', 'web', 'x='], want: { kind: 'pod', namespace: 'default', name: 'web', changes: { x: '' } } },
    { argv: ['label', 'node', 'node1', 'kube-router.io/x=y'], want: { kind: 'node', name: 'node1', changes: { 'kube-router.io/x': 'y' } } },
    { argv: ['label', 'ns', 'a', 'team=blue'], want: { kind: 'namespace', name: 'a' } },
    { argv: ['wait'], want: { command: 'wait', timeoutMs: 60_000 } },
    { argv: ['wait', '--timeout', '1m30s'], want: { timeoutMs: 90_000 } },
    {
      argv: ['probe', '--from', 'a/x', '--to', 'svc/b/web', '--port', '80', '--protocol', 'udp', '--family', 'ipv6', '--timeout', '500ms'],
      want: { command: 'probe', from: 'a/x', to: 'svc/b/web', port: 80, protocol: 'UDP', family: 'ipv6', timeoutMs: 500 },
    },
    { argv: ['probe', '--from', 'node/node1', '--to', '10.244.0.5', '--port', '8080'], want: { protocol: 'TCP', timeoutMs: 1000 } },
    { argv: ['matrix', '--port', '8080', '--namespaces', 'a,b'], want: { command: 'matrix', port: 8080, namespaces: ['a', 'b'] } },
    { argv: ['exec', 'node1', '--', 'ip', '-br', 'addr'], want: { command: 'exec', host: 'node1', argv: ['ip', '-br', 'addr'] } },
    { argv: ['exec', '--json', 'ext1', '--', 'sh', '-c', 'exit 3'], want: { json: true, host: 'ext1', argv: ['sh', '-c', 'exit 3'] } },
    { argv: ['exec', 'node2', 'hostname'], want: { host: 'node2', argv: ['hostname'] } },
    { argv: ['logs', 'node1', 'cni'], want: { command: 'logs', node: 'node1', container: 'cni' } },
    { argv: ['remove-node', 'node2', '--json'], want: { command: 'remove-node', node: 'node2', json: true } },
    { argv: ['status', '--json'], want: { command: 'status', json: true } },
    { argv: ['down'], want: { command: 'down' } },
    { argv: ['kubeconfig'], want: { command: 'kubeconfig' } },
    { argv: ['--help'], want: { command: 'help' } },
  ])('$argv', ({ argv, want }) => {
    expect(parseSandboxArgs(argv)).toMatchObject(want);
  });

  it.each([
    { argv: [], why: /missing/ },
    { argv: ['launch'], why: /unknown command "launch"/ },
    { argv: ['up', '--nodes', '0'], why: /--nodes: 0 is out of range 1\.\.189/ },
    { argv: ['up', '--nodes', 'three'], why: /not a whole number/ },
    { argv: ['up', '--stack', 'ipv5'], why: /--stack: "ipv5" is not one of ipv4, ipv6, dual, dual-v6/ },
    { argv: ['up', '--controllers', 'cni,bgp'], why: /"bgp" is not one of/ },
    { argv: ['up', '--flags', 'kubelet:--x'], why: /CONTAINER:--flag=value/ },
    { argv: ['up', '--flags', 'cni:x'], why: /must start with -/ },
    { argv: ['up', '--controllers', 'cni', '--flags', 'proxy:--x=1'], why: /proxy is not among --controllers \(cni\)/ },
    { argv: ['up', '--bogus'], why: /Unknown option '--bogus'/ },
    { argv: ['up', 'extra'], why: /unexpected argument "extra"/ },
    { argv: ['apply'], why: /needs -f FILE/ },
    { argv: ['apply', '-f', 'x', '--wait', '1s'], why: /only delete waits/ },
    { argv: ['label', 'pod'], why: /usage: label/ },
    { argv: ['label', 'service', 'a/b', 'x=y'], why: /"service" is not one of pod, namespace, node/ },
    { argv: ['label', 'node', 'a/b', 'x=y'], why: /a node has no namespace/ },
    { argv: ['label', 'pod', 'a/b/c', 'x=y'], why: /not NS\/NAME/ },
    { argv: ['label', 'pod', 'a/b'], why: /at least one/ },
    { argv: ['label', 'pod', 'a/b', 'x'], why: /neither key=value nor key-/ },
    { argv: ['label', 'pod', 'a/b', 'bad-=y'], why: /not a valid label key/ },
    { argv: ['label', 'pod', 'a/b', 'Bad_Prefix/x=y'], why: /not a valid label key/ },
    { argv: ['label', 'pod', 'a/b', 'x=has space'], why: /a label value is empty or up to 63/ },
    { argv: ['wait', '--timeout', 'soon'], why: /not a duration/ },
    { argv: ['probe', '--to', 'a/b', '--port', '80'], why: /--from: is required/ },
    { argv: ['probe', '--from', 'a/b', '--to', 'a/c'], why: /--port: is required/ },
    { argv: ['probe', '--from', 'a/b', '--to', 'a/c', '--port', '70000'], why: /out of range 1\.\.65535/ },
    { argv: ['probe', '--from', 'a/b', '--to', 'a/c', '--port', '80', '--protocol', 'SCTP'], why: /not one of TCP, UDP/ },
    { argv: ['probe', '--from', 'a/b', '--to', 'a/c', '--port', '80', '--family', 'inet6'], why: /not one of ipv4, ipv6/ },
    { argv: ['matrix'], why: /--port: is required/ },
    { argv: ['exec', 'node1'], why: /no command given/ },
    { argv: ['remove-node'], why: /usage: remove-node NODE/ },
    { argv: ['remove-node', 'node1', 'node2'], why: /usage: remove-node NODE/ },
    { argv: ['exec', '--', 'ls'], why: /usage: exec/ },
    { argv: ['logs', 'node1'], why: /usage: logs NODE CONTAINER/ },
    { argv: ['status', 'now'], why: /unexpected argument/ },
  ])('refuses $argv', ({ argv, why }) => {
    expect(() => parseSandboxArgs(argv)).toThrow(ConfigError);
    expect(() => parseSandboxArgs(argv)).toThrow(why);
  });
});

describe('parseExtraFlags', () => {
  it('groups flags by container in the order given, keeping = and spaces inside the value', () => {
    expect(parseExtraFlags(['router:--peer-router-ips=198.18.0.200', 'gobgp:--log-level=debug', 'router:--cluster-asn=64512'], ['router'])).toEqual({
      router: ['--peer-router-ips=198.18.0.200', '--cluster-asn=64512'],
      gobgp: ['--log-level=debug'],
    });
  });
});

describe('parseLabelChanges', () => {
  it('accepts prefixed keys, empty values and removals', () => {
    expect(parseLabelChanges(['kubernetes.io/metadata.name=a', 'b=', 'c-'])).toEqual({ 'kubernetes.io/metadata.name': 'a', b: '', c: null });
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['1s', 1000],
    ['2', 2000],
    ['0.5', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration('--timeout', text)).toBe(ms));

  it.each(['', 's', '1x', '1s2', '-1s'])('refuses %j', (text) => expect(() => parseDuration('--timeout', text)).toThrow(/not a duration/));
});
