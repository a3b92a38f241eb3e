// The agent's command line and cluster.json, checked up front: a bad value is a
// ConfigError naming it (the agent exits 2), never a failure halfway through start-up.
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@kr/errors';
import { STACK_FAMILIES, type SandboxClusterConfig, type SandboxHost } from './cluster-config.js';

export interface AgentArgs {
  readonly configPath: string;
  readonly node: string;
}

export const AGENT_USAGE = 'usage: main.js --config <state dir>/cluster.json --node <node name>';

export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  let values: { config?: string | undefined; node?: string | undefined };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, node: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new ConfigError('arguments', (err as Error).message, { cause: err });
  }
  if (!values.config) throw new ConfigError('--config', 'is required');
  if (!values.node) throw new ConfigError('--node', 'is required');
  return { configPath: values.config, node: values.node };
}

function check(condition: boolean, field: string, reason: string): asserts condition {
  if (!condition) throw new ConfigError(`cluster.json ${field}`, reason);
}

/** Checks the fields the agent relies on; the CLI owns the rest. */
export function validateClusterConfig(value: unknown): SandboxClusterConfig {
  check(typeof value === 'object' && value !== null, '', 'must be a JSON object');
  const c = value as SandboxClusterConfig;
  check(c.version === 1, 'version', `must be 1, got ${JSON.stringify(c.version)}`);
  check(typeof c.repoRoot === 'string' && isAbsolute(c.repoRoot), 'repoRoot', 'must be an absolute path');
  check(typeof c.stateDir === 'string' && isAbsolute(c.stateDir), 'stateDir', 'must be an absolute path');
  check(typeof c.stack === 'string' && c.stack in STACK_FAMILIES, 'stack', `must be one of ${Object.keys(STACK_FAMILIES).join(', ')}`);
  const expected = STACK_FAMILIES[c.stack];
  check(Array.isArray(c.families) && c.families.join() === expected.join(), 'families', `must be ${JSON.stringify(expected)} for stack ${c.stack}`);
  check(Array.isArray(c.nodes), 'nodes', 'must be a list');
  for (const [i, n] of c.nodes.entries()) {
    check(typeof n?.name === 'string' && typeof n.netns === 'string', `nodes[${i}]`, 'needs name and netns');
    for (const family of expected) check(typeof n.addresses?.[family] === 'string', `nodes[${i}].addresses.${family}`, `is required on a ${c.stack} cluster`);
  }
  check(Array.isArray(c.controllers), 'controllers', 'must be a list');
  check(typeof c.extraFlags === 'object' && c.extraFlags !== null, 'extraFlags', 'must be an object');
  check(typeof c.api?.socket === 'string' && isAbsolute(c.api.socket), 'api.socket', 'must be an absolute path');
  check(c.manifest === undefined || (typeof c.manifest === 'string' && isAbsolute(c.manifest)), 'manifest', 'must be an absolute path');
  check(c.podNetnsPrefix === undefined || (typeof c.podNetnsPrefix === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/.test(c.podNetnsPrefix)), 'podNetnsPrefix', 'must be a short name prefix');
  return c;
}

export async function loadClusterConfig(path: string): Promise<SandboxClusterConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('--config', `${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateClusterConfig(value);
}

export function findNode(config: SandboxClusterConfig, name: string): SandboxHost {
  const node = config.nodes.find((n) => n.name === name);
  if (!node) throw new ConfigError('--node', `${JSON.stringify(name)} is not a node of the cluster (${config.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** The manifest to take container commands from. */
export function manifestPath(config: SandboxClusterConfig): string {
  return config.manifest ?? `${config.repoRoot}/deploy/kube-router-ts.yaml`;
}
