// Throwaway namespaces for the sandbox tests (`kr-test-<random>`), deleted when the test
// ends or, if it crashes, when the process exits; a read-only fingerprint of the root
// namespace to check that nothing there changed.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run } from '../exec.js';

const live = new Set<string>();
let hooked = false;

function cleanup(): void {
  for (const name of live) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  live.clear();
}

export interface TestNetns {
  readonly name: string;
  delete(): Promise<void>;
}

export async function createNetns(): Promise<TestNetns> {
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanup);
    // A signal ends the worker without 'exit': clean up, then die of the same signal
    // unless someone else handles it.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        cleanup();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  }
  const name = `kr-test-${randomBytes(5).toString('hex')}`;
  await run(['ip', 'netns', 'add', name]);
  live.add(name);
  await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    async delete() {
      if (!live.delete(name)) return;
      await run(['ip', 'netns', 'delete', name]);
    },
  };
}

/** Runs `ip -batch -` lines inside the namespace. */
export async function ipBatch(netns: string, lines: readonly string[]): Promise<void> {
  await run(['ip', '-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Waits until no address of the link is tentative (duplicate address detection is over). */
export async function settleAddresses(netns: string, dev: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await run(['ip', '-n', netns, '-6', 'address', 'show', 'dev', dev, 'tentative'])).stdout.trim() !== '') {
    if (Date.now() > deadline) throw new Error(`addresses of ${dev} in ${netns} still tentative after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Links, addresses, routes, rules, nft ruleset and forwarding sysctls of the root namespace. */
export async function rootFingerprint(): Promise<string> {
  const read = async (argv: string[]) => (await run(argv)).stdout;
  return [
    (await read(['ip', '-o', 'link', 'show'])).split('\n').map((l) => l.split(/\s+/).slice(1, 2).join()).join('\n'),
    await read(['ip', '-o', 'address', 'show']).then((t) => t.replace(/valid_lft.*$/gm, '')),
    await read(['ip', '-4', 'route', 'show', 'table', 'all']),
    await read(['ip', '-6', 'route', 'show', 'table', 'all']),
    await read(['ip', '-4', 'rule', 'show']),
    await read(['ip', '-6', 'rule', 'show']),
    await read(['nft', '-s', 'list', 'ruleset']),
    await read(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']),
  ].join('\n--\n');
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
