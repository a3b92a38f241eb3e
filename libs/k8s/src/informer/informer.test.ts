import { afterEach, describe, expect, it } from 'vitest';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { KubeClient } from '../client/client.js';
import { NODES, PODS } from '../resources.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { Informer, type InformerStatus } from './informer.js';
import type { KubeObject } from '../resources.js';

// Test IP plan: the fake API server listens on 127.0.0.1 (ephemeral port).
//   node-v4:   InternalIP 192.0.2.1            (TEST-NET-1)
//   node-v6:   InternalIP 2001:db8::2          (documentation)
//   node-dual: InternalIP 192.0.2.3 + 2001:db8::3
//   pods: 10.244.0.0/24 and fd00:244::/64

function node(name: string, ...addresses: string[]): V1Node {
  return { metadata: { name, labels: { kind: 'worker' } }, status: { addresses: addresses.map((address) => ({ type: 'InternalIP', address })) } };
}
const addressesOf = (n: V1Node): string => (n.status?.addresses ?? []).map((a) => a.address).join('+');

// Fast retries for tests; the watch timeout's random spread is pinned to 0.
const fast = { backoff: { initialMs: 10, maxMs: 50, jitter: 0 }, random: () => 0 };

let server: FakeApiServer | undefined;
let client: KubeClient | undefined;
const informers: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
  client?.close();
  await server?.stop();
  server = undefined;
  client = undefined;
});

async function setup(options: { goneAs?: 'status' | 'event' } = {}): Promise<{ server: FakeApiServer; client: KubeClient }> {
  server = await FakeApiServer.start({ resources: [NODES, PODS], ...options });
  client = new KubeClient({ server: server.url, source: 'master', tls: { insecureSkipVerify: false }, credentials: { kind: 'none' } });
  return { server, client };
}

function track<T extends KubeObject>(informer: Informer<T>, describe: (obj: T) => string = () => ''): string[] {
  informers.push(informer);
  const events: string[] = [];
  const label = (obj: T): string => [obj.metadata?.name, describe(obj)].filter(Boolean).join(' ');
  informer.addHandlers({
    onAdd: (obj) => events.push(`add ${label(obj)}`),
    onUpdate: (old, obj) => events.push(`update ${label(old)} -> ${describe(obj)}`),
    onDelete: (obj) => events.push(`delete ${label(obj)}`),
  });
  return events;
}

function watchRequests(s: FakeApiServer, path = '/api/v1/nodes'): Record<string, string>[] {
  return s.requests.filter((r) => r.path === path && r.query['watch'] === 'true').map((r) => r.query);
}

