import { Writable } from 'node:stream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@kr/observability';
import { admin, nodestate } from '@kr/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bus } from './bus.js';
import type { BusStatus } from './connection.js';
import { NODESTATE_BUCKET } from './sections.js';
import type { SectionArgs, SectionName, SectionTypes } from './sections.js';
import { resyncSubject } from './subjects.js';
import { freeLoopbackPort, startNatsServer, TestNatsServer } from './testing/nats-server.js';

// Test IP plan (section contents only; the bus itself runs on 127.0.0.1 ephemeral ports):
//   fabric 198.18.0.0/15   fd18::/64
//   pods   10.244.0.0/16   fd44::/56
const { Family } = nodestate;

const servers: TestNatsServer[] = [];
const buses: Bus[] = [];
const raw: NatsConnection[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
let logLines: Record<string, unknown>[] = [];

beforeEach(() => {
  unhandled.length = 0;
  logLines = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.stop()));
  await Promise.all(raw.splice(0).map((nc) => nc.close()));
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function server(): Promise<TestNatsServer> {
  const s = await startNatsServer();
  servers.push(s);
  return s;
}

function bus(url: string, name: string): Bus {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ name, level: 'debug', destination }).child('bus');
  const b = new Bus({ servers: url, name, log, backoff: { initialMs: 50, maxMs: 400 }, reconnectWaitMs: 100 });
  buses.push(b);
  return b;
}

