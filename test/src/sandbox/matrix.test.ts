// The matrix table and the choice of pods that take part, per family.
// Test IP plan: a/x 10.244.0.5 + fd00:10:244::5 (dual), a/y 10.244.1.6 (IPv4 only),
// b/z fd00:10:244:2::7 (IPv6 only), b/pending without addresses.
import { describe, expect, it } from 'vitest';
import type { KubeObj } from './api.js';
import { formatMatrix, reached, type MatrixCell } from './matrix.js';
import { matrixPods } from './probe-command.js';

const pod = (namespace: string, name: string, ips: string[], phase = 'Running'): KubeObj => ({
  metadata: { namespace, name, annotations: ips.length ? { 'sandbox.kube-router.io/netns': `krsbx-p-${name}` } : {} },
  spec: { nodeName: 'node1' },
  status: { phase, podIPs: ips.map((ip) => ({ ip })) },
});

const PODS = [pod('b', 'z', ['fd00:10:244:2::7']), pod('a', 'y', ['10.244.1.6']), pod('a', 'x', ['10.244.0.5', 'fd00:10:244::5']), pod('b', 'pending', [], 'Pending')];

describe('matrixPods', () => {
  it.each([
    { family: 'ipv4', namespaces: undefined, ids: ['a/x 10.244.0.5', 'a/y 10.244.1.6'], skipped: ['b/pending: Pending', 'b/z: no ipv4 address'] },
    { family: 'ipv6', namespaces: undefined, ids: ['a/x fd00:10:244::5', 'b/z fd00:10:244:2::7'], skipped: ['a/y: no ipv6 address', 'b/pending: Pending'] },
    { family: 'ipv6', namespaces: ['b'], ids: ['b/z fd00:10:244:2::7'], skipped: ['b/pending: Pending'] },
  ] as const)('$family in $namespaces', ({ family, namespaces, ids, skipped }) => {
    const got = matrixPods(PODS, family, namespaces);
    expect(got.pods.map((p) => `${p.id} ${p.ip}`)).toEqual(ids);
    expect(got.skipped).toEqual(skipped);
  });
});

describe('formatMatrix', () => {
  const pods = ['a/x', 'a/y', 'b/z'];
  const cell = (from: string, to: string, ok: boolean, answeredBy?: string): MatrixCell => ({ from, to, ok, ...(answeredBy ? { answeredBy } : {}) });

  it('marks reached targets with . and the rest with X, numbering the columns', () => {
    const cells = pods.flatMap((from) => pods.map((to) => cell(from, to, !(from === 'a/x' && to === 'b/z'), to)));
    expect(formatMatrix({ title: 'TCP/8080 over ipv4', pods, cells })).toBe(
      ['TCP/8080 over ipv4', '      1 2 3', '1 a/x . . X', '2 a/y . . .', '3 b/z . . .', '', "8/9 reached ('.' reached, 'X' not, '-' not probed)", ''].join('\n'),
    );
  });

  it('counts an answer from another pod as not reached, and lists it and the skipped pods', () => {
    const cells = [cell('a/x', 'a/x', true, 'a/x'), cell('a/x', 'a/y', true, 'b/z'), cell('a/y', 'a/x', false), cell('a/y', 'a/y', true, 'a/y')];
    expect(reached(cells[1]!)).toBe(false);
    const text = formatMatrix({ title: 'UDP/53 over ipv6', pods: ['a/x', 'a/y'], cells, skipped: ['b/z: no ipv6 address'] });
    expect(text).toBe(
      [
        'UDP/53 over ipv6',
        '      1 2',
        '1 a/x . X',
        '2 a/y X .',
        '',
        '  a/x -> a/y: answered by b/z',
        '',
        'not in the matrix:',
        '  b/z: no ipv6 address',
        '',
        "2/4 reached ('.' reached, 'X' not, '-' not probed)",
        '',
      ].join('\n'),
    );
  });
});
