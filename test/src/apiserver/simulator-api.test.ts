// REST semantics of the simulator over HTTP: error Status shapes, resourceVersion
// conflicts, the three patch formats, selectors, pagination, watch streams (selector
// transitions, bookmarks, timeouts, 410), the unix socket listener, pod lifecycle
// (status by the kubelet, scheduling, graceful deletion), namespace deletion, discovery,
// and client-node's generated CoreV1Api.
//
// Test IP plan (nothing is configured on any interface):
//   services 10.96.0.0/16; pod IPs 10.244.1.5 / fd00:244:1::5
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { NODE, POD } from './index.js';
import { eventually, request, startTestSimulator, type TestSimulator } from './testing/helpers.js';

let env: TestSimulator;
let url: { url: string };

beforeAll(async () => {
  env = await startTestSimulator({ bookmarkIntervalMs: 100 });
  url = { url: env.sim.url };
  env.sim.registry.create(NODE, undefined, { metadata: { name: 'node-1' } });
});

afterAll(async () => {
  await env?.dispose();
});

const podBody = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'api' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'agnhost:2.45', ports: [{ name: 'http', containerPort: 8080 }] }] },
  ...extra,
});

const PODS_PATH = '/api/v1/namespaces/default/pods';

describe('errors as metav1.Status', () => {
  it('422 Invalid names every field with its cause', async () => {
    const res = await request(url, 'POST', PODS_PATH, { metadata: { name: 'Bad_Name' }, spec: { containers: [] } });
    expect(res.status).toBe(422);
    expect(res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Pod "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.containers: Required value]`,
      reason: 'Invalid',
      details: {
        name: 'Bad_Name',
        kind: 'Pod',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
            field: 'metadata.name',
          },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' },
        ],
      },
      code: 422,
    });
  });

  it('422 for a NetworkPolicy with a bad ipBlock, in the group of the kind', async () => {
    const res = await request(url, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', {
      metadata: { name: 'np' },
      spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: 'fd00::/64', except: ['fd01::/80'] } }], ports: [{ port: 80, endPort: 70 }] }] },
    });
    const status = res.json<{ details: { group: string; kind: string; causes: Array<{ field: string }> } }>();
    expect(res.status).toBe(422);
    expect(status.details.group).toBe('networking.k8s.io');
    expect(status.details.kind).toBe('NetworkPolicy');
    expect(status.details.causes.map((c) => c.field)).toEqual(['spec.ingress[0].ports[0].endPort', 'spec.ingress[0].from[0].ipBlock.except[0]']);
  });

  it('404, 409 AlreadyExists, 409 Conflict, 400 BadRequest', async () => {
    const missing = await request(url, 'GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/nope');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ reason: 'NotFound', message: 'endpointslices.discovery.k8s.io "nope" not found', details: { name: 'nope', group: 'discovery.k8s.io', kind: 'endpointslices' } });
    expect((await request(url, 'POST', '/api/v1/namespaces/nowhere/pods', podBody('x'))).json()).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });

    const created = await request(url, 'POST', PODS_PATH, podBody('dup'));
    expect(created.status).toBe(201);
    const again = await request(url, 'POST', PODS_PATH, podBody('dup'));
    expect(again.json()).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'pods "dup" already exists' });

    const pod = created.json<{ metadata: { resourceVersion: string; labels: Record<string, string> } }>();
    pod.metadata.labels.v = '1';
    expect((await request(url, 'PUT', `${PODS_PATH}/dup`, pod)).status).toBe(200);
    pod.metadata.labels.v = '2';
    const stale = await request(url, 'PUT', `${PODS_PATH}/dup`, pod);
    expect(stale.json()).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "dup": the object has been modified; please apply your changes to the latest version and try again',
    });

    const wrongNs = await request(url, 'POST', PODS_PATH, { ...podBody('w'), metadata: { name: 'w', namespace: 'kube-system' } });
    expect(wrongNs.json()).toMatchObject({ code: 400, reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' });
    expect((await request(url, 'GET', `${PODS_PATH}?fieldSelector=spec.foo%3Dbar`)).json()).toMatchObject({ code: 400, message: 'field label not supported: spec.foo' });
  });
});

