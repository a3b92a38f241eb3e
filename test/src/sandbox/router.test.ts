// End to end: kr-router with real gobgpd and real kernel routes, through the kr-sandbox
// CLI, one sandbox per stack: 3 nodes on 2 fabric subnets, so node2 sits alone on
// subnet 1 and is reached over vxlan tunnels (the sandbox runs the router with
// --overlay-encap=vxlan; this kernel has no ipip/fou), while node1 and node3 share
// subnet 0 and route to each other directly. Two pods per node.
//
// Test IP plan (the sandbox's defaults):
//   node1  subnet 0  198.18.0.11  fd42:198:18::11   pods 10.244.0.0/24  fd00:10:244::/64
//   node2  subnet 1  198.18.1.12  fd42:198:18:1::12 pods 10.244.1.0/24  fd00:10:244:1::/64
//   node3  subnet 0  198.18.0.13  fd42:198:18::13   pods 10.244.2.0/24  fd00:10:244:2::/64
//   (pod CIDRs are allocated by the simulator; the tests read them from `status`)
//   fabric router .1 / ::1 on each subnet; vxlan UDP port 5555 (--overlay-encap-port).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reached, type MatrixTable } from './matrix.js';
import type { SandboxFamily, SandboxStack } from './node/index.js';
import type { RemoveNodeResult } from './remove-node.js';
import type { NodeStatus, SandboxStatus } from './status.js';
import { sandboxCli, sandboxOk } from './testing/cli.js';
import { eventually } from './testing/eventually.js';
import { hostKernelState } from './testing/kernel.js';
import { POD_PORT, podsManifest } from './testing/pods.js';
import { actualRoutes, actualTunnels, converged, expectedRoutes, expectedTunnels } from './testing/router-state.js';
import { useSandboxSession } from './testing/session.js';

const NODES = ['node1', 'node2', 'node3'];
const TUNNELLED = 'node2';
const FAMILY_ORDER: Record<SandboxStack, SandboxFamily[]> = { ipv4: ['ipv4'], ipv6: ['ipv6'], dual: ['ipv4', 'ipv6'], 'dual-v6': ['ipv6', 'ipv4'] };
const CONVERGE_MS = 30_000;

function unreached(table: MatrixTable): string[] {
  return table.cells.filter((c) => !reached(c)).map((c) => `${c.from} -> ${c.to}: ${c.error ?? `answered by ${c.answeredBy}`}`);
}

async function status(): Promise<SandboxStatus> {
  return JSON.parse((await sandboxOk(['status', '--json'])).stdout) as SandboxStatus;
}

async function matrix(family: SandboxFamily, protocol: 'TCP' | 'UDP'): Promise<MatrixTable> {
  const args = ['matrix', '--port', String(POD_PORT), '--protocol', protocol, '--family', family, '--timeout', '2s', '--json'];
  return JSON.parse((await sandboxOk(args)).stdout) as MatrixTable;
}

useSandboxSession('test/src/sandbox/router.test.ts');

describe.each(['ipv4', 'ipv6', 'dual', 'dual-v6'] as const)('kr-router in a %s sandbox of 3 nodes on 2 subnets', (stack) => {
  const families = FAMILY_ORDER[stack];
  let nodes: NodeStatus[];

  beforeAll(async () => {
    await sandboxOk(['up', '--nodes', '3', '--subnets', '2', '--stack', stack, '--json'], { timeoutMs: 90_000 });
    await sandboxOk(['apply', '-f', '-'], { input: podsManifest('e2e', NODES) });
    await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
    nodes = (await status()).nodes.slice();
    expect(nodes.find((n) => n.name === TUNNELLED)?.subnet).toBe(1);
  }, 300_000);

  afterAll(async () => {
    // Also when a test failed or `up` broke half-way.
    await sandboxCli(['down'], { timeoutMs: 60_000 });
  }, 90_000);

  it('installs, per family, direct routes to the node on the same subnet and a vxlan tunnel with a route to the node on the other', async () => {
    await eventually(() => converged(nodes, families), Boolean, CONVERGE_MS);
    for (const node of nodes) {
      // Read through the CLI, as a user would.
      const state = await hostKernelState(node.name);
      expect({ node: node.name, routes: actualRoutes(state) }).toEqual({ node: node.name, routes: expectedRoutes(node, nodes, families) });
      expect({ node: node.name, tunnels: actualTunnels(state) }).toEqual({ node: node.name, tunnels: expectedTunnels(node, nodes, families) });
      // kube-router v2's tunnel names: "tun-" and a hash of the remote end.
      for (const t of state.tunnels) expect(t.name).toMatch(/^tun-[0-9a-f]{11}$/);
    }
  }, 60_000);

  it.each(['TCP', 'UDP'] as const)('lets every pod reach every pod on every node over each family (%s)', async (protocol) => {
    for (const family of families) {
      const table = await matrix(family, protocol);
      expect(table.pods).toHaveLength(NODES.length * 2);
      expect({ family, unreached: unreached(table) }).toEqual({ family, unreached: [] });
      expect(table.cells.filter(reached)).toHaveLength(36);
    }
  }, 60_000);

  it('withdraws the routes and tunnels of a removed node on every other node, and the rest keeps working', async () => {
    const removed = JSON.parse((await sandboxOk(['remove-node', TUNNELLED, '--json'], { timeoutMs: 60_000 })).stdout) as RemoveNodeResult;
    expect(removed).toMatchObject({ node: TUNNELLED, pods: [`e2e/${TUNNELLED}-a`, `e2e/${TUNNELLED}-b`] });
    const rest = nodes.filter((n) => n.name !== TUNNELLED);
    expect((await status()).nodes.map((n) => n.name)).toEqual(rest.map((n) => n.name));

    await eventually(() => converged(rest, families), Boolean, CONVERGE_MS);
    for (const node of rest) {
      const state = await hostKernelState(node.name);
      // Nothing to or over the removed node is left: only the direct routes between the two others.
      expect({ node: node.name, routes: actualRoutes(state), tunnels: actualTunnels(state) }).toEqual({
        node: node.name,
        routes: expectedRoutes(node, rest, families),
        tunnels: [],
      });
    }
    for (const family of families) {
      const table = await matrix(family, 'TCP');
      expect({ family, pods: table.pods.length, unreached: unreached(table) }).toEqual({ family, pods: 4, unreached: [] });
    }
  }, 90_000);
});
