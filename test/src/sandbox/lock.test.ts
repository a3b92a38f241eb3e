// The machine-wide sandbox lock, in a directory of its own per test (never the real one,
// which would stop the end-to-end files running next to these tests).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireSandboxLock, foreignLockOwner, lockOwner } from './lock.js';

let base: string;
let dir: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'kr-lock-test-'));
  dir = join(base, 'lock');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** A lock directory as another process would leave it. */
function ownedBy(pid: number): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid, token: `t${pid}`, holder: `pid ${pid}`, since: new Date().toISOString() }));
}

describe('the sandbox lock', () => {
  it('is held by one owner at a time: a second taker waits, then gets it after the release', async () => {
    const first = await acquireSandboxLock({ holder: 'first', dir });
    expect(lockOwner(dir)).toMatchObject({ pid: process.pid, holder: 'first' });
    await expect(acquireSandboxLock({ holder: 'second', dir, timeoutMs: 300, pollMs: 50 })).rejects.toThrow(/still held by first \(pid \d+/);
    const waiting = acquireSandboxLock({ holder: 'second', dir, timeoutMs: 5_000, pollMs: 50 });
    setTimeout(() => first.release(), 200);
    const second = await waiting;
    expect(lockOwner(dir)).toMatchObject({ holder: 'second' });
    second.release();
    first.release();
    expect(lockOwner(dir)).toBeUndefined();
  });

  it('takes over a lock whose owner is dead', async () => {
    const dead = spawnSync('true').pid!;
    ownedBy(dead);
    expect(lockOwner(dir)).toBeUndefined();
    ownedBy(dead);
    const lock = await acquireSandboxLock({ holder: 'after a crash', dir, timeoutMs: 2_000, pollMs: 50 });
    expect(lockOwner(dir)).toMatchObject({ pid: process.pid, holder: 'after a crash' });
    lock.release();
  });

  it('is foreign to a process that is neither its owner nor a descendant of it', async () => {
    const other = spawn('sleep', ['10']);
    try {
      ownedBy(other.pid!);
      expect(foreignLockOwner(dir)).toMatchObject({ pid: other.pid });
    } finally {
      other.kill();
    }
    rmSync(dir, { recursive: true });
    // Our parent holds it: we were started by the holder (as the tests' kr-sandbox runs are).
    ownedBy(process.ppid);
    expect(foreignLockOwner(dir)).toBeUndefined();
    expect(lockOwner(dir)).toMatchObject({ pid: process.ppid });
  });
});
