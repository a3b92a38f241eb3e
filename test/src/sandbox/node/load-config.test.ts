// cluster.json and the agent's arguments: what the agent refuses, and how (ConfigError,
// exit code 2), before it starts anything.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import type { SandboxClusterConfig } from './cluster-config.js';
import { run } from './exec.js';
import { findNode, parseAgentArgs, validateClusterConfig } from './load-config.js';
import { ensureSandboxBuilt } from './testing/build.js';

const VALID: SandboxClusterConfig = {
  version: 1,
  repoRoot: '/srv/repo',
  stateDir: '/srv/repo/.sandbox',
  stack: 'dual-v6',
  families: ['ipv6', 'ipv4'],
  clusterCidrs: ['fd00:10:244::/56', '10.244.0.0/16'],
  serviceCidrs: ['fd00:10:96::/112', '10.96.0.0/16'],
  nodeCidrMaskSizeIPv4: 24,
  nodeCidrMaskSizeIPv6: 64,
  subnets: [{ index: 0, ipv4: '198.18.0.0/24', ipv6: 'fd42:198:18:0::/64' }],
  nodes: [{ name: 'node1', netns: 'krsbx-node1', subnet: 0, addresses: { ipv4: '198.18.0.11', ipv6: 'fd42:198:18:0::11' } }],
  externals: [],
  controllers: ['cni'],
  extraFlags: {},
  api: { url: 'http://127.0.0.1:40000', socket: '/srv/repo/.sandbox/apiserver.sock' },
};

describe('validateClusterConfig', () => {
  it('accepts what the CLI writes', () => {
    expect(validateClusterConfig(structuredClone(VALID))).toEqual(VALID);
    expect(findNode(VALID, 'node1').netns).toBe('krsbx-node1');
  });

  it.each([
    { what: 'another version', change: { version: 2 }, message: /cluster.json version: must be 1/ },
    { what: 'a relative state dir', change: { stateDir: '.sandbox' }, message: /stateDir: must be an absolute path/ },
    { what: 'families out of the stack order', change: { families: ['ipv4', 'ipv6'] }, message: /families: must be \["ipv6","ipv4"\] for stack dual-v6/ },
    { what: 'a node without an address of a family', change: { nodes: [{ name: 'node1', netns: 'n', subnet: 0, addresses: { ipv6: '::1' } }] }, message: /nodes\[0\].addresses.ipv4: is required on a dual-v6 cluster/ },
    { what: 'no API socket', change: { api: { url: 'http://x' } }, message: /api.socket: must be an absolute path/ },
    { what: 'a pod namespace prefix with a slash', change: { podNetnsPrefix: 'a/b' }, message: /podNetnsPrefix/ },
  ])('refuses $what', ({ change, message }) => {
    expect(() => validateClusterConfig({ ...structuredClone(VALID), ...change })).toThrow(ConfigError);
    expect(() => validateClusterConfig({ ...structuredClone(VALID), ...change })).toThrow(message);
  });

  it('refuses an unknown node and missing arguments', () => {
    expect(() => findNode(VALID, 'node9')).toThrow(/"node9" is not a node of the cluster \(node1\)/);
    expect(() => parseAgentArgs(['--node', 'node1'])).toThrow(/--config: is required/);
    expect(() => parseAgentArgs(['--config', '/x', '--node', 'n', '--verbose'])).toThrow(ConfigError);
    expect(parseAgentArgs(['--config', '/x', '--node', 'n'])).toEqual({ configPath: '/x', node: 'n' });
  });

  it('the agent exits 2 with the reason and its usage', async () => {
    const { agentMain } = ensureSandboxBuilt();
    const dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-config-'));
    try {
      await writeFile(join(dir, 'cluster.json'), JSON.stringify(VALID));
      const err = (await run([process.execPath, agentMain, '--config', join(dir, 'cluster.json'), '--node', 'node7']).catch((e: unknown) => e)) as { exitCode: number; stderr: string };
      expect(err.exitCode).toBe(2);
      expect(err.stderr).toMatch(/kr-sandbox-agent: --node: "node7" is not a node of the cluster[\s\S]*usage: main.js --config/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
