// One sandbox at a time. The sandbox has fixed names (krsbx-* namespaces, .sandbox/), and
// vitest runs test files in parallel processes, so every end-to-end file that brings a
// sandbox up first takes this machine-wide lock: a directory under os.tmpdir() created
// with mkdir (atomic: exactly one creator wins), holding owner.json with the holder's pid.
// While it is held, `kr-sandbox up` and `down` run only for the holder and the processes
// it started (its descendants): anyone else is told who has the sandbox, instead of
// tearing down a sandbox a test is using.
//
// Stale locks: a holder that died without releasing (SIGKILL, a crashed fork) leaves the
// directory behind; whoever finds the recorded pid gone removes it. It re-reads
// owner.json just before removing, so it never removes a lock that a waiter has meanwhile
// taken over (the window left is a few microseconds, and only after a crash).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SANDBOX_LOCK_DIR = join(tmpdir(), 'kr-sandbox-e2e.lock');

/** A directory without owner.json older than this was left by a creator that died. */
const OWNERLESS_STALE_MS = 5_000;

export interface LockOwner {
  readonly pid: number;
  readonly token: string;
  readonly holder: string;
  readonly since: string;
}

export interface SandboxLock {
  /** Idempotent; also run on process exit if never called. */
  release(): void;
}

export interface LockOptions {
  /** Who holds it (shown to waiters), e.g. the test file. */
  readonly holder: string;
  /** Give up after this long (default 15 minutes: a few sandbox test files before us). */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly dir?: string;
  /** Called once when the lock is busy, with its holder (for a progress line). */
  readonly onWait?: (holder: string) => void;
}

function readOwner(dir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    // Absent or half-written (its creator is between mkdir and writeFile).
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const m = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    // Gone meanwhile: no parent to follow.
    return undefined;
  }
}

/** Whether `pid` is this process or one of its ancestors. */
function isSelfOrAncestor(pid: number): boolean {
  for (let p: number | undefined = process.pid; p !== undefined && p > 0; p = parentOf(p)) {
    if (p === pid) return true;
  }
  return false;
}

/** How long the lock directory has existed; 0 when there is none. */
function lockAge(dir: string): number {
  const stat = statSync(dir, { throwIfNoEntry: false });
  return stat ? Date.now() - stat.mtimeMs : 0;
}

/**
 * The lock's live owner, or undefined when it is free. A stale lock (its owner is dead,
 * or it has had no owner.json for a while) is removed on the way.
 */
export function lockOwner(dir: string = SANDBOX_LOCK_DIR): LockOwner | undefined {
  const owner = readOwner(dir);
  if (owner && alive(owner.pid)) return owner;
  if (!owner && lockAge(dir) < OWNERLESS_STALE_MS) {
    // Being created, or no lock at all (lockAge is then 0).
    return undefined;
  }
  if (readOwner(dir)?.token === owner?.token) rmSync(dir, { recursive: true, force: true });
  return undefined;
}

/** The owner, when the lock is held by a live process that is neither us nor an ancestor of ours. */
export function foreignLockOwner(dir: string = SANDBOX_LOCK_DIR): LockOwner | undefined {
  const owner = lockOwner(dir);
  return owner && !isSelfOrAncestor(owner.pid) ? owner : undefined;
}

export function describeOwner(owner: LockOwner): string {
  return `${owner.holder} (pid ${owner.pid}, since ${owner.since})`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireSandboxLock(options: LockOptions): Promise<SandboxLock> {
  const dir = options.dir ?? SANDBOX_LOCK_DIR;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const me: LockOwner = { pid: process.pid, token: randomUUID(), holder: options.holder, since: new Date().toISOString() };
  let announced = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner.json'), JSON.stringify(me));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(dir);
    if (owner && !announced) {
      announced = true;
      options.onWait?.(describeOwner(owner));
    }
    if (Date.now() > deadline) {
      throw new Error(`the sandbox lock ${dir} is still held by ${owner ? describeOwner(owner) : 'a process that is creating it'} after ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(options.pollMs ?? 500);
  }

  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never one a waiter took over after judging us dead.
    if (readOwner(dir)?.token === me.token) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', release);
  return { release };
}
