// The simulator's EndpointSlice controller: one slice per address family of the service,
// endpoints from the pods' addresses of that family, ready/serving/terminating from pod
// readiness and deletion, named target ports resolved per pod, and cleanup.
//
// Test IP plan (nothing is configured on any interface):
//   services 10.96.0.0/16 + fd00:96::/108 (order per row)
//   pod a: 10.244.1.10 / fd00:244:1::10   pod b: 10.244.1.11 / fd00:244:1::11
//   pod c: 10.244.1.12 (IPv4 only)         pod d: no address yet
import { afterEach, describe, expect, it } from 'vitest';
import { ENDPOINT_SLICE, NODE, POD, SERVICE, type KObject } from './index.js';
import { startTestSimulator, type TestSimulator } from './testing/helpers.js';

const NS = 'default';
let env: TestSimulator | undefined;

afterEach(async () => {
  await env?.dispose();
  env = undefined;
});

interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  zone?: string;
  targetRef: { kind: string; name: string; namespace: string };
}
interface Slice extends KObject {
  addressType: string;
  endpoints: Endpoint[] | null;
  ports: Array<{ name: string; port: number; protocol: string }> | null;
}

function pod(name: string, ips: string[], ready: boolean, httpPort = 8080): Record<string, unknown> {
  return {
    metadata: { name, namespace: NS, labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'agnhost:2.45', ports: [{ name: 'http', containerPort: httpPort }] }] },
    status: ips.length
      ? { phase: 'Running', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] }
      : { phase: 'Pending' },
  };
}

/** Creates a pod and plays the kubelet: the status arrives through /status as it would. */
function runPod(sim: TestSimulator['sim'], spec: Record<string, unknown>): void {
  const created = sim.registry.create(POD, NS, { ...spec, status: undefined });
  sim.registry.update(POD, NS, created.metadata.name ?? '', { ...created, status: spec.status }, 'status');
}

/** The service's slices, IPv4 first (their names are random). */
function slicesOf(sim: TestSimulator['sim'], service: string): Slice[] {
  return (sim.store.list(ENDPOINT_SLICE, NS).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service) as Slice[]).sort(
    (a, b) => a.addressType.localeCompare(b.addressType) || JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)),
  );
}

function summary(slices: Slice[]): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const slice of slices) {
    const ports = (slice.ports ?? []).map((p) => `${p.name}=${p.port}/${p.protocol}`).join(',') || '-';
    out[slice.addressType] ??= {};
    (out[slice.addressType] as Record<string, string[]>)[ports] = (slice.endpoints ?? []).map((e) => `${e.targetRef.name}:${e.addresses.join(',')}`);
  }
  return out;
}

const FAMILY_ROWS = [
  { name: 'IPv4 single-stack cluster', cidrs: ['10.96.0.0/16'], policy: 'PreferDualStack', types: ['IPv4'] },
  { name: 'IPv6 single-stack cluster', cidrs: ['fd00:96::/108'], policy: 'PreferDualStack', types: ['IPv6'] },
  { name: 'dual-stack cluster, dual-stack service', cidrs: ['10.96.0.0/16', 'fd00:96::/108'], policy: 'RequireDualStack', types: ['IPv4', 'IPv6'] },
  { name: 'dual-stack v6-first cluster, dual-stack service', cidrs: ['fd00:96::/108', '10.96.0.0/16'], policy: 'RequireDualStack', types: ['IPv4', 'IPv6'] },
  { name: 'dual-stack cluster, single-stack service', cidrs: ['10.96.0.0/16', 'fd00:96::/108'], policy: 'SingleStack', types: ['IPv4'] },
];

describe('one slice per address family of the service', () => {
  for (const row of FAMILY_ROWS) {
    it(row.name, async () => {
      env = await startTestSimulator({ serviceCidrs: row.cidrs });
      const { sim } = env;
      sim.registry.create(NODE, undefined, { metadata: { name: 'node-1' } });
      sim.registry.create(SERVICE, NS, { metadata: { name: 'web' }, spec: { ipFamilyPolicy: row.policy, selector: { app: 'web' }, ports: [{ port: 80 }] } });
      await sim.settle();
      // A service without pods has empty placeholder slices.
      expect(slicesOf(sim, 'web').map((s) => [s.addressType, s.endpoints])).toEqual(row.types.map((t) => [t, null]));
      runPod(sim, pod('a', ['10.244.1.10', 'fd00:244:1::10'], true));
      await sim.settle();
      const byType = Object.fromEntries(slicesOf(sim, 'web').map((s) => [s.addressType, s.endpoints?.flatMap((e) => e.addresses)]));
      expect(byType).toEqual(
        Object.fromEntries(row.types.map((t) => [t, t === 'IPv4' ? ['10.244.1.10'] : ['fd00:244:1::10']])),
      );
    });
  }
});

