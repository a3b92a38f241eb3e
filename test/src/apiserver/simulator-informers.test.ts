// Informers against the simulator: @kubernetes/client-node's ListWatch (makeInformer) and
// our own @kr/k8s Informer keep an exact cache across server-side watch timeouts and
// across a 410 Gone (history compacted while they were reconnecting), which they must
// answer with a relist that reports what changed in between.
//
// Test IP plan: none (pods here have no addresses).
import { afterEach, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { Informer, PODS, type KubeClient } from '@kr/k8s';
import { POD } from './index.js';
import { eventually, startTestSimulator, type TestSimulator } from './testing/helpers.js';

const NS = 'default';
let env: TestSimulator | undefined;

afterEach(async () => {
  await env?.dispose();
  env = undefined;
});

function pod(name: string): Record<string, unknown> {
  return { metadata: { name, namespace: NS, labels: { app: 'informer' } }, spec: { containers: [{ name: 'c', image: 'agnhost:2.45' }] } };
}

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node 2.x refuses plain http:// unless skipTLSVerify is set (the simulator has no TLS).
    clusters: [{ name: 'sim', server, skipTLSVerify: true }],
    users: [{ name: 'anonymous' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'anonymous' }],
    currentContext: 'sim',
  });
  return kc;
}

/**
 * Changes the store while no watch is open and compacts the history, so the next watch
 * from the informer's resourceVersion is answered 410 Gone. Synchronous: the closed
 * streams see none of the changes, and no client can reconnect in between.
 */
function changeBehindTheWatchesBack(sim: TestSimulator['sim'], create: string, remove: string): void {
  sim.closeWatches();
  sim.registry.create(POD, NS, pod(create));
  sim.registry.delete(POD, NS, remove, { gracePeriodSeconds: 0 });
  sim.compact();
}

describe('@kubernetes/client-node informer', () => {
  it('survives server-side watch timeouts and relists after 410 Gone', async () => {
    env = await startTestSimulator({ watchTimeoutSeconds: 1 });
    const { sim } = env;
    sim.registry.create(POD, NS, pod('before-start'));
    const kc = kubeConfigFor(sim.url);
    const api = kc.makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => {
      lists += 1;
      return api.listNamespacedPod({ namespace: NS });
    });
    const seen = new Map<string, V1Pod>();
    const deleted: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (p) => seen.set(p.metadata?.name ?? '', p));
    informer.on('update', (p) => seen.set(p.metadata?.name ?? '', p));
    informer.on('delete', (p) => {
      seen.delete(p.metadata?.name ?? '');
      deleted.push(p.metadata?.name ?? '');
    });
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await eventually(() => (seen.has('before-start') ? true : undefined), 5000, 'initial list');
      expect(lists).toBe(1);

      // Outlive at least two server-side timeouts (1-2 s each); the watch is reopened
      // from the last resourceVersion, without a relist, and still delivers events.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      sim.registry.create(POD, NS, pod('after-timeouts'));
      await eventually(() => (seen.has('after-timeouts') ? true : undefined), 5000, 'event after watch timeouts');
      expect(lists).toBe(1);

      changeBehindTheWatchesBack(sim, 'while-away', 'before-start');
      await eventually(() => (seen.has('while-away') && !seen.has('before-start') ? true : undefined), 10_000, 'relist after 410');
      expect(lists).toBe(2);
      expect(deleted).toContain('before-start');
      expect([...seen.keys()].sort()).toEqual(['after-timeouts', 'while-away']);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});

describe('@kr/k8s Informer', () => {
  it('survives server-side watch timeouts and relists after 410 Gone', async () => {
    env = await startTestSimulator();
    const { sim } = env;
    sim.registry.create(POD, NS, pod('before-start'));
    const informer = new Informer((env as { client: KubeClient }).client, PODS, { namespace: NS, watchTimeoutSeconds: 1, random: () => 0 });
    const deleted: string[] = [];
    informer.addHandlers({ onDelete: (p) => deleted.push(p.metadata?.name ?? '') });
    informer.start();
    try {
      await informer.synced;
      expect(informer.keys()).toEqual([`${NS}/before-start`]);
      await eventually(() => (informer.status().watches >= 3 ? true : undefined), 6000, 'watch reopened after timeouts');
      sim.registry.create(POD, NS, pod('after-timeouts'));
      await eventually(() => informer.get('after-timeouts', NS), 5000, 'event after watch timeouts');
      expect(informer.status().lists).toBe(1);

      changeBehindTheWatchesBack(sim, 'while-away', 'before-start');
      await eventually(() => (informer.status().lists === 2 && informer.get('while-away', NS) ? true : undefined), 10_000, 'relist after 410');
      expect(informer.keys().sort()).toEqual([`${NS}/after-timeouts`, `${NS}/while-away`]);
      expect(deleted).toEqual(['before-start']);
      expect(informer.status().consecutiveFailures).toBe(0);
    } finally {
      await informer.stop();
    }
  });
});