describe('patches', () => {
  it('merge, strategic (lists merged by key, directives) and JSON patch', async () => {
    await request(url, 'POST', PODS_PATH, podBody('patched', { spec: { nodeName: 'node-1', containers: [{ name: 'a', image: 'one:1' }, { name: 'b', image: 'two:1' }] } }));
    const merge = await request(url, 'PATCH', `${PODS_PATH}/patched`, { metadata: { labels: { tier: 'x', app: null } } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(merge.json<{ metadata: { labels: unknown } }>().metadata.labels).toEqual({ tier: 'x' });

    // Containers merge by name: only a's image changes, b stays.
    const image = await request(url, 'PATCH', `${PODS_PATH}/patched`, { spec: { containers: [{ name: 'a', image: 'one:2' }] } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    const containers = image.json<{ spec: { containers: Array<{ name: string; image: string }> } }>().spec.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([['a', 'one:2'], ['b', 'two:1']]);
    // Service ports merge by port; kubectl's directives delete and reorder.
    await request(url, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'smp' }, spec: { ports: [80, 81, 82].map((port) => ({ name: `p${port}`, port })) } });
    const ports = await request(
      url,
      'PATCH',
      '/api/v1/namespaces/default/services/smp',
      { spec: { '$setElementOrder/ports': [{ port: 82 }, { port: 80 }], ports: [{ port: 81, $patch: 'delete' }, { port: 80, name: 'web' }] } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    expect(ports.status, ports.body).toBe(200);
    expect(ports.json<{ spec: { ports: Array<{ name: string; port: number }> } }>().spec.ports.map((p) => [p.name, p.port])).toEqual([['p82', 82], ['web', 80]]);

    const json = await request(url, 'PATCH', `${PODS_PATH}/patched`, [{ op: 'add', path: '/metadata/annotations', value: { 'kr.io/x': 'y' } }], { 'Content-Type': 'application/json-patch+json' });
    expect(json.json<{ metadata: { annotations: unknown } }>().metadata.annotations).toEqual({ 'kr.io/x': 'y' });
    const failing = await request(url, 'PATCH', `${PODS_PATH}/patched`, [{ op: 'test', path: '/metadata/name', value: 'other' }], { 'Content-Type': 'application/json-patch+json' });
    expect(failing.status).toBe(422);

    // Status patches by the kubelet touch only the status.
    const status = await request(url, 'PATCH', `${PODS_PATH}/patched/status`, { status: { phase: 'Running', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00:244:1::5' }] }, spec: { nodeName: 'elsewhere' } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    const after = status.json<{ spec: { nodeName: string }; status: { podIP: string; phase: string } }>();
    expect([after.spec.nodeName, after.status.phase, after.status.podIP]).toEqual(['node-1', 'Running', '10.244.1.5']);
    const twoV4 = await request(url, 'PATCH', `${PODS_PATH}/patched/status`, { status: { podIPs: [{ ip: '10.244.1.5' }, { ip: '10.244.1.6' }] } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(twoV4.json<{ details: { causes: Array<{ field: string; message: string }> } }>().details.causes).toEqual([
      expect.objectContaining({ field: 'status.podIPs', message: expect.stringContaining('may specify no more than one IP for each IP family') }),
    ]);
  });
});

describe('lists', () => {
  it('filters by field and label selectors and pages with continue tokens', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await request(url, 'POST', PODS_PATH, { ...podBody(name), metadata: { name, labels: { page: 'yes' } } });
    const byName = await request(url, 'GET', `/api/v1/pods?fieldSelector=metadata.name%3Dpage-b,spec.nodeName%3Dnode-1`);
    expect(byName.json<{ items: Array<{ metadata: { name: string }; kind?: string }> }>().items.map((p) => [p.metadata.name, p.kind])).toEqual([['page-b', undefined]]);
    const first = (await request(url, 'GET', `${PODS_PATH}?labelSelector=page%3Dyes&limit=2`)).json<{ metadata: { continue: string; remainingItemCount: number; resourceVersion: string }; items: unknown[] }>();
    expect([first.items.length, first.metadata.remainingItemCount]).toEqual([2, 1]);
    const second = (await request(url, 'GET', `${PODS_PATH}?labelSelector=page%3Dyes&limit=2&continue=${first.metadata.continue}`)).json<{ metadata: Record<string, unknown>; items: Array<{ metadata: { name: string } }> }>();
    expect(second.items.map((p) => p.metadata.name)).toEqual(['page-c']);
    expect(second.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion });
  });
});

/** Reads watch events (JSON lines) until `until` says stop or the stream ends. */
async function watchEvents(path: string, until: (events: Array<{ type: string; object: { metadata: Record<string, unknown> } }>) => boolean) {
  const res = await fetch(`${env.sim.url}${path}`);
  const events: Array<{ type: string; object: { metadata: Record<string, unknown> } }> = [];
  const reader = res.body?.getReader();
  let buffer = '';
  const decoder = new TextDecoder();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value);
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buffer.slice(0, newline)) as (typeof events)[number]);
      buffer = buffer.slice(newline + 1);
    }
    if (until(events)) {
      await reader?.cancel();
      break;
    }
  }
  return { status: res.status, events };
}

describe('watch', () => {
  it('replays from a resourceVersion, turns label changes into ADDED/DELETED, sends bookmarks and ends at timeoutSeconds', async () => {
    const rv = env.sim.store.resourceVersion;
    const started = Date.now();
    const watching = watchEvents(`${PODS_PATH}?watch=true&resourceVersion=${rv}&labelSelector=watch%3Dme&allowWatchBookmarks=true&timeoutSeconds=1`, () => false);
    await request(url, 'POST', PODS_PATH, { ...podBody('watched'), metadata: { name: 'watched', labels: { watch: 'me' } } });
    await request(url, 'PATCH', `${PODS_PATH}/watched`, { metadata: { labels: { watch: 'not-me' } } }, { 'Content-Type': 'application/merge-patch+json' });
    await request(url, 'PATCH', `${PODS_PATH}/watched`, { metadata: { labels: { watch: 'me' } } }, { 'Content-Type': 'application/merge-patch+json' });
    const { status, events } = await watching;
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    const objectEvents = events.filter((e) => e.type !== 'BOOKMARK');
    expect(objectEvents.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    const rvs = objectEvents.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThanOrEqual(2);
    expect(events[events.length - 1]?.type).toBe('BOOKMARK');
    expect(Number(bookmarks[bookmarks.length - 1]?.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(rvs[2] as number);
  });

  it('answers a compacted resourceVersion with an ERROR event 410 Expired', async () => {
    const old = env.sim.store.resourceVersion;
    await request(url, 'POST', PODS_PATH, podBody('compacted'));
    env.sim.compact();
    const { status, events } = await watchEvents(`${PODS_PATH}?watch=true&resourceVersion=${old - 1}`, () => false);
    expect(status).toBe(200);
    expect(events).toEqual([
      { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${old - 1} (${old + 1})`, reason: 'Expired', code: 410 } },
    ]);
  });
});

describe('pod lifecycle', () => {
  it('schedules, deletes gracefully until the kubelet confirms, and deletes unbound pods at once', async () => {
    await request(url, 'POST', PODS_PATH, { ...podBody('unbound'), spec: { containers: [{ name: 'c', image: 'x:1' }] } });
    await env.sim.settle();
    expect(env.sim.store.peek(POD, 'default', 'unbound')?.spec).toMatchObject({ nodeName: 'node-1' });

    const first = await request(url, 'DELETE', `${PODS_PATH}/unbound`);
    expect(first.json<{ metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } }>().metadata).toMatchObject({ deletionGracePeriodSeconds: 30 });
    expect(env.sim.store.peek(POD, 'default', 'unbound')?.metadata.deletionTimestamp).toBeDefined();
    const confirm = await request(url, 'DELETE', `${PODS_PATH}/unbound`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    expect(confirm.status, confirm.body).toBe(200);
    expect(env.sim.store.peek(POD, 'default', 'unbound')).toBeUndefined();

    env.sim.registry.create(POD, 'default', { metadata: { name: 'ghost' }, spec: { nodeName: 'no-such-node', containers: [{ name: 'c', image: 'x:1' }] } });
    await request(url, 'DELETE', `${PODS_PATH}/ghost`);
    expect(env.sim.store.peek(POD, 'default', 'ghost')).toBeUndefined();
  });

  it('a deleted namespace is Terminating, refuses new content, then goes with everything in it', async () => {
    await request(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await request(url, 'POST', '/api/v1/namespaces/doomed/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    const deleting = await request(url, 'DELETE', '/api/v1/namespaces/doomed');
    expect(deleting.json<{ status: { phase: string } }>().status.phase).toBe('Terminating');
    const refused = await request(url, 'POST', '/api/v1/namespaces/doomed/services', { metadata: { name: 't' }, spec: { ports: [{ port: 80 }] } });
    expect(refused.json()).toMatchObject({ code: 403, reason: 'Forbidden', message: 'services "t" is forbidden: unable to create new content in namespace doomed because it is being terminated' });
    await eventually(async () => ((await request(url, 'GET', '/api/v1/namespaces/doomed')).status === 404 ? true : undefined), 5000, 'namespace gone');
    expect((await request(url, 'GET', '/api/v1/namespaces/doomed/services/s')).status).toBe(404);
    expect((await request(url, 'DELETE', '/api/v1/namespaces/default')).json()).toMatchObject({ code: 403, message: 'namespaces "default" is forbidden: this namespace may not be deleted' });
  });
});

describe('transports and clients', () => {
  it('serves discovery and the API on the unix socket too', async () => {
    const socket = { socketPath: env.socketPath };
    const v1 = (await request(socket, 'GET', '/api/v1')).json<{ resources: Array<{ name: string; shortNames?: string[]; verbs: string[] }> }>();
    expect(v1.resources.find((r) => r.name === 'pods')).toMatchObject({ shortNames: ['po'], verbs: expect.arrayContaining(['watch', 'patch']) });
    expect(v1.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['nodes/status', 'pods/status', 'services/status', 'namespaces', 'events']));
    const groups = (await request(socket, 'GET', '/apis')).json<{ groups: Array<{ name: string }> }>();
    expect(groups.groups.map((g) => g.name)).toEqual(['discovery.k8s.io', 'networking.k8s.io', 'coordination.k8s.io']);
    expect((await request(socket, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
  });

  it("works with client-node's generated CoreV1Api", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'sim', server: env.sim.url, skipTLSVerify: true }],
      users: [{ name: 'anonymous' }],
      contexts: [{ name: 'sim', cluster: 'sim', user: 'anonymous' }],
      currentContext: 'sim',
    });
    const api = kc.makeApiClient(CoreV1Api);
    const created = await api.createNamespacedPod({ namespace: 'default', body: podBody('generated') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    created.status = { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] };
    const replaced = await api.replaceNamespacedPodStatus({ namespace: 'default', name: 'generated', body: created });
    expect(replaced.status?.phase).toBe('Running');
    const running = await api.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running,metadata.name=generated' });
    expect(running.items.map((p) => p.metadata?.name)).toEqual(['generated']);
    await expect(api.readNamespacedPod({ namespace: 'default', name: 'absent' })).rejects.toMatchObject({ code: 404 });
  });
});