async function rawConnection(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  raw.push(nc);
  return nc;
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Collects what a section watch delivers. */
function recorder<S extends SectionName>() {
  const seen: { section: S; value: SectionTypes[S] | undefined }[] = [];
  const callback = (...[section, value]: SectionArgs<S>): void => {
    seen.push({ section, value } as { section: S; value: SectionTypes[S] | undefined });
  };
  const last = (section: S): SectionTypes[S] | undefined => seen.filter((s) => s.section === section).at(-1)?.value;
  return { seen, callback, last };
}

const routerState = (generation: number, prefixes: { family: nodestate.Family; cidr: string }[]) =>
  nodestate.RouterState.fromPartial({
    header: { owner: 'router', node: 'node-a', generation },
    localAsn: 64512,
    advertised: prefixes.map((prefix) => ({ prefix, kind: nodestate.AdvertisementKind.ADVERTISEMENT_KIND_POD_CIDR })),
    clusterPodCidrs: prefixes,
  });

const FAMILIES = [
  { family: 'IPv4', prefixes: [{ family: Family.FAMILY_IPV4, cidr: '10.244.1.0/24' }] },
  { family: 'IPv6', prefixes: [{ family: Family.FAMILY_IPV6, cidr: 'fd44:0:0:1::/64' }] },
  {
    family: 'dual-stack',
    prefixes: [
      { family: Family.FAMILY_IPV4, cidr: '10.244.1.0/24' },
      { family: Family.FAMILY_IPV6, cidr: 'fd44:0:0:1::/64' },
    ],
  },
];

describe('Bus', () => {
  it.each(FAMILIES)('$family: a section published by one process reaches a watcher in another', async ({ prefixes }) => {
    const s = await server();
    const router = bus(s.url, 'kr-router');
    router.start();
    const first = routerState(1, prefixes);
    router.publishSection('router', first);

    // A reader that starts later gets the current value first.
    const proxy = bus(s.url, 'kr-proxy');
    proxy.start();
    const rec = recorder<'router' | 'cni'>();
    proxy.watchSections(['router', 'cni'], rec.callback);
    await waitFor('the current router section', () => rec.last('router') !== undefined);
    expect(rec.last('router')).toEqual(first);
    expect(rec.seen).toHaveLength(1);

    // Then every change, once.
    const second = routerState(2, [...prefixes].reverse());
    router.publishSection('router', second);
    await waitFor('the changed router section', () => rec.last('router')?.header?.generation === 2);
    expect(rec.last('router')).toEqual(second);
    expect(rec.seen).toHaveLength(2);
  });

  it('connects once a server that was down at start comes up, then publishes what it was given', async () => {
    const s = new TestNatsServer(await freeLoopbackPort());
    servers.push(s);
    const router = bus(s.url, 'kr-router');
    const statuses: BusStatus[] = [];
    router.onStatus((status) => statuses.push(status));
    router.start();
    router.publishSection('router', routerState(1, FAMILIES[2]!.prefixes));
    expect(router.publish(resyncSubject('proxy'), admin.ResyncRequest.fromPartial({ full: true }))).toBe(false);

    await waitFor('a failed connect attempt', () => router.status.lastError !== undefined);
    expect(router.status.connected).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few more failed attempts

    await s.start();
    await waitFor('the connection', () => router.status.connected);
    expect(statuses.at(-1)).toMatchObject({ connected: true });
    expect(statuses.some((st) => !st.connected && st.lastError?.includes('cannot connect'))).toBe(true);

    const reader = bus(s.url, 'kr-firewall');
    reader.start();
    const rec = recorder<'router'>();
    reader.watchSections(['router'], rec.callback);
    await waitFor('the section published before the bus was up', () => rec.last('router') !== undefined);
    expect(rec.last('router')?.clusterPodCidrs).toEqual(FAMILIES[2]!.prefixes);
  });

  it('survives a server killed and restarted: reconnects, recreates the bucket, republishes, re-watches, re-subscribes', async () => {
    const s = await server();
    const cni = bus(s.url, 'kr-cni');
    const router = bus(s.url, 'kr-router');
    const proxy = bus(s.url, 'kr-proxy');
    for (const b of [cni, router, proxy]) b.start();
    const rec = recorder<'router' | 'cni'>();
    proxy.watchSections(['router', 'cni'], rec.callback);
    const resyncs: admin.ResyncRequest[] = [];
    proxy.subscribe(resyncSubject('proxy'), (request) => resyncs.push(request));
    const routerStatuses: BusStatus[] = [];
    router.onStatus((status) => routerStatuses.push(status));

    const cniState = nodestate.CniState.fromPartial({ header: { owner: 'cni', generation: 1 }, podCidrs: FAMILIES[2]!.prefixes });
    cni.publishSection('cni', cniState);
    router.publishSection('router', routerState(1, FAMILIES[0]!.prefixes));
    await waitFor('the first values', () => rec.last('router')?.header?.generation === 1 && rec.last('cni') !== undefined);
    await waitFor('all connected', () => cni.status.connected && router.status.connected && proxy.status.connected);
    const cniDeliveries = (): number => rec.seen.filter((x) => x.section === 'cni').length;
    expect(cniDeliveries()).toBe(1);

    await s.kill('SIGKILL');
    await waitFor('the router to notice', () => !router.status.connected);
    expect(routerStatuses.at(-1)).toMatchObject({ connected: false });
    // Publishing while the bus is down only updates the pending value.
    const during = routerState(2, FAMILIES[1]!.prefixes);
    expect(() => router.publishSection('router', during)).not.toThrow();

    await s.start();
    await waitFor('reconnects', () => cni.status.connected && router.status.connected && proxy.status.connected);

    // The in-memory bucket died with the server. It is back with the latest value of
    // every section: the one changed while down, and the one nobody touched (its owner
    // republished it), which the re-established watch delivers again.
    await waitFor('the value published while down', () => rec.last('router')?.header?.generation === 2);
    expect(rec.last('router')).toEqual(during);
    await waitFor('the untouched section again', () => cniDeliveries() === 2);
    expect(rec.last('cni')).toEqual(cniState);
    const nc = await rawConnection(s.url);
    const kv = await new Kvm(nc).open(NODESTATE_BUCKET);
    const stored = await kv.get('router');
    expect(stored && nodestate.RouterState.decode(stored.value)).toEqual(during);
    expect((await kv.status()).storage).toBe('memory');

    // Core subscriptions were restored by the reconnect.
    await waitFor('a delivered resync', () => {
      router.publish(resyncSubject('proxy'), admin.ResyncRequest.fromPartial({ full: true, reason: 'after restart' }));
      return resyncs.length > 0;
    });
    expect(resyncs[0]).toEqual(admin.ResyncRequest.fromPartial({ full: true, reason: 'after restart' }));

    // And later changes keep flowing.
    router.publishSection('router', routerState(3, FAMILIES[2]!.prefixes));
    await waitFor('a change after the restart', () => rec.last('router')?.header?.generation === 3);
  });

  it('delivers typed subject messages to subscribers only', async () => {
    const s = await server();
    const ctl = bus(s.url, 'kr-ctl');
    const router = bus(s.url, 'kr-router');
    const proxy = bus(s.url, 'kr-proxy');
    for (const b of [ctl, router, proxy]) b.start();
    const got = { router: [] as admin.ResyncRequest[], proxy: [] as admin.ResyncRequest[] };
    router.subscribe(resyncSubject('router'), (r) => got.router.push(r));
    const proxySub = proxy.subscribe(resyncSubject('proxy'), (r) => got.proxy.push(r));
    await waitFor('all connected', () => ctl.status.connected && router.status.connected && proxy.status.connected);
    // A subscription made before the connection is attached when it comes up; flush both
    // subscribers' SUBs to the server before publishing.
    await waitFor('router resync delivered', () => {
      ctl.publish(resyncSubject('router'), admin.ResyncRequest.fromPartial({ full: false, reason: 'partial please' }));
      return got.router.length > 0;
    });
    expect(got.router[0]).toEqual(admin.ResyncRequest.fromPartial({ full: false, reason: 'partial please' }));
    expect(got.proxy).toEqual([]);

    proxySub.unsubscribe();
    ctl.publish(resyncSubject('proxy'), admin.ResyncRequest.fromPartial({ full: true }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(got.proxy).toEqual([]);
  });

  it('reports deletions, skips undecodable values and keeps watching', async () => {
    const s = await server();
    const reader = bus(s.url, 'kr-router');
    reader.start();
    const rec = recorder<'cni'>();
    reader.watchSections(['cni'], rec.callback);
    await waitFor('connected', () => reader.status.connected);

    const kv = await new Kvm(await rawConnection(s.url)).create(NODESTATE_BUCKET, { storage: 'memory', history: 1 });
    await kv.put('cni', new Uint8Array([0x0a, 0xff, 0xff, 0xff])); // truncated field
    await kv.put('proxy', new Uint8Array([1, 2, 3])); // not watched: never decoded
    const good = nodestate.CniState.fromPartial({ podCidrs: FAMILIES[2]!.prefixes, mtu: 1450 });
    await kv.put('cni', nodestate.CniState.encode(good).finish());
    await waitFor('the good value', () => rec.seen.length > 0);
    await kv.delete('cni');
    await waitFor('the deletion', () => rec.seen.length > 1);

    expect(rec.seen).toEqual([
      { section: 'cni', value: good },
      { section: 'cni', value: undefined },
    ]);
    expect(logLines.filter((l) => l.msg === 'undecodable section value skipped').map((l) => l.section)).toEqual(['cni']);
  });

  it('stops promptly while the server is down, and does nothing after stop', async () => {
    const port = await freeLoopbackPort();
    const b = bus(`nats://127.0.0.1:${port}`, 'kr-cni');
    b.start();
    const rec = recorder<'router'>();
    b.watchSections(['router'], rec.callback);
    await waitFor('a failed attempt', () => b.status.lastError !== undefined);
    const started = Date.now();
    await b.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(() => b.publishSection('cni', nodestate.CniState.fromPartial({}))).not.toThrow();
    expect(b.status.connected).toBe(false);
  });

  it('stops promptly while reconnecting to a server that went away', async () => {
    const s = await server();
    const b = bus(s.url, 'kr-cni');
    b.start();
    b.watchSections(['router'], recorder<'router'>().callback);
    b.publishSection('cni', nodestate.CniState.fromPartial({ mtu: 1500 }));
    await waitFor('connected', () => b.status.connected);
    await s.kill('SIGKILL');
    await waitFor('the disconnect', () => !b.status.connected);
    b.publishSection('cni', nodestate.CniState.fromPartial({ mtu: 1450 }));
    const started = Date.now();
    await b.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
