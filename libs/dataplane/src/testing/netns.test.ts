import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTool } from '../exec.js';
import { createTestNetns, isRoot, ROOT_REQUIRED, withNetns } from './netns.js';

// No addresses: this checks namespace life cycle only.

async function namespaces(): Promise<string[]> {
  const { stdout } = await runTool(['ip', 'netns', 'list']);
  return stdout.split('\n').map((line) => line.split(' ')[0]!).filter(Boolean);
}

describe.skipIf(!isRoot())(`test namespaces${ROOT_REQUIRED}`, () => {
  it('creates kr-test-<random> with lo up, and deletes it', async () => {
    const ns = await createTestNetns();
    try {
      expect(ns.name).toMatch(/^kr-test-[0-9a-f]{10}$/);
      expect(await namespaces()).toContain(ns.name);
      const { stdout } = await runTool(['ip', '-j', 'link', 'show', 'lo'], { netns: ns.name });
      expect((JSON.parse(stdout) as { flags: string[] }[])[0]!.flags).toContain('UP');
    } finally {
      await ns.delete();
      await ns.delete();
    }
    expect(await namespaces()).not.toContain(ns.name);
  });

  it('withNetns deletes the namespace when the test body throws', async () => {
    let name = '';
    await expect(
      withNetns(async (netns) => {
        name = netns;
        throw new Error('test body failed');
      }),
    ).rejects.toThrow('test body failed');
    expect(name).not.toBe('');
    expect(await namespaces()).not.toContain(name);
  });

  it.each([
    { ending: 'process.exit()', signal: undefined },
    { ending: 'SIGTERM', signal: 'SIGTERM' as const },
    { ending: 'SIGINT', signal: 'SIGINT' as const },
  ])('a process ended by $ending without cleaning up still removes its namespaces', async ({ signal }) => {
    const netnsModule = fileURLToPath(new URL('./netns.ts', import.meta.url));
    // The child runs the TypeScript source directly (Node strips types); a resolve hook
    // maps the `.js` import specifiers to their `.ts` files as the compiler would.
    const script = `
      import { registerHooks } from 'node:module';
      registerHooks({
        resolve(specifier, context, next) {
          try { return next(specifier, context); }
          catch (err) { if (specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context); throw err; }
        },
      });
      const { createTestNetns } = await import(${JSON.stringify(netnsModule)});
      const ns = await createTestNetns();
      console.log(ns.name);
      // Wait for the parent to have seen the namespace, then end as the row says.
      if (${JSON.stringify(signal ?? '')} === '') process.stdin.once('data', () => process.exit(0));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve();
      }),
    );
    const name = stdout.trim();
    expect(name).toMatch(/^kr-test-/);
    expect(await namespaces()).toContain(name);
    if (signal) child.kill(signal);
    else child.stdin.write('exit\n');
    expect(await exited).toBe(signal ?? 0);
    expect(stderr).toBe('');
    expect(await namespaces()).not.toContain(name);
  });
});
