// Throwaway network namespaces for kernel tests. Every test that touches the kernel runs
// in one of these; the root namespace is never written. Namespaces are deleted when the
// test ends, and any left over (a crashed test, a Ctrl-C) when the process exits.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { runTool } from '../exec.js';

export interface TestNetns {
  readonly name: string;
  /** Delete the namespace; safe to call twice. */
  delete(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

function deleteLeftovers(): void {
  // 'exit' handlers must be synchronous: spawnSync is the only way to clean up here.
  for (const name of live) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', deleteLeftovers);
  // A signal ends the process without 'exit': clean up, then die of the same signal
  // unless someone else handles it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      deleteLeftovers();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Whether this process may create namespaces. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Suffix for the names of tests skipped without root, so the skip says why. */
export const ROOT_REQUIRED = isRoot() ? '' : ' (skipped: not root)';

/** Create `kr-test-<random>` with lo up. */
export async function createTestNetns(): Promise<TestNetns> {
  installExitHook();
  const name = `kr-test-${randomBytes(5).toString('hex')}`;
  await runTool(['ip', 'netns', 'add', name]);
  live.add(name);
  let deleted = false;
  const ns: TestNetns = {
    name,
    async delete() {
      if (deleted) return;
      deleted = true;
      live.delete(name);
      await runTool(['ip', 'netns', 'delete', name]);
    },
  };
  try {
    await runTool(['ip', 'link', 'set', 'lo', 'up'], { netns: name });
  } catch (err) {
    await ns.delete();
    throw err;
  }
  return ns;
}

/** Run `fn` with a fresh namespace that is deleted afterwards, whatever happens. */
export async function withNetns<T>(fn: (netns: string) => Promise<T>): Promise<T> {
  const ns = await createTestNetns();
  try {
    return await fn(ns.name);
  } finally {
    await ns.delete();
  }
}

/**
 * A read-only fingerprint of the root namespace's network state that our kernel tests
 * could conceivably disturb: nft ruleset (stateless), ipsets, routes and rules of both
 * families, links, and the forwarding sysctls. Tests compare it before and after.
 * Nothing here writes, and iptables-legacy-save is deliberately not run (it would
 * instantiate legacy tables); iptables-nft rules are part of the nft ruleset.
 */
export async function rootNamespaceFingerprint(): Promise<string> {
  const read = async (argv: string[]) => (await runTool(argv)).stdout;
  const parts = [
    await read(['nft', '-s', 'list', 'ruleset']),
    await read(['ipset', 'list', '-n']),
    await read(['ip', '-4', 'route', 'show', 'table', 'all']),
    await read(['ip', '-6', 'route', 'show', 'table', 'all']),
    await read(['ip', '-4', 'rule', 'show']),
    await read(['ip', '-6', 'rule', 'show']),
    await read(['ip', '-o', 'link', 'show']).then((text) =>
      // Link names and admin flags only; counters and carrier come and go.
      text
        .split('\n')
        .map((line) => line.split(/\s+/).slice(1, 2).join(' '))
        .join('\n'),
    ),
    await read(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']),
  ];
  return parts.join('\n--\n');
}
