import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@kr/errors';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClientConfig } from '../config/kubeconfig.js';
import { loadClientConfig } from '../config/kubeconfig.js';
import { NODES, PODS } from '../resources.js';
import { makeTestPki, type TestPki } from '../testing/certs.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { KubeClient, type WatchEvent } from './client.js';
import { isApiStatus } from './errors.js';

// Test IP plan: the fake API server listens on 127.0.0.1 (ephemeral port); object
// contents use 192.0.2.0/24 and 2001:db8::/32 (documentation ranges) for node addresses.

const plain = (server: FakeApiServer, extra: Partial<ClientConfig> = {}): ClientConfig => ({
  server: server.url,
  source: 'master',
  tls: { insecureSkipVerify: false },
  credentials: { kind: 'none' },
  ...extra,
});

function nodeObject(name: string, address: string): V1Node {
  return { metadata: { name, labels: { role: 'worker' } }, status: { addresses: [{ type: 'InternalIP', address }] } };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('KubeClient REST', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    server = await FakeApiServer.start({ resources: [NODES, PODS] });
    client = new KubeClient(plain(server));
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('creates, gets, patches, updates and deletes a node', async () => {
    const created = await client.create(NODES, nodeObject('node-a', '192.0.2.10'));
    expect(created.kind).toBe('Node');
    expect(created.metadata?.resourceVersion).toBeDefined();

    const merged = await client.patch(NODES, 'node-a', { metadata: { annotations: { 'kube-router.io/pod-cidrs': '10.244.1.0/24,fd00:244:1::/64' } } });
    expect(merged.metadata?.annotations?.['kube-router.io/pod-cidrs']).toBe('10.244.1.0/24,fd00:244:1::/64');
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/merge-patch+json');

    await client.patch(NODES, 'node-a', { metadata: { labels: { zone: 'a' } } }, { type: 'strategic' });
    expect(server.requests.at(-1)?.headers['content-type']).toBe('application/strategic-merge-patch+json');

    const fetched = await client.get(NODES, 'node-a');
    expect(fetched.metadata?.labels).toEqual({ role: 'worker', zone: 'a' });

    const updated = await client.update(NODES, { ...fetched, spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] } });
    expect(updated.spec?.podCIDRs).toEqual(['10.244.1.0/24', 'fd00:244:1::/64']);

    // a stale resourceVersion is a 409 Conflict
    const conflict = await rejection(client.update(NODES, fetched));
    expect(conflict.status).toBe(409);
    expect(conflict.message).toMatch(/PUT \/api\/v1\/nodes\/node-a: HTTP 409 Conflict: .*modified/);

    await client.delete(NODES, 'node-a');
    const missing = await rejection(client.get(NODES, 'node-a'));
    expect(missing.status).toBe(404);
    expect(isApiStatus(missing, 404)).toBe(true);
    expect(missing.message).toMatch(/NotFound: nodes "node-a" not found/);
  });

  it('creates in a namespace and lists by namespace and label selector, stamping kind', async () => {
    const pod = (ns: string, name: string, app: string): V1Pod => ({ metadata: { namespace: ns, name, labels: { app } } });
    await client.create(PODS, pod('a', 'web-1', 'web'));
    await client.create(PODS, pod('a', 'db-1', 'db'));
    await client.create(PODS, pod('b', 'web-2', 'web'));
    const exists = await rejection(client.create(PODS, pod('a', 'web-1', 'web')));
    expect(exists.status).toBe(409);

    const inA = await client.list(PODS, { namespace: 'a' });
    expect(inA.items.map((p) => p.metadata?.name)).toEqual(['db-1', 'web-1']);
    expect(inA.items.every((p) => p.kind === 'Pod' && p.apiVersion === 'v1')).toBe(true);
    const webs = await client.list(PODS, { labelSelector: 'app=web' });
    expect(webs.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['a/web-1', 'b/web-2']);
    expect(webs.resourceVersion).toBe(server.resourceVersion);
  });

  it('pages through lists and restarts unpaginated when the continue token expires', async () => {
    for (let i = 0; i < 5; i++) server.upsert(NODES, nodeObject(`page-${i}`, `192.0.2.${20 + i}`));
    const all = await client.listAll(NODES, { pageSize: 2 });
    expect(all.items.map((n) => n.metadata?.name)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const pageRequests = server.requests.filter((r) => r.path === '/api/v1/nodes' && r.query['limit'] === '2');
    expect(pageRequests.map((r) => r.query['continue'] ?? '')).toHaveLength(3);

    const first = await client.list(NODES, { limit: 2 });
    expect(first.continue).toBeDefined();
    server.upsert(NODES, nodeObject('page-0', '192.0.2.20')); // a write, then compaction past the token
    server.compact();
    const expired = await rejection(client.list(NODES, { limit: 2, continue: first.continue as string }));
    expect(expired.status).toBe(410);

    // the token expires between pages: listAll starts over without paging
    server.beforeAnswer = (req) => {
      if (req.query['continue']) {
        server.upsert(NODES, nodeObject('page-1', '192.0.2.21'));
        server.compact();
      }
    };
    const before = server.requests.length;
    const restarted = await client.listAll(NODES, { pageSize: 3 });
    server.beforeAnswer = undefined;
    expect(restarted.items.map((n) => n.metadata?.name)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(server.requests.slice(before).map((r) => `${r.query['limit'] ?? '-'} ${r.query['continue'] ? 'cont' : ''}`.trim())).toEqual(['3', '3 cont', '-']);
  });

  it('fails with ApiError for unreachable servers and for timeouts', async () => {
    const dead = new KubeClient({ ...plain(server), server: 'http://127.0.0.1:1' });
    const err = await rejection(dead.get(NODES, 'x'));
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(/GET \/api\/v1\/nodes\/x to 127\.0\.0\.1:1: .*ECONNREFUSED/);
    dead.close();

    // a server that accepts and never answers
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const slow = new KubeClient({ ...plain(server), server: `http://127.0.0.1:${port}` }, { requestTimeoutMs: 100 });
    const timedOut = await rejection(slow.list(NODES));
    expect(timedOut.message).toBe('GET /api/v1/nodes: no answer within 100 ms');
    slow.close();
    silent.closeAllConnections();
    silent.close();
  });
});

