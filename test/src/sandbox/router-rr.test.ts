// End to end: route reflection (kube-router.io/rr.server / rr.client) in a dual-stack
// sandbox of 3 nodes on 2 subnets, with real gobgpd and kernel routes.
//
// node1 becomes a route-reflector server, node2 and node3 its clients (cluster id 42).
// The annotations arrive on a running full mesh: the clients drop their session with
// each other and keep only the one with the server, which reflects each client's pod
// CIDRs (both families, over the IPv4 session) to the other with the next hop untouched,
// so the kernel routes are those of the full mesh: node2 (alone on subnet 1) still
// reaches node3 over a vxlan tunnel to node3 itself, not via node1.
// Removing the annotations restores the full mesh.
//
// Test IP plan (the sandbox's defaults):
//   node1  subnet 0  198.18.0.11  fd42:198:18::11    route-reflector server
//   node2  subnet 1  198.18.1.12  fd42:198:18:1::12  client
//   node3  subnet 0  198.18.0.13  fd42:198:18::13    client
//   pods 10.244.0.0/16 (/24 per node), fd00:10:244::/56 (/64 per node)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reached, type MatrixTable } from './matrix.js';
import type { SandboxFamily } from './node/index.js';
import type { NodeStatus, SandboxStatus } from './status.js';
import { sandboxCli, sandboxOk } from './testing/cli.js';
import { eventually } from './testing/eventually.js';
import { ESTABLISHED, sessions } from './testing/gobgp.js';
import { POD_PORT, podsManifest } from './testing/pods.js';
import { converged } from './testing/router-state.js';
import { useSandboxSession } from './testing/session.js';

const NODES = ['node1', 'node2', 'node3'];
const SERVER = 'node1';
const CLIENTS = ['node2', 'node3'];
const CLUSTER_ID = '42';
const FAMILIES: SandboxFamily[] = ['ipv4', 'ipv6'];
const CONVERGE_MS = 45_000;
/** BGP path attribute type codes (RFC 4456). */
const ORIGINATOR_ID = 9;
const CLUSTER_LIST = 10;

function nodeAnnotations(annotations: Record<string, Record<string, string>>): string {
  return Object.entries(annotations)
    .map(([name, a]) => JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, annotations: a } }))
    .join('\n---\n');
}
const RR_ANNOTATIONS = nodeAnnotations({
  [SERVER]: { 'kube-router.io/rr.server': CLUSTER_ID },
  ...Object.fromEntries(CLIENTS.map((c) => [c, { 'kube-router.io/rr.client': CLUSTER_ID }])),
});

/** The established sessions of a node, by the peer node's name. */
async function establishedPeers(node: string, nodes: readonly NodeStatus[]): Promise<string[]> {
  const byAddress = new Map(nodes.map((n) => [n.addresses.ipv4, n.name]));
  return Object.entries(await sessions(node))
    .filter(([, [state]]) => state === ESTABLISHED)
    .map(([address]) => byAddress.get(address) ?? address)
    .sort();
}

/** A path in `gobgp global rib -j`: its attributes with their type codes. */
interface RibPath {
  attrs?: { type: number; value?: unknown; nexthop?: string }[];
}

/** How `node` learned `prefix`: the next hop, the originator id and the cluster list. */
async function learned(node: string, family: SandboxFamily, prefix: string): Promise<{ nextHop?: string; originator?: unknown; clusterList?: unknown } | undefined> {
  const rib = JSON.parse((await sandboxOk(['exec', node, '--', 'gobgp', 'global', 'rib', '-a', family, '-j'])).stdout) as Record<string, RibPath[]>;
  const path = rib[prefix]?.[0];
  if (!path) return undefined;
  const attr = (type: number) => path.attrs?.find((a) => a.type === type);
  // The next hop: NEXT_HOP (type 3) for IPv4, MP_REACH_NLRI (type 14) for IPv6.
  const nextHop = attr(3)?.nexthop ?? attr(14)?.nexthop;
  return { nextHop, originator: attr(ORIGINATOR_ID)?.value, clusterList: attr(CLUSTER_LIST)?.value };
}

