// The sandbox's state directory (`<repo>/.sandbox`) and its cluster.json.
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KrError } from '@kr/errors';
import type { SandboxClusterConfig } from './node/index.js';

/** The repository root: this file is test/src/sandbox/state.ts or test/dist/sandbox/state.js. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface SandboxPaths {
  readonly repoRoot: string;
  readonly stateDir: string;
  readonly clusterJson: string;
  readonly apiSocket: string;
  readonly apiLog: string;
  readonly apiSnapshot: string;
  readonly kubeconfig: string;
  /** The built pieces the sandbox runs. */
  readonly apiserverBin: string;
  readonly nodeAgent: string;
  readonly probeClient: string;
  readonly kr: string;
}

export function sandboxPaths(repoRoot = REPO_ROOT): SandboxPaths {
  const stateDir = join(repoRoot, '.sandbox');
  return {
    repoRoot,
    stateDir,
    clusterJson: join(stateDir, 'cluster.json'),
    apiSocket: join(stateDir, 'apiserver.sock'),
    apiLog: join(stateDir, 'apiserver.log'),
    apiSnapshot: join(stateDir, 'apiserver.json'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    apiserverBin: join(repoRoot, 'test/bin/kr-apiserver.mjs'),
    nodeAgent: join(repoRoot, 'test/dist/sandbox/node/main.js'),
    probeClient: join(repoRoot, 'test/dist/sandbox/pod/probe-client.js'),
    kr: join(repoRoot, 'services/ctl/bin/kr.js'),
  };
}

/** The sandbox is not up (or its state is unreadable): run `up` first. */
export class SandboxNotUpError extends KrError {}

export async function readClusterConfig(paths: SandboxPaths): Promise<SandboxClusterConfig> {
  let text: string;
  try {
    text = await readFile(paths.clusterJson, 'utf8');
  } catch (err) {
    throw new SandboxNotUpError(`no sandbox is up (${paths.clusterJson} is missing): start one with \`pnpm -s sandbox up\``, { cause: err });
  }
  try {
    return JSON.parse(text) as SandboxClusterConfig;
  } catch (err) {
    throw new SandboxNotUpError(`${paths.clusterJson} is not valid JSON; \`pnpm -s sandbox down\` cleans up`, { cause: err });
  }
}

/** Written atomically: node agents may read it at any time. */
export async function writeClusterConfig(paths: SandboxPaths, config: SandboxClusterConfig): Promise<void> {
  const tmp = `${paths.clusterJson}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`);
  await rename(tmp, paths.clusterJson);
}

/**
 * Whether a file of the state directory is the sandbox's: `.sandbox/` is shared with
 * scripts/local-node.mjs (its logs go to `.sandbox/local/`), which `down` leaves alone.
 */
export function isSandboxEntry(name: string): boolean {
  return name === 'nodes' || name === 'kubeconfig' || name.startsWith('cluster.json') || name.startsWith('apiserver.');
}

/** The sandbox's own entries of the state directory (absolute paths). */
export async function sandboxEntries(paths: SandboxPaths): Promise<string[]> {
  const names = await readdir(paths.stateDir).catch(() => [] as string[]);
  return names.filter(isSandboxEntry).map((n) => join(paths.stateDir, n));
}

/** Removes the sandbox's entries, then the directory if nothing else is in it. */
export async function removeSandboxState(paths: SandboxPaths): Promise<boolean> {
  const entries = await sandboxEntries(paths);
  for (const entry of entries) await rm(entry, { recursive: true, force: true });
  if (existsSync(paths.stateDir) && (await readdir(paths.stateDir)).length === 0) await rmdir(paths.stateDir);
  return entries.length > 0;
}
