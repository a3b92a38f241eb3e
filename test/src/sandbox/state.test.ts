// The state directory: `down` removes the sandbox's files and nothing else (the local
// node launcher keeps its logs in .sandbox/local). Test IP plan: none (no addresses).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSandboxEntry, removeSandboxState, sandboxEntries, sandboxPaths } from './state.js';

describe('state directory', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function repoWith(entries: string[]): Promise<ReturnType<typeof sandboxPaths>> {
    const repo = await mkdtemp(join(tmpdir(), 'kr-sandbox-state-'));
    dirs.push(repo);
    const paths = sandboxPaths(repo);
    await mkdir(paths.stateDir);
    for (const e of entries) {
      if (e.endsWith('/')) await mkdir(join(paths.stateDir, e), { recursive: true });
      else await writeFile(join(paths.stateDir, e), 'x');
    }
    return paths;
  }

  it.each([
    ['cluster.json', true],
    ['cluster.json.tmp', true],
    ['apiserver.sock', true],
    ['apiserver.json.tmp-123', true],
    ['kubeconfig', true],
    ['nodes', true],
    ['local', false],
    ['notes.txt', false],
  ])('%s is the sandbox\'s: %s', (name, owned) => expect(isSandboxEntry(name)).toBe(owned));

  it('removes the sandbox files and the directory when nothing else is left', async () => {
    const paths = await repoWith(['cluster.json', 'apiserver.log', 'kubeconfig', 'nodes/node1/logs/']);
    expect((await sandboxEntries(paths)).length).toBe(4);
    expect(await removeSandboxState(paths)).toBe(true);
    expect(await readdir(paths.repoRoot)).toEqual([]);
    expect(await removeSandboxState(paths)).toBe(false);
  });

  it('keeps what is not the sandbox\'s', async () => {
    const paths = await repoWith(['cluster.json', 'nodes/', 'local/']);
    await writeFile(join(paths.stateDir, 'local', 'cni.log'), 'keep');
    expect(await removeSandboxState(paths)).toBe(true);
    expect(await readdir(paths.stateDir)).toEqual(['local']);
    expect(await sandboxEntries(paths)).toEqual([]);
  });
});
