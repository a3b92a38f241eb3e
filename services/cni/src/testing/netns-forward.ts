// Lets a process inside a test namespace reach servers on the root namespace's loopback
// (the fake API server, nats-server) without giving the namespace any route out: a TCP
// listener inside the namespace hands each connection to a unix socket, and the test
// process relays that socket to the real server. Unix sockets live in the filesystem,
// which namespaces share; loopback addresses do not cross them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

// Runs inside the namespace: `node forwarder.mjs <port>=<unix path> ...`.
const FORWARDER = `
import { connect, createServer } from 'node:net';
let pending = process.argv.length - 2;
for (const spec of process.argv.slice(2)) {
  const [port, path] = spec.split('=');
  createServer((client) => {
    const upstream = connect(path);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  }).listen(Number(port), '127.0.0.1', () => {
    if (--pending === 0) process.stdout.write('ready\\n');
  });
}
`;

export interface Forward {
  /** Port inside the namespace (on its 127.0.0.1). */
  readonly port: number;
  /** Port of the real server on the root namespace's 127.0.0.1. */
  readonly target: number;
}

export interface NetnsForwarder {
  close(): Promise<void>;
}

/** Relays connections on a unix socket to 127.0.0.1:target; close() ends them all. */
async function relay(path: string, target: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** Starts the relays; `dir` holds the sockets and the forwarder script. */
export async function forwardIntoNetns(netns: string, dir: string, forwards: readonly Forward[]): Promise<NetnsForwarder> {
  const script = join(dir, 'forwarder.mjs');
  await writeFile(script, FORWARDER);
  const relays: { close(): Promise<void> }[] = [];
  let child: ChildProcess | undefined;
  const close = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await Promise.all(relays.map((r) => r.close()));
  };
  try {
    const specs: string[] = [];
    for (const f of forwards) {
      const path = join(dir, `relay-${f.port}.sock`);
      relays.push(await relay(path, f.target));
      specs.push(`${f.port}=${path}`);
    }
    child = spawn('ip', ['netns', 'exec', netns, process.execPath, script, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`forwarder did not start: ${output}`)), 10_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', onData);
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`forwarder exited ${code}: ${output}`));
      });
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}
