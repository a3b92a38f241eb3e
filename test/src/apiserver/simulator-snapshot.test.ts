// Snapshots: the simulator's state survives a restart (objects, uids, allocations), and
// resourceVersions keep growing; watches from before the restart get 410 Gone.
//
// Test IP plan: services 10.96.0.0/16 + fd00:96::/108, pods 10.244.0.0/16 (/24 per node).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient, PODS } from '@kr/k8s';
import { NODE, POD, SERVICE, startApiServerSimulator, type ApiServerSimulator } from './index.js';
import { clientConfig, startTestSimulator, type TestSimulator } from './testing/helpers.js';

let env: TestSimulator | undefined;
let restarted: ApiServerSimulator | undefined;

afterEach(async () => {
  await restarted?.stop();
  await env?.dispose();
  env = restarted = undefined;
});

describe('snapshot', () => {
  it('round-trips the cluster through a restart with monotonic resourceVersions', async () => {
    const options = { serviceCidrs: ['10.96.0.0/16', 'fd00:96::/108'], clusterCidrs: ['10.244.0.0/16'] };
    env = await startTestSimulator(options);
    const file = join(env.dir, 'state', 'snapshot.json');
    await env.sim.stop();
    const first = await startApiServerSimulator({ ...options, snapshotFile: file, listen: [{ host: '127.0.0.1', port: 0 }] });
    first.registry.create(NODE, undefined, { metadata: { name: 'node-1' } });
    const svc = first.registry.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { ipFamilyPolicy: 'RequireDualStack', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    first.registry.create(POD, 'default', { metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'agnhost:2.45' }] } });
    await first.settle();
    const before = first.store.resourceVersion;
    const node = first.store.peek(NODE, undefined, 'node-1');
    await first.stop();
    const saved = JSON.parse(await readFile(file, 'utf8')) as { format: string; resourceVersion: number };
    expect(saved).toMatchObject({ format: 'kr-apiserver-simulator/v1', resourceVersion: before });

    restarted = await startApiServerSimulator({ ...options, snapshotFile: file, listen: [{ host: '127.0.0.1', port: 0 }] });
    expect(restarted.store.peek(NODE, undefined, 'node-1')).toEqual(node);
    expect(restarted.registry.get(SERVICE, 'default', 'web').spec).toEqual(svc.spec);
    expect(restarted.registry.get(POD, 'default', 'web-1').spec).toMatchObject({ nodeName: 'node-1' });
    // Allocations are rebuilt from the stored objects: the next service gets new addresses.
    const next = restarted.registry.create(SERVICE, 'default', { metadata: { name: 'next' }, spec: { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] } });
    const used = [...(svc.spec as { clusterIPs: string[] }).clusterIPs];
    for (const ip of (next.spec as { clusterIPs: string[] }).clusterIPs) expect(used).not.toContain(ip);
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(before);

    // A watch from before the restart is told to relist.
    const client = new KubeClient(clientConfig(restarted.url));
    try {
      const list = await client.list(PODS, { namespace: 'default' });
      expect(Number(list.resourceVersion)).toBeGreaterThan(before);
      const events = client.watch(PODS, { namespace: 'default', resourceVersion: String(before - 3) });
      await expect(events.next()).rejects.toMatchObject({ name: 'ApiError', status: 410 });
    } finally {
      client.close();
    }
  });

  it('refuses an unreadable snapshot instead of starting empty', async () => {
    env = await startTestSimulator();
    const file = join(env.dir, 'broken.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, '{"format":"something else"}'));
    await expect(startApiServerSimulator({ serviceCidrs: ['10.96.0.0/16'], clusterCidrs: [], snapshotFile: file, listen: [{ host: '127.0.0.1', port: 0 }] })).rejects.toThrow(
      /snapshot .*broken\.json is unreadable: not a kr-apiserver-simulator\/v1 snapshot/,
    );
  });
});
