// A real nats-server for tests: JetStream on, bound to loopback on a free port, its own
// store directory. It can be killed and started again on the same port to test recovery.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian installs it in /usr/sbin; NATS_SERVER_BIN overrides.
export const NATS_SERVER_BIN =
  process.env.NATS_SERVER_BIN ?? ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? 'nats-server';
const HOST = '127.0.0.1';

/** A loopback port that was free a moment ago (the OS picks it, then it is released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class TestNatsServer {
  readonly port: number;
  readonly url: string;
  #storeDir: string | undefined;
  #child: ChildProcess | undefined;
  #output = '';

  constructor(port: number) {
    this.port = port;
    this.url = `nats://${HOST}:${port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts (or starts again) on the same port; resolves once it accepts clients. */
  async start(): Promise<void> {
    if (this.#child) throw new Error('nats-server already running');
    this.#storeDir ??= await mkdtemp(join(tmpdir(), 'kr-nats-'));
    this.#output = '';
    const child = spawn(NATS_SERVER_BIN, ['-js', '-sd', this.#storeDir, '-a', HOST, '-p', String(this.port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`nats-server did not become ready:\n${this.#output}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        this.#output += chunk.toString();
        if (this.#output.includes('Server is ready')) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null): void => fail(new Error(`nats-server exited ${code} during start:\n${this.#output}`));
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        this.#child = undefined;
        reject(err);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', fail);
    });
  }

  /** Kills the server (SIGKILL by default: no goodbye to clients) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Stops the server and removes its store directory. */
  async dispose(): Promise<void> {
    await this.kill('SIGTERM');
    if (this.#storeDir) await rm(this.#storeDir, { recursive: true, force: true });
    this.#storeDir = undefined;
  }
}

/** A started server on a free loopback port. */
export async function startNatsServer(): Promise<TestNatsServer> {
  const server = new TestNatsServer(await freeLoopbackPort());
  try {
    await server.start();
  } catch (err) {
    await server.dispose();
    throw err;
  }
  return server;
}