describe('Informer', () => {
  it('syncs the initial list (IPv4, IPv6 and dual-stack nodes) and caches it', async () => {
    const { server, client } = await setup();
    server.upsert(NODES, node('node-v4', '192.0.2.1'));
    server.upsert(NODES, node('node-v6', '2001:db8::2'));
    server.upsert(NODES, node('node-dual', '192.0.2.3', '2001:db8::3'));
    const informer = new Informer(client, NODES, fast);
    const events = track(informer, addressesOf);
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.synced;

    expect(informer.hasSynced()).toBe(true);
    expect(events.sort()).toEqual(['add node-dual 192.0.2.3+2001:db8::3', 'add node-v4 192.0.2.1', 'add node-v6 2001:db8::2']);
    expect(informer.list().map((n) => n.metadata?.name).sort()).toEqual(['node-dual', 'node-v4', 'node-v6']);
    expect(informer.get('node-v6')?.kind).toBe('Node');
    expect(informer.status()).toMatchObject({ connected: true, synced: true, lists: 1, consecutiveFailures: 0 });

    // the watch starts from the list's resourceVersion, with bookmarks and a server timeout
    await expect.poll(() => watchRequests(server).length).toBe(1);
    expect(watchRequests(server)[0]).toMatchObject({ resourceVersion: server.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '300' });
  });

  it('delivers add, update and delete events', async () => {
    const { server, client } = await setup();
    const informer = new Informer(client, NODES, fast);
    const events = track(informer, addressesOf);
    informer.start();
    await informer.synced;
    await expect.poll(() => server.openWatches).toBe(1);

    server.upsert(NODES, node('node-v4', '192.0.2.1'));
    server.upsert(NODES, node('node-v4', '192.0.2.1', '2001:db8::1'));
    server.upsert(NODES, node('node-v6', '2001:db8::2'));
    server.remove(NODES, 'node-v4');
    await expect.poll(() => events.length).toBe(4);
    expect(events).toEqual([
      'add node-v4 192.0.2.1',
      'update node-v4 192.0.2.1 -> 192.0.2.1+2001:db8::1',
      'add node-v6 2001:db8::2',
      'delete node-v4 192.0.2.1+2001:db8::1',
    ]);
    expect(informer.keys()).toEqual(['node-v6']);
    expect(informer.status().resourceVersion).toBe(server.resourceVersion);
  });

  it('re-watches from the last resourceVersion when the server ends the stream, bookmarks included', async () => {
    const { server, client } = await setup();
    server.upsert(NODES, node('node-v4', '192.0.2.1'));
    const informer = new Informer(client, NODES, { ...fast, watchTimeoutSeconds: 1 });
    const events = track(informer);
    informer.start();
    await informer.synced;
    await expect.poll(() => server.openWatches).toBe(1);

    // writes to another kind advance the resourceVersion; only a bookmark tells the node informer
    server.upsert(PODS, { metadata: { namespace: 'a', name: 'p' } } as V1Pod);
    server.bookmark();
    const bookmarked = server.resourceVersion;
    await expect.poll(() => informer.status().resourceVersion).toBe(bookmarked);

    // the server-side timeout (1 s) ends the watch; the next one starts at the bookmark
    await expect.poll(() => watchRequests(server).length, { timeout: 5000 }).toBe(2);
    expect(watchRequests(server)[1]?.['resourceVersion']).toBe(bookmarked);
    // a clean close as well
    server.closeWatches();
    await expect.poll(() => watchRequests(server).length).toBe(3);

    server.upsert(NODES, node('node-v6', '2001:db8::2'));
    await expect.poll(() => events).toEqual(['add node-v4', 'add node-v6']);
    expect(informer.status()).toMatchObject({ lists: 1, connected: true });
  });

  it.each([{ goneAs: 'event' as const }, { goneAs: 'status' as const }])(
    'relists after 410 Gone ($goneAs) and emits the difference, deletes included',
    async ({ goneAs }) => {
      const { server, client } = await setup({ goneAs });
      server.upsert(NODES, node('node-v4', '192.0.2.1'));
      server.upsert(NODES, node('node-v6', '2001:db8::2'));
      server.upsert(NODES, node('node-dual', '192.0.2.3', '2001:db8::3'));
      server.upsert(NODES, node('node-same', '192.0.2.9'));
      const informer = new Informer(client, NODES, fast);
      const events = track(informer, addressesOf);
      informer.start();
      await informer.synced;
      await expect.poll(() => server.openWatches).toBe(1);
      events.length = 0;

      // While the informer cannot see it: changes happen and the history is compacted.
      server.setUnavailable(503);
      server.closeWatches();
      await expect.poll(() => informer.status().connected).toBe(false);
      server.remove(NODES, 'node-v4');
      server.remove(NODES, 'node-dual');
      server.upsert(NODES, node('node-v6', '2001:db8::2', '192.0.2.2'));
      server.upsert(NODES, node('node-new', '192.0.2.4', '2001:db8::4'));
      server.compact();
      server.setUnavailable(undefined);

      await expect.poll(() => informer.status().lists).toBe(2);
      expect(events.sort()).toEqual([
        'add node-new 192.0.2.4+2001:db8::4',
        'delete node-dual 192.0.2.3+2001:db8::3',
        'delete node-v4 192.0.2.1',
        'update node-v6 2001:db8::2 -> 2001:db8::2+192.0.2.2',
      ]);
      expect(informer.keys().sort()).toEqual(['node-new', 'node-same', 'node-v6']);
      expect(informer.status()).toMatchObject({ connected: true, synced: true });
      // the new watch starts from the relist's resourceVersion
      await expect.poll(() => watchRequests(server).at(-1)?.['resourceVersion']).toBe(server.resourceVersion);
    },
  );

  it('reports the outage, reconnects after the server restarts and catches up from its resourceVersion', async () => {
    const { server, client } = await setup();
    server.upsert(NODES, node('node-v4', '192.0.2.1'));
    const informer = new Informer(client, NODES, fast);
    const events = track(informer);
    const statuses: InformerStatus[] = [];
    informer.onStatusChange((s) => statuses.push(s));
    informer.start();
    await informer.synced;
    await expect.poll(() => server.openWatches).toBe(1);

    await server.stop();
    await expect.poll(() => informer.status().connected).toBe(false);
    const down = informer.status();
    expect(down.lastError?.name).toBe('ApiError');
    expect(down.lastError?.message).toMatch(/ECONNREFUSED/);
    expect(down.lastErrorAt).toBeInstanceOf(Date);
    await expect.poll(() => informer.status().consecutiveFailures).toBeGreaterThan(1);

    // changes while the server is down are kept in its history (no compaction)
    server.upsert(NODES, node('node-v6', '2001:db8::2'));
    server.remove(NODES, 'node-v4');
    await server.restart();

    await expect.poll(() => events).toEqual(['add node-v4', 'add node-v6', 'delete node-v4']);
    expect(informer.status()).toMatchObject({ connected: true, consecutiveFailures: 0, lists: 1 });
    expect(statuses.some((s) => !s.connected)).toBe(true);
    expect(statuses.at(-1)?.connected).toBe(true);
  });

  it('backs off exponentially while the API is unreachable, with injectable timing', async () => {
    const { server, client } = await setup();
    server.setUnavailable(503);
    const delays: number[] = [];
    const informer = new Informer(client, NODES, {
      backoff: { initialMs: 100, maxMs: 400, factor: 2, jitter: 0 },
      sleep: async (ms) => {
        delays.push(ms);
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
    });
    informers.push(informer);
    informer.start();
    await expect.poll(() => delays.length).toBeGreaterThanOrEqual(5);
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 400, 400]);
    expect(informer.hasSynced()).toBe(false);
    expect(informer.status().lastError?.message).toMatch(/HTTP 503 ServiceUnavailable/);

    server.setUnavailable(undefined);
    await informer.synced;
    expect(informer.status().connected).toBe(true);
  });

  it('stops cleanly: aborts the open watch; synced rejects when stopped before the first list', async () => {
    const { server, client } = await setup();
    const informer = new Informer(client, NODES, fast).start();
    await informer.synced;
    await expect.poll(() => server.openWatches).toBe(1);
    await informer.stop();
    await expect.poll(() => server.openWatches).toBe(0);
    const watches = watchRequests(server).length;
    server.upsert(NODES, node('late', '192.0.2.8'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(watchRequests(server).length).toBe(watches);
    expect(informer.list()).toEqual([]);

    server.setUnavailable(503);
    const never = new Informer(client, NODES, fast).start();
    await expect.poll(() => never.status().consecutiveFailures).toBeGreaterThan(0);
    await never.stop();
    await expect(never.synced).rejects.toThrow(/stopped before its first list completed/);
  });

  it('passes namespace and selectors, and replays the cache to late handlers', async () => {
    const { server, client } = await setup();
    const pod = (ns: string, name: string, app: string, ip: string): V1Pod => ({ metadata: { namespace: ns, name, labels: { app } }, status: { podIPs: [{ ip }] } });
    server.upsert(PODS, pod('a', 'web-v4', 'web', '10.244.0.5'));
    server.upsert(PODS, pod('a', 'web-v6', 'web', 'fd00:244::5'));
    server.upsert(PODS, pod('a', 'db', 'db', '10.244.0.6'));
    server.upsert(PODS, pod('b', 'web-other', 'web', '10.244.0.7'));
    const informer = new Informer(client, PODS, { namespace: 'a', labelSelector: 'app=web', ...fast });
    informers.push(informer);
    informer.start();
    await informer.synced;
    expect(informer.keys().sort()).toEqual(['a/web-v4', 'a/web-v6']);
    expect(informer.get('web-v6', 'a')?.status?.podIPs?.[0]?.ip).toBe('fd00:244::5');

    const late = track(informer);
    expect(late.sort()).toEqual(['add web-v4', 'add web-v6']);
    await expect.poll(() => server.openWatches).toBe(1);
    server.upsert(PODS, pod('a', 'web-dual', 'web', '10.244.0.8'));
    server.upsert(PODS, pod('a', 'db-2', 'db', '10.244.0.9'));
    server.upsert(PODS, pod('b', 'web-b', 'web', 'fd00:244::9'));
    await expect.poll(() => late.length).toBe(3);
    expect(late.at(-1)).toBe('add web-dual');
    expect(watchRequests(server, '/api/v1/namespaces/a/pods')[0]).toMatchObject({ labelSelector: 'app=web' });
  });

  it('isolates handler failures and drops managedFields by default', async () => {
    const { server, client } = await setup();
    server.upsert(NODES, { ...node('node-v4', '192.0.2.1'), metadata: { name: 'node-v4', managedFields: [{ manager: 'kubelet' }] } });
    const failures: string[] = [];
    const informer = new Informer(client, NODES, { ...fast, onHandlerError: (err, event, obj) => failures.push(`${event} ${obj.metadata?.name}: ${(err as Error).message}`) });
    informer.addHandlers({ onAdd: () => { throw new Error('boom'); } });
    const events = track(informer);
    informer.start();
    await informer.synced;
    expect(failures).toEqual(['add node-v4: boom']);
    expect(events).toEqual(['add node-v4']);
    expect(informer.get('node-v4')?.metadata?.managedFields).toBeUndefined();
  });
});
