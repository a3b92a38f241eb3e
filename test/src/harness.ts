// Starts the real controller binaries (built dist, on this Node 24) as child processes
// against a real nats-server and an in-process API server, on free loopback ports, and
// always stops them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectController, type ControllerConnection } from '@kr/admin';
import { freeLoopbackPort } from '@kr/bus/testing';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const BINARIES = {
  cni: join(REPO, 'services/cni/bin/kr-cni.js'),
  router: join(REPO, 'services/router/bin/kr-router.js'),
  proxy: join(REPO, 'services/proxy/bin/kr-proxy.js'),
  firewall: join(REPO, 'services/firewall/bin/kr-firewall.js'),
  kr: join(REPO, 'services/ctl/bin/kr.js'),
} as const;

export type ControllerBinary = Exclude<keyof typeof BINARIES, 'kr'>;

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary to completion (for --help, bad flags, `kr`). */
export async function runBinary(bin: keyof typeof BINARIES, args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  const child = spawn(process.execPath, [BINARIES[bin], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface RunningController {
  readonly name: ControllerBinary;
  readonly adminAddress: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly child: ChildProcess;
  /** Log lines (JSON) the process printed so far. */
  readonly logs: string[];
  admin(): ControllerConnection;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function startController(
  name: ControllerBinary,
  options: { apiUrl: string; natsUrl: string; node: string; args?: readonly string[] },
): Promise<RunningController> {
  const [adminPort, healthPort, metricsPort] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const adminAddress = `127.0.0.1:${adminPort}`;
  const child = spawn(
    process.execPath,
    [
      BINARIES[name],
      `--master=${options.apiUrl}`,
      `--hostname-override=${options.node}`,
      `--nats-url=${options.natsUrl}`,
      `--admin-address=${adminAddress}`,
      `--health-port=${healthPort}`,
      `--health-addr=127.0.0.1`,
      `--metrics-port=${metricsPort}`,
      `--metrics-addr=127.0.0.1`,
      '--heartbeat-interval=500ms',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  let buf = '';
  const collect = (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    logs.push(...lines);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  running.add(child);
  void exited.then(() => running.delete(child));
  return {
    name,
    adminAddress,
    healthPort,
    metricsPort,
    child,
    logs,
    admin: () => connectController(adminAddress, { deadlineMs: 2_000 }),
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Polls `fn` until it returns a value that is not undefined/false, or times out. */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