describe('KubeClient watch', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  afterEach(async () => {
    client.close();
    await server.stop();
  });

  it('streams events from a resourceVersion and throws 410 from an ERROR event', async () => {
    server = await FakeApiServer.start({ resources: [NODES] });
    client = new KubeClient(plain(server));
    server.upsert(NODES, nodeObject('n1', '192.0.2.1'));
    const from = server.resourceVersion;
    server.upsert(NODES, nodeObject('n2', '2001:db8::2'));
    server.remove(NODES, 'n1');
    const events: WatchEvent<V1Node>[] = [];
    const controller = new AbortController();
    for await (const event of client.watch(NODES, { resourceVersion: from, allowWatchBookmarks: true, signal: controller.signal })) {
      events.push(event);
      if (events.length === 2) server.bookmark();
      if (events.length === 3) break;
    }
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`)).toEqual(['ADDED n2', 'DELETED n1', 'BOOKMARK ']);
    expect(events[0]?.object.kind).toBe('Node');
    await expect.poll(() => server.openWatches).toBe(0);

    server.compact();
    const gone = await rejection((async () => {
      for await (const _ of client.watch(NODES, { resourceVersion: from })) void _;
    })());
    expect(gone.status).toBe(410);
    expect(gone.message).toMatch(/watch error 410 Expired: too old resource version/);
  });

  it('throws 410 from an HTTP status too, and ends quietly at the client deadline', async () => {
    server = await FakeApiServer.start({ resources: [NODES], goneAs: 'status' });
    client = new KubeClient(plain(server));
    server.upsert(NODES, nodeObject('n1', '192.0.2.1'));
    server.compact();
    const gone = await rejection((async () => {
      for await (const _ of client.watch(NODES, { resourceVersion: '1' })) void _;
    })());
    expect(gone.status).toBe(410);

    const started = Date.now();
    const events: string[] = [];
    for await (const e of client.watch(NODES, { resourceVersion: server.resourceVersion, clientTimeoutMs: 200 })) events.push(e.type);
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

describe('authentication', () => {
  let dir: string;
  let server: FakeApiServer;
  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends bearer tokens and re-reads a rotated token file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kr-token-'));
    server = await FakeApiServer.start({ resources: [NODES], token: 'first' });
    const tokenPath = join(dir, 'token');
    await writeFile(tokenPath, 'first\n');
    const client = new KubeClient(plain(server, { credentials: { kind: 'tokenFile', path: tokenPath } }), { tokenCacheMs: 0 });
    expect((await client.list(NODES)).items).toEqual([]);

    await writeFile(tokenPath, 'second\n');
    expect((await rejection(client.list(NODES))).status).toBe(401);

    const tokenClient = new KubeClient(plain(server, { credentials: { kind: 'token', token: 'first' } }));
    expect((await tokenClient.list(NODES)).items).toEqual([]);
    expect(server.requests.at(-1)?.headers['authorization']).toBe('Bearer first');
    client.close();
    tokenClient.close();
  });
});

describe('TLS', () => {
  let pki: TestPki | undefined;
  let dir: string;
  let server: FakeApiServer | undefined;
  beforeAll(async () => {
    pki = await makeTestPki();
    dir = await mkdtemp(join(tmpdir(), 'kr-tls-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the server with the kubeconfig CA and authenticates with a client certificate', async (ctx) => {
    if (!pki) return ctx.skip('skipped: openssl is not installed, cannot make test certificates');
    server = await FakeApiServer.start({
      resources: [NODES],
      tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true },
    });
    const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
    const path = join(dir, 'kubeconfig');
    await writeFile(
      path,
      [
        'current-context: tls',
        'contexts: [{name: tls, context: {cluster: c, user: u}}]',
        `clusters: [{name: c, cluster: {server: "${server.url}", certificate-authority-data: "${b64(pki.ca)}"}}]`,
        `users: [{name: u, user: {client-certificate-data: "${b64(pki.clientCert)}", client-key-data: "${b64(pki.clientKey)}"}}]`,
      ].join('\n'),
    );
    const config = await loadClientConfig({ kubeconfig: path, env: {} });
    const client = new KubeClient(config);
    server.upsert(NODES, nodeObject('tls-node', '192.0.2.1'));
    expect((await client.list(NODES)).items.map((n) => n.metadata?.name)).toEqual(['tls-node']);
    client.close();

    // without the CA the server is not trusted
    const untrusted = new KubeClient({ ...config, tls: { ...config.tls, ca: undefined } });
    expect((await rejection(untrusted.list(NODES))).message).toMatch(/self-signed|unable to verify|local issuer/);
    untrusted.close();

    // without a client certificate the server refuses the handshake
    const anonymous = new KubeClient({ ...config, tls: { ca: config.tls.ca, insecureSkipVerify: false } });
    expect((await rejection(anonymous.list(NODES))).message).toMatch(/certificate|socket hang up|ECONNRESET|alert/i);
    anonymous.close();
  });
});
