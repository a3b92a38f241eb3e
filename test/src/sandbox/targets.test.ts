// Probe sources and targets: parsing, and picking the address of the right family.
// Test IP plan: node1 198.18.0.11 / fd42:198:18::11; pod a/x 10.244.1.5 / fd00:10:244:1::5;
// service a/web 10.96.0.10 / fd00:10:96::a.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import type { KubeObj } from './api.js';
import type { SandboxClusterConfig, SandboxStack } from './node/index.js';
import { familiesOf, planAddresses } from './plan.js';
import { checkFamily, parseSource, parseTarget, podNetns, podPhaseText, ProbeTargetError, targetAddress } from './targets.js';

function cluster(stack: SandboxStack): SandboxClusterConfig {
  const plan = planAddresses({ nodes: 2, subnets: 1, externals: 1, stack });
  return {
    version: 1,
    repoRoot: '/r',
    stateDir: '/r/.sandbox',
    controllers: ['cni'],
    extraFlags: {},
    api: { url: 'http://127.0.0.1:1', socket: '/r/.sandbox/apiserver.sock' },
    ...plan,
  };
}

const pod = (ips: string[], extra: Partial<KubeObj> = {}): KubeObj => ({
  metadata: { name: 'x', namespace: 'a', annotations: { 'sandbox.kube-router.io/netns': 'krsbx-p-0123456789' } },
  spec: { nodeName: 'node1' },
  status: { phase: 'Running', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  ...extra,
});

const service = (ips: string[]): KubeObj => ({ metadata: { name: 'web', namespace: 'a' }, spec: { clusterIP: ips[0], clusterIPs: ips } });

describe('parseSource / parseTarget', () => {
  it.each([
    ['a/x', { kind: 'pod', namespace: 'a', name: 'x' }],
    ['node/node1', { kind: 'node', name: 'node1' }],
    ['ext/ext1', { kind: 'ext', name: 'ext1' }],
    ['node/a/b', null],
    ['x', null],
    ['a/', null],
  ] as const)('from %s', (text, want) => {
    if (want) expect(parseSource(text)).toEqual(want);
    else expect(() => parseSource(text)).toThrow(ConfigError);
  });

  it.each([
    ['a/x', { kind: 'pod', namespace: 'a', name: 'x' }],
    ['10.244.1.5', { kind: 'ip', ip: '10.244.1.5' }],
    ['fd00:10:244:1::5', { kind: 'ip', ip: 'fd00:10:244:1::5' }],
    ['svc/a/web', { kind: 'svc', namespace: 'a', name: 'web' }],
    ['nodeport/node2', { kind: 'nodeport', node: 'node2' }],
    ['svc/web', null],
    ['nodeport/', null],
    ['10.244.1.5/32', null],
  ] as const)('to %s', (text, want) => {
    if (want) expect(parseTarget(text)).toEqual(want);
    else expect(() => parseTarget(text)).toThrow(ConfigError);
  });
});

describe('targetAddress', () => {
  it.each([
    { stack: 'ipv4', to: 'a/x', obj: pod(['10.244.1.5']), family: undefined, want: '10.244.1.5' },
    { stack: 'ipv6', to: 'a/x', obj: pod(['fd00:10:244:1::5']), family: undefined, want: 'fd00:10:244:1::5' },
    { stack: 'dual', to: 'a/x', obj: pod(['10.244.1.5', 'fd00:10:244:1::5']), family: undefined, want: '10.244.1.5' },
    { stack: 'dual', to: 'a/x', obj: pod(['10.244.1.5', 'fd00:10:244:1::5']), family: 'ipv6', want: 'fd00:10:244:1::5' },
    { stack: 'dual-v6', to: 'a/x', obj: pod(['fd00:10:244:1::5', '10.244.1.5']), family: undefined, want: 'fd00:10:244:1::5' },
    { stack: 'dual', to: 'svc/a/web', obj: service(['10.96.0.10', 'fd00:10:96::a']), family: 'ipv6', want: 'fd00:10:96::a' },
    { stack: 'dual-v6', to: 'svc/a/web', obj: service(['fd00:10:96::a', '10.96.0.10']), family: undefined, want: 'fd00:10:96::a' },
    { stack: 'dual', to: 'nodeport/node2', obj: undefined, family: undefined, want: '198.18.0.12' },
    { stack: 'dual-v6', to: 'nodeport/node2', obj: undefined, family: undefined, want: 'fd42:198:18::12' },
    { stack: 'ipv4', to: '10.244.9.9', obj: undefined, family: 'ipv4', want: '10.244.9.9' },
  ] as const)('$stack $to $family', ({ stack, to, obj, family, want }) => {
    expect(targetAddress(parseTarget(to), obj, cluster(stack), family)).toBe(want);
  });

  it.each([
    { stack: 'ipv4', to: 'a/x', obj: undefined, family: undefined, why: /pod a\/x does not exist/ },
    { stack: 'ipv4', to: 'a/x', obj: pod([], { status: { phase: 'Pending', reason: 'NetworkNotReady', message: 'no CNI config' } }), family: undefined, why: /has no IP yet \(Pending \(NetworkNotReady: no CNI config\)\)/ },
    { stack: 'dual', to: 'a/x', obj: pod(['10.244.1.5']), family: 'ipv6', why: /has no ipv6 address \(it has 10.244.1.5\)/ },
    { stack: 'ipv4', to: 'svc/a/web', obj: service(['None']), family: undefined, why: /headless/ },
    { stack: 'ipv4', to: 'nodeport/node7', obj: undefined, family: undefined, why: /no such node \(it has node1, node2\)/ },
    { stack: 'ipv4', to: '10.244.9.9', obj: undefined, family: 'ipv6', why: /10.244.9.9 is not ipv6/ },
  ] as const)('refuses $stack $to $family', ({ stack, to, obj, family, why }) => {
    expect(() => targetAddress(parseTarget(to), obj, cluster(stack), family)).toThrow(why);
  });

  it('refuses a family the cluster lacks', () => {
    expect(() => checkFamily(cluster('ipv4'), 'ipv6')).toThrow(/the sandbox is ipv4 \(ipv4\): it has no ipv6/);
    expect(() => checkFamily(cluster('dual-v6'), 'ipv4')).not.toThrow();
    expect(familiesOf('dual-v6')).toEqual(['ipv6', 'ipv4']);
  });
});

describe('pods', () => {
  it('finds the pod namespace from the kubelet annotation, or says why not', () => {
    expect(podNetns(pod(['10.244.1.5']), { namespace: 'a', name: 'x' })).toBe('krsbx-p-0123456789');
    expect(() => podNetns(undefined, { namespace: 'a', name: 'x' })).toThrow(ProbeTargetError);
    const pending = pod([], { metadata: { name: 'x', namespace: 'a' }, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', reason: 'NetworkNotReady', message: 'cni config uninitialized' }] } });
    expect(() => podNetns(pending, { namespace: 'a', name: 'x' })).toThrow('pod a/x has no network namespace yet (Pending (NetworkNotReady: cni config uninitialized))');
  });

  it.each([
    [pod(['10.244.1.5']), 'Running'],
    [pod([], { metadata: { name: 'x', deletionTimestamp: '2025-01-01T00:00:00Z' } }), 'Terminating'],
    [{ metadata: { name: 'x' }, spec: {}, status: { phase: 'Pending' } }, 'Pending (not scheduled yet)'],
    [{ metadata: { name: 'x' }, spec: {}, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] } }, 'Pending (Unschedulable: 0/3 nodes are available)'],
  ] as const)('describes %j as %s', (obj, text) => {
    expect(podPhaseText(obj as KubeObj)).toBe(text);
  });
});
