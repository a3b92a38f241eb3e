// The controllers' runtime must not load Node's bundled undici (global fetch, WebSocket):
// importing node:http as an ES module does, through the lazy getters its namespace reads
// (docs/benchmarks.md, "Memory"). A fresh Node process runs the built HTTP server and API
// client paths every controller uses and reports what Node loaded.
// Test IP plan: 127.0.0.1 only (an ephemeral port of the child's own endpoint).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './sandbox/testing/cli.js';

const script = `
const obs = await import(${JSON.stringify(join(REPO, 'libs/observability/dist/index.js'))});
const k8s = await import(${JSON.stringify(join(REPO, 'libs/k8s/dist/index.js'))});
const endpoints = await obs.startHttpEndpoints({
  host: '127.0.0.1',
  metrics: { port: 0, registry: obs.createMetricsRegistry({ controller: 'lean' }) },
  health: { port: 0, tracker: new obs.HealthTracker() },
});
const port = endpoints.addresses.metrics.port;
const client = new k8s.KubeClient({ server: 'http://127.0.0.1:' + port, source: 'master', tls: { insecureSkipVerify: false }, credentials: { kind: 'none' } });
// Not an API server: the request goes out and its 404 comes back as an error.
const answer = await client.list(k8s.NODES).then(() => 'listed', (err) => err.name);
const metrics = await new Promise((resolve, reject) =>
  import('node:module').then(({ createRequire }) =>
    createRequire(import.meta.url)('node:http').get('http://127.0.0.1:' + port + '/metrics', (res) => resolve(res.statusCode)).on('error', reject)));
await endpoints.close();
console.log(JSON.stringify({ answer, metrics, loaded: process.moduleLoadList.filter((m) => /undici|internal\\/deps\\/undici/.test(m)) }));
`;

describe('the controllers’ HTTP paths', () => {
  it('serve /metrics and call the API without loading undici', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ answer: 'ApiError', metrics: 200, loaded: [] });
  });

  it('would notice: an ES module import of node:http loads it', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('node:http'); console.log(process.moduleLoadList.some((m) => m.includes('undici')))"], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('true');
  });
});
