// End to end: the kr-sandbox CLI run as a user runs it, one sandbox per stack (3 nodes,
// all controllers, 2 pods per node), then `down`. Across-node pod traffic needs the
// router controller (issue 4) and is not tested here.
//
// Test IP plan (the sandbox's defaults): fabric 198.18.0.0/24 + fd42:198:18::/64, nodes
// .11-.13 / ::11-::13; pods 10.244.0.0/16 (/24 per node) + fd00:10:244::/56 (/64 per
// node); services 10.96.0.0/16 + fd00:10:96::/112. The overlap check is driven with
// 127.0.0.0/16, inside the root namespace's loopback 127.0.0.1/8, which every machine has.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contains, familyOf } from '@kr/ip';
import type { SandboxFamily, SandboxStack } from './node/index.js';
import { sandboxEntries, sandboxPaths } from './state.js';
import type { SandboxStatus } from './status.js';
import { REPO, sandboxCli, sandboxOk } from './testing/cli.js';
import { useSandboxSession } from './testing/session.js';

const STATE_DIR = `${REPO}/.sandbox`;
const NODES = ['node1', 'node2', 'node3'];
const FAMILY_ORDER: Record<SandboxStack, SandboxFamily[]> = { ipv4: ['ipv4'], ipv6: ['ipv6'], dual: ['ipv4', 'ipv6'], 'dual-v6': ['ipv6', 'ipv4'] };

/** Two pods pinned to every node, answering on 8080 TCP and UDP. */
const PODS = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: e2e}',
  ...NODES.flatMap((node) =>
    ['a', 'b'].map(
      (x) => `apiVersion: v1
kind: Pod
metadata: {name: ${node}-${x}, namespace: e2e, labels: {app: e2e}}
spec:
  nodeName: ${node}
  containers: [{name: server, image: sandbox/pod-server, ports: [{containerPort: 8080, protocol: TCP}, {containerPort: 8080, protocol: UDP}]}]`,
    ),
  ),
].join('\n---\n');

async function sandboxNamespaces(): Promise<string[]> {
  return (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith('krsbx-'));
}

/** Processes started for the sandbox: anything whose command line names its state directory. */
async function sandboxProcesses(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(STATE_DIR) && Number(pid) !== process.pid) out.push(`${pid} ${cmd.replaceAll('\0', ' ').trim()}`);
  }
  return out;
}

/** Every process inside a sandbox namespace (agents' containers, pod servers included). */
async function processesInNamespaces(): Promise<number[]> {
  const namespaces = await sandboxNamespaces();
  return namespaces.flatMap((ns) => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number));
}

async function expectNothingLeft(before: readonly number[] = []): Promise<void> {
  expect(before.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
  expect(await sandboxNamespaces()).toEqual([]);
  expect(await sandboxProcesses()).toEqual([]);
  expect(await sandboxEntries(sandboxPaths(REPO))).toEqual([]);
}

// One sandbox at a time on this machine (other end-to-end files wait for the lock); the
// tests never take over a sandbox that someone else has up.
useSandboxSession('test/src/sandbox/sandbox.test.ts');

describe('up refuses', () => {
  it('a pod range that overlaps the root namespace, leaving nothing behind', async () => {
    const result = await sandboxCli(['up', '--stack', 'ipv4', '--cluster-cidrs', '127.0.0.0/16']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the sandbox's pod range 127.0.0.0/16 overlaps the root namespace's address 127.0.0.1/8 on lo");
    expect(result.stderr).toContain('choose another range with --cluster-cidrs');
    await expectNothingLeft();
  });

  it('bad flags with exit code 2', async () => {
    const result = await sandboxCli(['up', '--stack', 'ipv5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--stack: "ipv5" is not one of ipv4, ipv6, dual, dual-v6');
  });
});

describe.each(['ipv4', 'ipv6', 'dual', 'dual-v6'] as const)('a 3-node %s sandbox', (stack) => {
  const families = FAMILY_ORDER[stack];
  let status: SandboxStatus;

  beforeAll(async () => {
    await sandboxOk(['up', '--nodes', '3', '--stack', stack, '--json'], { timeoutMs: 90_000 });
    await sandboxOk(['apply', '-f', '-'], { input: PODS });
    await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
    status = JSON.parse((await sandboxOk(['status', '--json'])).stdout) as SandboxStatus;
  }, 300_000);

  afterAll(async () => {
    // Also when a test failed or `up` broke half-way; harmless when the last test already did it.
    await sandboxCli(['down'], { timeoutMs: 60_000 });
  }, 90_000);

  it('has every node with its InternalIPs, pod CIDRs in the family order, and healthy controllers', () => {
    expect(status.stack).toBe(stack);
    expect(status.nodes.map((n) => n.name)).toEqual(NODES);
    for (const node of status.nodes) {
      expect(node.podCIDRs.map((c) => familyOf(c))).toEqual(families);
      for (const f of ['ipv4', 'ipv6'] as const) expect(node.addresses[f] !== null).toBe(families.includes(f));
      expect(node.controllers).toEqual({ cni: 'healthy', router: 'healthy', proxy: 'healthy', firewall: 'healthy' });
    }
  });

  it('gives the pods on every node an address of each family, in order, from the node pod CIDRs', () => {
    expect(status.pods).toHaveLength(NODES.length * 2);
    for (const pod of status.pods) {
      const node = status.nodes.find((n) => n.name === pod.node)!;
      expect(pod.name.startsWith(`${node.name}-`)).toBe(true);
      expect(pod.phase).toBe('Running');
      expect(pod.ips.map((ip) => familyOf(ip))).toEqual(families);
      pod.ips.forEach((ip, i) => expect(contains(node.podCIDRs[i]!, ip)).toBe(true));
    }
  });

  it('lets pods on the same node reach each other over each family, TCP and UDP', async () => {
    const probes = NODES.flatMap((node) =>
      families.flatMap((family) =>
        (['TCP', 'UDP'] as const).map(async (protocol) => {
          const args = ['probe', '--from', `e2e/${node}-a`, '--to', `e2e/${node}-b`, '--port', '8080', '--protocol', protocol, '--family', family];
          const result = await sandboxCli(args);
          return `${args.slice(1).join(' ')} -> ${result.code} ${result.stdout.trim() || result.stderr.trim()}`;
        }),
      ),
    );
    const got = await Promise.all(probes);
    const want = NODES.flatMap((node) =>
      families.flatMap((family) => ['TCP', 'UDP'].map((protocol) => `--from e2e/${node}-a --to e2e/${node}-b --port 8080 --protocol ${protocol} --family ${family} -> 0 e2e/${node}-b`)),
    );
    expect(got).toEqual(want);
  });

  it('exits 1 when a probe cannot connect', async () => {
    const result = await sandboxCli(['probe', '--from', 'e2e/node1-a', '--to', 'e2e/node1-b', '--port', '9', '--timeout', '500ms', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ from: 'e2e/node1-a', to: 'e2e/node1-b', ok: false, port: 9 });
  });

  it('down removes every namespace, process and file, and a second down finds nothing', async () => {
    const running = await processesInNamespaces();
    expect(running.length).toBeGreaterThanOrEqual(NODES.length * 4);
    const first = await sandboxOk(['down', '--json'], { timeoutMs: 60_000 });
    expect(JSON.parse(first.stdout)).toMatchObject({ stateDir: true });
    await expectNothingLeft(running);
    const second = await sandboxOk(['down']);
    expect(second.stdout).toBe('no sandbox was up\n');
  }, 60_000);
});
