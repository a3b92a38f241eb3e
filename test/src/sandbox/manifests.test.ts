// apply/delete/label: parsing and checking of multi-document manifests (pure), then the
// real API server simulator (in-process) taking them. Test IP plan: services
// 10.96.0.0/16 + fd00:10:96::/112 (dual-stack), node1 InternalIPs 198.18.0.11 and
// fd42:198:18::11.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { startApiServerSimulator, type ApiServerSimulator } from '../apiserver/index.js';
import { SimulatorClient } from './api.js';
import { applyManifests, applyOrder, deleteManifests, nodeMetadataPatch, parseManifests } from './manifests.js';

const DEMO = `
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: a, labels: { app: web } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: a }
---
# an empty document is skipped
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: { name: web, namespace: a }
    spec: { ipFamilyPolicy: PreferDualStack, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: { name: deny, namespace: a }
    spec: { podSelector: {}, policyTypes: [Ingress] }
---
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
`;

describe('parseManifests', () => {
  it('reads YAML and JSON documents, flattens Lists, skips empty ones and defaults the namespace', () => {
    const objects = parseManifests(DEMO, 'demo.yaml');
    expect(objects.map((o) => [o.info.kind, o.namespace ?? '', o.name, o.origin])).toEqual([
      ['Pod', 'a', 'web', 'demo.yaml#1'],
      ['Namespace', '', 'a', 'demo.yaml#2'],
      ['Service', 'a', 'web', 'demo.yaml#4 item 1'],
      ['NetworkPolicy', 'a', 'deny', 'demo.yaml#4 item 2'],
      ['Pod', 'default', 'solo', 'demo.yaml#5'],
    ]);
    expect(objects[4]!.body.metadata).toEqual({ name: 'solo', namespace: 'default' });
    expect(applyOrder(objects).map((o) => o.name)).toEqual(['a', 'web', 'web', 'deny', 'solo']);
  });

  it.each([
    { text: 'kind: Deployment\napiVersion: apps/v1\nmetadata: {name: d}', why: /f#1: kind "Deployment" is not served by the sandbox \(it serves Namespace, Node, Pod, Service, NetworkPolicy\)/ },
    { text: 'kind: Pod\napiVersion: v2\nmetadata: {name: p}', why: /Pod needs apiVersion v1, not "v2"/ },
    { text: 'kind: NetworkPolicy\napiVersion: v1\nmetadata: {name: p}', why: /needs apiVersion networking.k8s.io\/v1/ },
    { text: 'kind: Pod\napiVersion: v1\nmetadata: {}', why: /Pod has no metadata.name/ },
    { text: 'kind: Namespace\napiVersion: v1\nmetadata: {name: a, namespace: b}', why: /not namespaced but has metadata.namespace/ },
    { text: '- just\n- a list', why: /must be a Kubernetes object/ },
    { text: 'kind: Pod\n  bad: [indent', why: /f#1: not valid YAML/ },
  ])('refuses $text', ({ text, why }) => {
    expect(() => parseManifests(text, 'f')).toThrow(ConfigError);
    expect(() => parseManifests(text, 'f')).toThrow(why);
  });

  it('turns a Node document into a merge patch of its labels and annotations only', () => {
    const [node] = parseManifests('apiVersion: v1\nkind: Node\nmetadata: {name: node1, labels: {zone: a}, annotations: {"kube-router.io/x": "1"}}\nspec: {unschedulable: true}', 'f');
    expect(nodeMetadataPatch(node!.body, false)).toEqual({ metadata: { labels: { zone: 'a' }, annotations: { 'kube-router.io/x': '1' } } });
    expect(nodeMetadataPatch(node!.body, true)).toEqual({ metadata: { labels: { zone: null }, annotations: { 'kube-router.io/x': null } } });
  });
});

describe('against the API server simulator', () => {
  let sim: ApiServerSimulator;
  let api: SimulatorClient;

  beforeAll(async () => {
    sim = await startApiServerSimulator({
      serviceCidrs: ['10.96.0.0/16', 'fd00:10:96::/112'],
      clusterCidrs: [],
      listen: [{ host: '127.0.0.1', port: 0 }],
      // No kubelet here to confirm pod deletions.
      podGracefulDeletion: false,
    });
    api = new SimulatorClient(sim.url);
    await api.create('/api/v1/nodes', {
      metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } },
      status: { addresses: [{ type: 'InternalIP', address: '198.18.0.11' }, { type: 'InternalIP', address: 'fd42:198:18::11' }] },
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('applies (create, then unchanged or configured), labels, and deletes', async () => {
    const objects = parseManifests(DEMO, 'demo.yaml');
    expect(await applyManifests(api, objects)).toEqual([
      { object: 'namespace/a', outcome: 'created' },
      { object: 'pod/a/web', outcome: 'created' },
      { object: 'service/a/web', outcome: 'created' },
      { object: 'networkpolicy/a/deny', outcome: 'created' },
      { object: 'pod/default/solo', outcome: 'created' },
    ]);
    const svc = await api.get('/api/v1/namespaces/a/services/web');
    expect((svc.spec as { clusterIPs: string[] }).clusterIPs).toHaveLength(2);

    const again = await applyManifests(api, objects);
    expect(again.map((r) => r.outcome).every((o) => o === 'unchanged' || o === 'configured')).toBe(true);
    const relabeled = parseManifests(DEMO.replace('labels: { app: web }', 'labels: { app: web, tier: front }'), 'demo.yaml');
    expect((await applyManifests(api, relabeled)).find((r) => r.object === 'pod/a/web')).toEqual({ object: 'pod/a/web', outcome: 'configured' });
    expect((await api.get('/api/v1/namespaces/a/pods/web')).metadata?.labels).toEqual({ app: 'web', tier: 'front' });

    const results = await deleteManifests(api, objects, 10_000);
    expect(results.map((r) => `${r.object} ${r.outcome}`)).toEqual([
      'pod/default/solo deleted',
      'networkpolicy/a/deny deleted',
      'service/a/web deleted',
      'pod/a/web deleted',
      'namespace/a deleted',
    ]);
    expect(await api.find('/api/v1/namespaces/default/pods/solo')).toBeUndefined();
    expect((await deleteManifests(api, objects.slice(4), 0)).map((r) => r.outcome)).toEqual(['not found']);
  });

  it('reports an object the API rejects and still applies the others', async () => {
    const objects = parseManifests(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: nocontainers}\nspec: {containers: []}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}',
      'f',
    );
    const results = await applyManifests(api, objects);
    expect(results[0]).toEqual({ object: 'namespace/b', outcome: 'created' });
    expect(results[1]).toMatchObject({ object: 'pod/default/nocontainers', outcome: 'failed', error: expect.stringMatching(/422/) });
  });

  it('merges Node documents into the existing node and takes them back on delete', async () => {
    const objects = parseManifests('apiVersion: v1\nkind: Node\nmetadata: {name: node1, labels: {zone: a}, annotations: {"kube-router.io/node.asn": "64512"}}', 'f');
    expect(await applyManifests(api, objects)).toEqual([{ object: 'node/node1', outcome: 'labeled' }]);
    const node = await api.get('/api/v1/nodes/node1');
    expect(node.metadata?.labels).toEqual({ 'kubernetes.io/hostname': 'node1', zone: 'a' });
    expect(node.metadata?.annotations).toMatchObject({ 'kube-router.io/node.asn': '64512' });
    expect((node.status as { addresses: unknown[] }).addresses).toHaveLength(2);
    expect(await applyManifests(api, objects)).toEqual([{ object: 'node/node1', outcome: 'unchanged' }]);

    expect(await deleteManifests(api, objects, 0)).toEqual([{ object: 'node/node1', outcome: 'labeled' }]);
    const after = await api.get('/api/v1/nodes/node1');
    expect(after.metadata?.labels).toEqual({ 'kubernetes.io/hostname': 'node1' });
    expect(after.metadata?.annotations?.['kube-router.io/node.asn']).toBeUndefined();

    const stranger = parseManifests('apiVersion: v1\nkind: Node\nmetadata: {name: node9, labels: {zone: a}}', 'f');
    expect(await applyManifests(api, stranger)).toEqual([{ object: 'node/node9', outcome: 'failed', error: expect.stringMatching(/node node9 is not a node of the sandbox/) }]);
  });
});