async function matrix(family: SandboxFamily): Promise<MatrixTable> {
  const args = ['matrix', '--port', String(POD_PORT), '--protocol', 'TCP', '--family', family, '--timeout', '2s', '--json'];
  return JSON.parse((await sandboxOk(args)).stdout) as MatrixTable;
}

useSandboxSession('test/src/sandbox/router-rr.test.ts');

describe('route reflection in a dual-stack sandbox of 3 nodes on 2 subnets', () => {
  let nodes: NodeStatus[];

  beforeAll(async () => {
    await sandboxOk(['up', '--nodes', '3', '--subnets', '2', '--stack', 'dual', '--json'], { timeoutMs: 90_000 });
    await sandboxOk(['apply', '-f', '-'], { input: podsManifest('e2e', NODES) });
    await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
    nodes = (JSON.parse((await sandboxOk(['status', '--json'])).stdout) as SandboxStatus).nodes.slice();
    // The full mesh first.
    for (const n of NODES) {
      const want = NODES.filter((o) => o !== n);
      expect(await eventually(() => establishedPeers(n, nodes), (p) => p.join() === want.join(), CONVERGE_MS)).toEqual(want);
    }
  }, 300_000);

  afterAll(async () => {
    await sandboxCli(['down'], { timeoutMs: 60_000 });
  }, 90_000);

  it('clients keep only their session with the server, which keeps both', async () => {
    await sandboxOk(['apply', '-f', '-'], { input: RR_ANNOTATIONS });
    for (const c of CLIENTS) expect(await eventually(() => establishedPeers(c, nodes), (p) => p.join() === SERVER, CONVERGE_MS)).toEqual([SERVER]);
    expect(await eventually(() => establishedPeers(SERVER, nodes), (p) => p.join() === CLIENTS.join(), CONVERGE_MS)).toEqual(CLIENTS);
  }, 120_000);

  it.each(FAMILIES)('reflects each client’s %s pod CIDR to the other with the originator’s next hop', async (family) => {
    for (const [to, from] of [CLIENTS, [...CLIENTS].reverse()] as [string, string][]) {
      const origin = nodes.find((n) => n.name === from)!;
      const prefix = origin.podCIDRs.find((c) => (family === 'ipv4' ? !c.includes(':') : c.includes(':')))!;
      const path = await eventually(() => learned(to, family, prefix), (p) => p?.clusterList !== undefined, CONVERGE_MS);
      expect({ to, prefix, nextHop: path?.nextHop }).toEqual({ to, prefix, nextHop: origin.addresses[family] });
      // Reflected: the route carries the originator (the client's router id, its IPv4
      // address) and the server's cluster id.
      expect(JSON.stringify(path?.originator)).toContain(origin.addresses.ipv4!);
      expect(JSON.stringify(path?.clusterList)).toMatch(/42|0\.0\.0\.42/);
    }
  }, 120_000);

  it('installs the same routes and tunnels as the full mesh, and every pod reaches every pod', async () => {
    expect(await eventually(() => converged(nodes, FAMILIES), Boolean, CONVERGE_MS)).toBe(true);
    for (const family of FAMILIES) {
      const table = await matrix(family);
      expect({ family, unreached: table.cells.filter((c) => !reached(c)).map((c) => `${c.from} -> ${c.to}: ${c.error ?? c.answeredBy}`) }).toEqual({ family, unreached: [] });
      expect(table.cells.filter(reached)).toHaveLength(36);
    }
  }, 120_000);

  it('goes back to the full mesh when the annotations are removed', async () => {
    await sandboxOk(['delete', '-f', '-'], { input: RR_ANNOTATIONS });
    for (const n of NODES) {
      const want = NODES.filter((o) => o !== n);
      expect(await eventually(() => establishedPeers(n, nodes), (p) => p.join() === want.join(), CONVERGE_MS)).toEqual(want);
    }
    expect(await eventually(() => converged(nodes, FAMILIES), Boolean, CONVERGE_MS)).toBe(true);
  }, 120_000);
});
