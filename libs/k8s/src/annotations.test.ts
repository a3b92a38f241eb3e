import { describe, expect, it } from 'vitest';
import { ObjectInputError } from '@kr/errors';
import type { V1Node, V1Service } from '@kubernetes/client-node';
import {
  annotation,
  annotationList,
  annotationOr,
  asn,
  base64String,
  bool,
  cidr,
  cidrList,
  intInRange,
  ip,
  ipList,
  oneOf,
  port,
  type Parsed,
} from './annotations.js';

// Test IP plan:
//   IPv4: 192.0.2.0/24 (TEST-NET-1) peers, 10.0.0.0/24 pod range
//   IPv6: 2001:db8::/32 (documentation) peers, fd00::/64 pod range

function node(annotations: Record<string, string>): V1Node {
  return { kind: 'Node', metadata: { name: 'node-1', annotations } };
}

const service: V1Service = { kind: 'Service', metadata: { name: 'web', namespace: 'shop', annotations: { 'kube-router.io/service.local': 'yes' } } };

function valueOf<T>(result: Parsed<T> | undefined): T {
  if (!result?.ok) throw new Error(`expected a value, got ${result ? result.error.message : 'absent'}`);
  return result.value;
}

function errorOf<T>(result: Parsed<T> | undefined): ObjectInputError {
  if (!result || result.ok) throw new Error('expected an error');
  return result.error;
}

describe('annotation()', () => {
  it('is undefined when absent, and annotationOr supplies the fallback', () => {
    expect(annotation(node({}), 'kube-router.io/node.asn', asn)).toBeUndefined();
    expect(valueOf(annotationOr(node({}), 'kube-router.io/node.asn', asn, 64512))).toBe(64512);
  });

  it('names kind, namespace/name, annotation key and reason', () => {
    const error = errorOf(annotation(service, 'kube-router.io/service.local', bool));
    expect(error).toBeInstanceOf(ObjectInputError);
    expect(error.kind).toBe('Service');
    expect(error.object).toBe('shop/web');
    expect(error.field).toBe('metadata.annotations["kube-router.io/service.local"]');
    expect(error.reason).toBe('"yes" is not a boolean (true/false)');
    expect(error.message).toBe('Service shop/web: metadata.annotations["kube-router.io/service.local"]: "yes" is not a boolean (true/false)');
  });
});

describe('value parsers', () => {
  it.each<{ name: string; parse: (raw: string) => unknown; raw: string; value?: unknown; reason?: RegExp }>([
    { name: 'asn min', parse: asn, raw: '1', value: 1 },
    { name: 'asn max (4-byte)', parse: asn, raw: '4294967295', value: 4294967295 },
    { name: 'asn zero', parse: asn, raw: '0', reason: /out of range 1\.\.4294967295/ },
    { name: 'asn too big', parse: asn, raw: '4294967296', reason: /out of range/ },
    { name: 'asn not a number', parse: asn, raw: '65k', reason: /not an integer/ },
    { name: 'asn float', parse: asn, raw: '1.5', reason: /not an integer/ },
    { name: 'port', parse: port, raw: ' 179 ', value: 179 },
    { name: 'range negative', parse: intInRange(-5, 5), raw: '-5', value: -5 },
    { name: 'bool true', parse: bool, raw: 'true', value: true },
    { name: 'bool Go-style T', parse: bool, raw: 'T', value: true },
    { name: 'bool 0', parse: bool, raw: '0', value: false },
    { name: 'bool yes', parse: bool, raw: 'yes', reason: /not a boolean/ },
    { name: 'enum', parse: oneOf(['ipip', 'vxlan'] as const), raw: 'vxlan', value: 'vxlan' },
    { name: 'enum miss', parse: oneOf(['ipip', 'vxlan'] as const), raw: 'gre', reason: /not one of ipip, vxlan/ },
    { name: 'base64', parse: base64String, raw: 'c2VjcmV0', value: 'secret' },
    { name: 'base64 bad', parse: base64String, raw: 'c2VjcmV0!', reason: /not valid base64/ },
    { name: 'base64 unpadded', parse: base64String, raw: 'c2VjcmV', reason: /not valid base64/ },
    { name: 'ipv4', parse: ip, raw: '192.0.2.1', value: '192.0.2.1' },
    { name: 'ipv6', parse: ip, raw: '2001:DB8::1', value: '2001:db8::1' },
    { name: 'ip garbage', parse: ip, raw: '192.0.2', reason: /not a valid IPv4 address/ },
    { name: 'cidr ipv4 lenient', parse: cidr(), raw: '10.0.0.1/24', value: '10.0.0.0/24' },
    { name: 'cidr ipv4 strict', parse: cidr({ strict: true }), raw: '10.0.0.1/24', reason: /host bits set/ },
    { name: 'cidr ipv6', parse: cidr(), raw: 'FD00::/64', value: 'fd00::/64' },
    { name: 'ip list dual', parse: ipList, raw: '192.0.2.1, 2001:db8::1', value: ['192.0.2.1', '2001:db8::1'] },
    { name: 'ip list bad item', parse: ipList, raw: '192.0.2.1,nope', reason: /item 2 "nope"/ },
    { name: 'cidr list dual', parse: cidrList(), raw: '10.0.0.0/24,fd00::/64', value: ['10.0.0.0/24', 'fd00::/64'] },
    { name: 'cidr list ipv6 bad item', parse: cidrList(), raw: 'fd00::/64,fd00::/129', reason: /item 2 "fd00::\/129": prefix length/ },
  ])('$name: $raw', ({ parse, raw, value, reason }) => {
    const result = annotation(node({ key: raw }), 'key', parse);
    if (reason) {
      expect(errorOf(result).reason).toMatch(reason);
    } else {
      const got = valueOf(result);
      expect(Array.isArray(got) ? got.map(String) : typeof got === 'object' ? String(got) : got).toEqual(value);
    }
  });
});

describe('annotationList()', () => {
  it.each([
    { raw: '192.0.2.1,192.0.2.2', values: ['192.0.2.1', '192.0.2.2'], errors: [] },
    { raw: '2001:db8::1, junk ,2001:db8::2', values: ['2001:db8::1', '2001:db8::2'], errors: [/item 2 "junk"/] },
    { raw: '192.0.2.1,2001:db8::1,300.0.0.1', values: ['192.0.2.1', '2001:db8::1'], errors: [/item 3 "300.0.0.1"/] },
    { raw: '', values: [], errors: [] },
  ])('keeps good items of "$raw"', ({ raw, values, errors }) => {
    const result = annotationList(node({ 'kube-router.io/peer.ips': raw }), 'kube-router.io/peer.ips', ip);
    expect(result?.values.map(String)).toEqual(values);
    expect(result?.errors.length).toBe(errors.length);
    result?.errors.forEach((err, i) => {
      expect(err.reason).toMatch(errors[i] as RegExp);
      expect(err.object).toBe('node-1');
      expect(err.field).toBe('metadata.annotations["kube-router.io/peer.ips"]');
    });
  });

  it('is undefined when absent', () => {
    expect(annotationList(node({}), 'kube-router.io/peer.ips', ip)).toBeUndefined();
  });
});
