// Test IP plan:
//   node InternalIPs  198.18.0.11 (IPv4), fd00:198:18::11 (IPv6), on eth0 (MTU 9000) or
//                     split over eth0 (IPv4) and eth1 (IPv6, MTU 1500)
import { describe, expect, it } from 'vitest';
import { parseIP } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import { findNodeUplink, type HostInterface } from './uplink.js';

function node(...ips: string[]): V1Node {
  return { metadata: { name: 'node-a' }, status: { addresses: ips.map((address) => ({ type: 'InternalIP', address })) } };
}
const iface = (name: string, mtu: number, ...ips: string[]): HostInterface => ({ name, mtu, addresses: ips.map(parseIP) });
const LO = iface('lo', 65536, '127.0.0.1', '::1');

describe('findNodeUplink', () => {
  it.each([
    { stack: 'ipv4', node: node('198.18.0.11'), ifaces: [LO, iface('eth0', 9000, '198.18.0.11')], want: { name: 'eth0', mtu: 9000, nodeIp: '198.18.0.11', ipv6Name: 'eth0' } },
    { stack: 'ipv6', node: node('fd00:198:18::11'), ifaces: [LO, iface('eth0', 9000, 'fd00:198:18::11')], want: { name: 'eth0', mtu: 9000, nodeIp: 'fd00:198:18::11', ipv6Name: 'eth0' } },
    {
      stack: 'dual, families on two interfaces: the primary (first InternalIP) decides the MTU',
      node: node('198.18.0.11', 'fd00:198:18::11'),
      ifaces: [LO, iface('eth1', 1500, 'fd00:198:18::11'), iface('eth0', 9000, '198.18.0.11')],
      want: { name: 'eth0', mtu: 9000, nodeIp: '198.18.0.11', ipv6Name: 'eth1' },
    },
    {
      stack: 'dual-v6',
      node: node('fd00:198:18::11', '198.18.0.11'),
      ifaces: [LO, iface('eth1', 1500, 'fd00:198:18::11'), iface('eth0', 9000, '198.18.0.11')],
      want: { name: 'eth1', mtu: 1500, nodeIp: 'fd00:198:18::11', ipv6Name: 'eth1' },
    },
    {
      stack: 'dual, primary not local: the next node address found decides',
      node: node('198.18.0.99', 'fd00:198:18::11'),
      ifaces: [LO, iface('eth0', 1400, 'fd00:198:18::11')],
      want: { name: 'eth0', mtu: 1400, nodeIp: 'fd00:198:18::11', ipv6Name: 'eth0' },
    },
  ])('$stack', ({ node: n, ifaces, want }) => {
    const r = findNodeUplink(n, 'node-a', ifaces);
    expect(r.ok && { ...r.uplink, nodeIp: r.uplink.nodeIp.address }).toEqual(want);
  });

  it('refuses when the node has no address here (not this node, or the wrong namespace)', () => {
    const r = findNodeUplink(node('198.18.0.11', 'fd00:198:18::11'), 'node-a', [LO, iface('eth0', 1500, '192.0.2.5')]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/none of node node-a's addresses \(198.18.0.11, fd00:198:18::11\) is on an interface of this network namespace/);
  });

  it('never takes the bridge for the uplink', () => {
    const r = findNodeUplink(node('198.18.0.11'), 'node-a', [iface('kube-bridge', 1500, '198.18.0.11')], ['kube-bridge']);
    expect(r.ok).toBe(false);
  });

  it('a node without addresses is reported as such', () => {
    const r = findNodeUplink(node(), 'node-a', [LO]);
    expect(!r.ok && r.reason).toMatch(/has no InternalIP or ExternalIP/);
  });
});
