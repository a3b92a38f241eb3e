// Long-lived sandbox processes (the simulator, the node agents): started detached in
// their own process group so they outlive `up`, and found again by `down` through their
// command line (which names this repository's state directory) or their namespace.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { runTool } from './exec.js';
import { NETNS_PREFIX } from './plan.js';

export interface DetachedProcess {
  readonly pid: number;
  /** Resolves with the exit code/signal if the process ends while we still watch it. */
  readonly exited: Promise<string>;
}

/** Starts argv detached (own process group), stdin closed, stdout+stderr appended to logFile. */
export function spawnDetached(argv: readonly string[], logFile: string): DetachedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.once('error', (err) => resolve(`could not start: ${err.message}`));
    });
    // The CLI exits while the process lives on.
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    return { pid: child.pid, exited };
  } finally {
    closeSync(fd);
  }
}

export async function cmdlineOf(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    // Gone (or never existed): that is the answer.
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes whose command line contains every one of `parts` (read from /proc). */
export async function findProcesses(parts: readonly string[]): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const found: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      if (pid === process.pid) return;
      const cmd = await cmdlineOf(pid);
      if (cmd && parts.every((p) => cmd.some((arg) => arg.includes(p)))) found.push(pid);
    }),
  );
  return found.sort((a, b) => a - b);
}

/** Signals a process group (falls back to the process when it leads none). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Waits until none of `pids` is alive, up to timeoutMs; returns those still alive. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Every `krsbx-*` network namespace (pods, nodes, externals, the fabric). */
export async function sandboxNamespaces(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir('/run/netns');
  } catch {
    // No namespace was ever created on this machine.
    return [];
  }
  return names.filter((n) => n.startsWith(NETNS_PREFIX)).sort();
}

/** Processes whose network namespace is `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  const { stdout } = await runTool(['ip', 'netns', 'pids', netns], { okExitCodes: [1] });
  return stdout
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}
