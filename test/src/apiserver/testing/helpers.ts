// Test helpers for the API server simulator: start one on a free loopback port and a
// temporary unix socket, talk to it with our lean KubeClient or raw HTTP, wait for things.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, type ClientConfig } from '@kr/k8s';
import { startApiServerSimulator, type ApiServerSimulator, type ApiServerSimulatorOptions } from '../index.js';

export interface TestSimulator {
  readonly sim: ApiServerSimulator;
  readonly client: KubeClient;
  readonly dir: string;
  readonly socketPath: string;
  dispose(): Promise<void>;
}

export async function startTestSimulator(options: Partial<ApiServerSimulatorOptions> = {}): Promise<TestSimulator> {
  const dir = await mkdtemp(join(tmpdir(), 'kr-apiserver-sim-'));
  const socketPath = join(dir, 'apiserver.sock');
  const sim = await startApiServerSimulator({
    serviceCidrs: ['10.96.0.0/16'],
    clusterCidrs: [],
    listen: [{ host: '127.0.0.1', port: 0 }, { path: socketPath }],
    ...options,
  });
  const client = new KubeClient(clientConfig(sim.url));
  return {
    sim,
    client,
    dir,
    socketPath,
    async dispose() {
      client.close();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function clientConfig(server: string): ClientConfig {
  return { server, source: 'master', tls: { insecureSkipVerify: false }, credentials: { kind: 'none' } };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request over TCP (`url`) or a unix socket (`socketPath`). */
export function request(
  target: { url: string } | { socketPath: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const base = 'url' in target ? new URL(target.url) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        method,
        path,
        ...(base ? { host: base.hostname, port: base.port } : { socketPath: (target as { socketPath: string }).socketPath }),
        // Content-Length always: Node sends a DELETE body neither chunked nor sized otherwise.
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(text !== undefined ? { 'Content-Length': String(Buffer.byteLength(text)) } : {}), ...headers },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: <T>() => JSON.parse(data) as T }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

/** Polls `probe` until it returns a value other than undefined (or throws on timeout). */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
