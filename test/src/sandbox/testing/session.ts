// The start and end of an end-to-end file that brings sandboxes up: take the machine-wide
// lock (../lock.ts), make sure no other sandbox is up (a user's, or one of a tool that
// does not take the lock, such as a benchmark: wait a while for it to go, never take it
// over), and at the end bring down whatever is still up and release the lock.
import { afterAll, beforeAll } from 'vitest';
import { acquireSandboxLock } from '../lock.js';
import { sandboxNamespaces } from '../processes.js';
import { sandboxEntries, sandboxPaths } from '../state.js';
import { REPO, ensureCliBuilt, sandboxCli } from './cli.js';

export interface SandboxSession {
  /** `kr-sandbox down` (also after a failure half-way), then the lock is released. */
  end(): Promise<void>;
}

async function sandboxLeftovers(): Promise<string[]> {
  return [...(await sandboxEntries(sandboxPaths(REPO))), ...(await sandboxNamespaces())];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock with no sandbox up. A sandbox someone brought up without the lock keeps
 * it up and down only for its owner while we hold the lock, so we let go of the lock
 * while waiting (up to `foreignTimeoutMs`) for it to go.
 */
export async function beginSandboxSession(holder: string, options: { foreignTimeoutMs?: number } = {}): Promise<SandboxSession> {
  const deadline = Date.now() + (options.foreignTimeoutMs ?? 180_000);
  const onWait = (by: string) => process.stderr.write(`${holder}: waiting for the sandbox lock held by ${by}\n`);
  for (;;) {
    const lock = await acquireSandboxLock({ holder, onWait });
    const left = await sandboxLeftovers();
    if (!left.length) {
      return {
        async end() {
          try {
            await sandboxCli(['down'], { timeoutMs: 60_000 });
          } finally {
            lock.release();
          }
        },
      };
    }
    lock.release();
    if (Date.now() > deadline) throw new Error(`a sandbox is already up (${left.slice(0, 6).join(' ')}): run \`pnpm -s sandbox down\` before these tests`);
    await sleep(2_000);
  }
}

/**
 * The file-level hooks of an end-to-end file: before its tests, build the CLI if needed
 * and begin a session (the lock, no sandbox up); after them, end it (down, release), also
 * when a test failed. `enabled: false` (a missing tool) skips both.
 */
export function useSandboxSession(holder: string, options: { enabled?: boolean } = {}): void {
  let session: SandboxSession | undefined;
  beforeAll(async () => {
    if (options.enabled === false) return;
    ensureCliBuilt();
    session = await beginSandboxSession(holder);
  }, 20 * 60_000);
  afterAll(async () => {
    await session?.end();
  }, 90_000);
}