describe('endpoints, conditions and ports', () => {
  it('resolves named ports per pod, follows readiness and termination, and cleans up', async () => {
    env = await startTestSimulator({ serviceCidrs: ['10.96.0.0/16', 'fd00:96::/108'] });
    const { sim } = env;
    sim.registry.create(NODE, undefined, { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } });
    sim.registry.create(SERVICE, NS, {
      metadata: { name: 'web', labels: { team: 'net' } },
      spec: {
        ipFamilyPolicy: 'PreferDualStack',
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
        ],
      },
    });
    runPod(sim, pod('a', ['10.244.1.10', 'fd00:244:1::10'], true));
    runPod(sim, pod('b', ['10.244.1.11', 'fd00:244:1::11'], false, 9090));
    runPod(sim, pod('c', ['10.244.1.12'], true));
    runPod(sim, pod('d', [], false));
    await sim.settle();

    expect(summary(slicesOf(sim, 'web'))).toEqual({
      IPv4: {
        'http=8080/TCP,dns=5353/UDP': ['a:10.244.1.10', 'c:10.244.1.12'],
        'http=9090/TCP,dns=5353/UDP': ['b:10.244.1.11'],
      },
      IPv6: {
        'http=8080/TCP,dns=5353/UDP': ['a:fd00:244:1::10'],
        'http=9090/TCP,dns=5353/UDP': ['b:fd00:244:1::11'],
      },
    });
    const v4 = slicesOf(sim, 'web').find((s) => s.addressType === 'IPv4' && s.ports?.[0]?.port === 8080) as Slice;
    expect(v4.metadata.labels).toEqual({
      team: 'net',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(v4.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'v1', kind: 'Service', name: 'web', controller: true, blockOwnerDeletion: true }),
    ]);
    expect(v4.endpoints?.[0]).toEqual({
      addresses: ['10.244.1.10'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NS, name: 'a', uid: sim.store.peek(POD, NS, 'a')?.metadata.uid },
      nodeName: 'node-1',
      zone: 'zone-a',
    });
    const b = slicesOf(sim, 'web').flatMap((s) => s.endpoints ?? []).find((e) => e.targetRef.name === 'b');
    expect(b?.conditions).toEqual({ ready: false, serving: false, terminating: false });

    // A pod being deleted stays, terminating: serving as before, never ready.
    sim.registry.delete(POD, NS, 'a');
    await sim.settle();
    const terminating = slicesOf(sim, 'web').flatMap((s) => s.endpoints ?? []).filter((e) => e.targetRef.name === 'a');
    expect(terminating.map((e) => e.conditions)).toEqual([
      { ready: false, serving: true, terminating: true },
      { ready: false, serving: true, terminating: true },
    ]);
    // The kubelet confirms; the pod and its endpoints go.
    sim.registry.delete(POD, NS, 'a', { gracePeriodSeconds: 0 });
    // A label change takes c out of the selector.
    const c = sim.registry.get(POD, NS, 'c');
    c.metadata.labels = { app: 'other' };
    sim.registry.update(POD, NS, 'c', c, undefined);
    await sim.settle();
    expect(summary(slicesOf(sim, 'web'))).toEqual({
      IPv4: { 'http=9090/TCP,dns=5353/UDP': ['b:10.244.1.11'] },
      IPv6: { 'http=9090/TCP,dns=5353/UDP': ['b:fd00:244:1::11'] },
    });

    // A slice edited by someone else is put back.
    const edited = slicesOf(sim, 'web')[0] as Slice;
    sim.registry.update(ENDPOINT_SLICE, NS, edited.metadata.name ?? '', { ...edited, endpoints: null }, undefined);
    await sim.settle();
    expect(summary(slicesOf(sim, 'web')).IPv4).toEqual({ 'http=9090/TCP,dns=5353/UDP': ['b:10.244.1.11'] });

    sim.registry.delete(SERVICE, NS, 'web');
    await sim.settle();
    expect(slicesOf(sim, 'web')).toEqual([]);
  });

  it('leaves services without selector alone', async () => {
    env = await startTestSimulator();
    const { sim } = env;
    sim.registry.create(SERVICE, NS, { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
    sim.registry.create(ENDPOINT_SLICE, NS, {
      metadata: { name: 'manual-1', labels: { 'kubernetes.io/service-name': 'manual' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.10'] }],
      ports: [{ port: 80 }],
    });
    await sim.settle();
    expect(slicesOf(sim, 'manual').map((s) => s.metadata.name)).toEqual(['manual-1']);
  });
});
