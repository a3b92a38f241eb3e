// Two real gobgpd speakers for tests, each in its own throwaway network namespace,
// joined by a veth pair carrying one IPv4 and one IPv6 subnet:
//
//   kr-test-… (a)  bgp0 198.18.0.1/24 fd42:198:18::1/64  ──veth──  bgp0 198.18.0.2/24 fd42:198:18::2/64  (b) kr-test-…
//
// Each gobgpd serves its API on a unix socket in a temporary directory: the filesystem is
// shared with the test process, loopback addresses are not, and nothing is opened in the
// root namespace. The veth is created from inside namespace a, so no link ever exists
// in the root namespace.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseIP, type IPAddress } from '@kr/ip';
import { createTestNetns, type TestNetns } from '@kr/dataplane/testing';

const run = promisify(execFile);

export const LAB_LINK = 'bgp0';

export interface BgpSpeaker {
  readonly name: string;
  readonly netns: string;
  readonly ipv4: IPAddress;
  readonly ipv6: IPAddress;
  /** gRPC target of this speaker's API (`unix:///…`). */
  readonly target: string;
  /** The unix socket path behind `target`. */
  readonly socketPath: string;
  /** (Re)starts gobgpd with an empty configuration, as a restarted sidecar would be. */
  start(): Promise<void>;
  /** SIGKILLs gobgpd and waits for it to exit (no-op when not running). */
  kill(): Promise<void>;
  readonly running: boolean;
  /** The last lines gobgpd wrote, for failure messages. */
  log(): string;
}

export interface BgpLab {
  readonly a: BgpSpeaker;
  readonly b: BgpSpeaker;
  /** Kills both speakers, deletes the namespaces and the directory; safe on a half-built lab. */
  close(): Promise<void>;
  /** Both speakers' last log lines, for a failed test's output. */
  diagnostics(): string;
}

const LOG_LINES = 200;

function speaker(name: string, netns: string, dir: string, ipv4: string, ipv6: string): BgpSpeaker {
  const socketPath = join(dir, `${name}.sock`);
  let child: ChildProcess | undefined;
  let lines: string[] = [];
  const remember = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > LOG_LINES) lines = lines.slice(-LOG_LINES);
  };
  const self: BgpSpeaker = {
    name,
    netns,
    ipv4: parseIP(ipv4),
    ipv6: parseIP(ipv6),
    target: `unix://${socketPath}`,
    socketPath,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      await self.kill();
      // gobgpd does not unlink a socket left behind by a killed predecessor.
      await rm(socketPath, { force: true });
      const started = spawn('ip', ['netns', 'exec', netns, 'gobgpd', `--api-hosts=unix://${socketPath}`, '--log-plain', '--pprof-disable'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout!.on('data', remember);
      started.stderr!.on('data', remember);
      const deadline = Date.now() + 10_000;
      while (!existsSync(socketPath)) {
        if (!self.running) throw new Error(`gobgpd in ${netns} exited: ${self.log()}`);
        if (Date.now() > deadline) throw new Error(`gobgpd in ${netns} did not open ${socketPath}: ${self.log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = once(current, 'exit');
      // `ip netns exec` execs gobgpd, so this pid is gobgpd itself.
      current.kill('SIGKILL');
      await exited;
    },
    log: () => lines.join('\n'),
  };
  return self;
}

/** Builds the lab and starts both speakers. */
export async function createBgpLab(): Promise<BgpLab> {
  const namespaces: TestNetns[] = [];
  const speakers: BgpSpeaker[] = [];
  let dir: string | undefined;
  const close = async () => {
    const errors: unknown[] = [];
    for (const s of speakers) await s.kill().catch((e: unknown) => errors.push(e));
    for (const ns of namespaces) await ns.delete().catch((e: unknown) => errors.push(e));
    if (dir) await rm(dir, { recursive: true, force: true }).catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'cleaning up the BGP lab failed');
  };
  try {
    dir = await mkdtemp(join(tmpdir(), 'kr-bgp-lab-'));
    namespaces.push(await createTestNetns(), await createTestNetns());
    const [nsA, nsB] = namespaces.map((n) => n.name) as [string, string];
    await run('ip', ['-n', nsA, 'link', 'add', LAB_LINK, 'type', 'veth', 'peer', 'name', LAB_LINK, 'netns', nsB]);
    const plan = [
      { ns: nsA, v4: '198.18.0.1', v6: 'fd42:198:18::1' },
      { ns: nsB, v4: '198.18.0.2', v6: 'fd42:198:18::2' },
    ];
    for (const { ns, v4, v6 } of plan) {
      await run('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', LAB_LINK]);
      // nodad: the address is usable at once instead of after duplicate detection.
      await run('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', LAB_LINK, 'nodad']);
      await run('ip', ['-n', ns, 'link', 'set', LAB_LINK, 'up']);
    }
    speakers.push(speaker('a', nsA, dir, plan[0]!.v4, plan[0]!.v6), speaker('b', nsB, dir, plan[1]!.v4, plan[1]!.v6));
    for (const s of speakers) await s.start();
    const diagnostics = () => speakers.map((s) => `--- gobgpd ${s.name} (${s.netns}), last lines:\n${s.log().split('\n').slice(-60).join('\n')}`).join('\n');
    return { a: speakers[0]!, b: speakers[1]!, close, diagnostics };
  } catch (err) {
    try {
      await close();
    } catch (cleanup) {
      throw new AggregateError([err, cleanup], 'building the BGP lab failed, and so did cleaning up', { cause: cleanup });
    }
    throw err;
  }
}

/**
 * Polls `probe` until it returns a value that is not undefined (every `intervalMs`).
 * The default allows for GoBGP's timers under a loaded machine: a new peer's first dial
 * comes 5–10 s after it is added, and a failed attempt costs another 5–15 s.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
