// Service ClusterIP/NodePort allocation against the simulator over HTTP: the dual-stack
// rules of Kubernetes (ipFamilyPolicy defaulting, ipFamilies order, PreferDualStack
// fallback, RequireDualStack refusal, headless services, immutability, SingleStack <->
// dual-stack changes), node ports and health-check node ports.
//
// Test IP plan (service CIDRs only; nothing is configured on any interface):
//   IPv4 services   10.96.0.0/16      IPv6 services   fd00:96::/108
//   clusters: ipv4 [v4], ipv6 [v6], dual [v4, v6], dual-v6 [v6, v4]
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contains } from '@kr/ip';
import { request, startTestSimulator, type TestSimulator } from './testing/helpers.js';

const V4 = '10.96.0.0/16';
const V6 = 'fd00:96::/108';
const CLUSTERS = { ipv4: [V4], ipv6: [V6], dual: [V4, V6], 'dual-v6': [V6, V4] } as const;
type Cluster = keyof typeof CLUSTERS;
const CLUSTER_NAMES = Object.keys(CLUSTERS) as Cluster[];

type Families = Array<'IPv4' | 'IPv6'>;
type Expected = { policy: string; families: Families; headless?: boolean } | { error: string; field: string };

const ok = (policy: string, families: Families, headless = false): Expected => ({ policy, families, headless });
const fail = (field: string, error: string): Expected => ({ field, error });

const SELECTOR = { app: 'web' };
const PORTS = [{ port: 80 }];

interface Row {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly expect: Record<Cluster, Expected>;
}

const ROWS: Row[] = [
  {
    name: 'no policy, no families: SingleStack of the default family',
    spec: { selector: SELECTOR, ports: PORTS },
    expect: { ipv4: ok('SingleStack', ['IPv4']), ipv6: ok('SingleStack', ['IPv6']), dual: ok('SingleStack', ['IPv4']), 'dual-v6': ok('SingleStack', ['IPv6']) },
  },
  {
    name: 'PreferDualStack: both families where the cluster has them, in cluster order',
    spec: { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'PreferDualStack' },
    expect: {
      ipv4: ok('PreferDualStack', ['IPv4']),
      ipv6: ok('PreferDualStack', ['IPv6']),
      dual: ok('PreferDualStack', ['IPv4', 'IPv6']),
      'dual-v6': ok('PreferDualStack', ['IPv6', 'IPv4']),
    },
  },
  {
    name: 'RequireDualStack: refused on a single-stack cluster',
    spec: { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'RequireDualStack' },
    expect: {
      ipv4: fail('spec.ipFamilyPolicy', 'this cluster is not configured for dual-stack services'),
      ipv6: fail('spec.ipFamilyPolicy', 'this cluster is not configured for dual-stack services'),
      dual: ok('RequireDualStack', ['IPv4', 'IPv6']),
      'dual-v6': ok('RequireDualStack', ['IPv6', 'IPv4']),
    },
  },
  {
    name: 'explicit ipFamilies [IPv6]',
    spec: { selector: SELECTOR, ports: PORTS, ipFamilies: ['IPv6'] },
    expect: {
      ipv4: fail('spec.ipFamilies[0]', 'not configured on this cluster'),
      ipv6: ok('SingleStack', ['IPv6']),
      dual: ok('SingleStack', ['IPv6']),
      'dual-v6': ok('SingleStack', ['IPv6']),
    },
  },
  {
    name: 'explicit ipFamilies [IPv6, IPv4] with PreferDualStack: order decides clusterIP',
    spec: { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] },
    expect: {
      ipv4: fail('spec.ipFamilies[0]', 'not configured on this cluster'),
      ipv6: fail('spec.ipFamilies[1]', 'not configured on this cluster'),
      dual: ok('PreferDualStack', ['IPv6', 'IPv4']),
      'dual-v6': ok('PreferDualStack', ['IPv6', 'IPv4']),
    },
  },
  {
    name: 'two families without a policy: SingleStack cannot have two',
    spec: { selector: SELECTOR, ports: PORTS, ipFamilies: ['IPv4', 'IPv6'] },
    expect: Object.fromEntries(
      CLUSTER_NAMES.map((c) => [c, fail('spec.ipFamilyPolicy', "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified")]),
    ) as Record<Cluster, Expected>,
  },
  {
    name: 'headless with selector: families like any service, no cluster IP',
    spec: { selector: SELECTOR, ports: PORTS, clusterIP: 'None', ipFamilyPolicy: 'PreferDualStack' },
    expect: {
      ipv4: ok('PreferDualStack', ['IPv4'], true),
      ipv6: ok('PreferDualStack', ['IPv6'], true),
      dual: ok('PreferDualStack', ['IPv4', 'IPv6'], true),
      'dual-v6': ok('PreferDualStack', ['IPv6', 'IPv4'], true),
    },
  },
  {
    name: 'headless without selector: RequireDualStack and both families, even on a single-stack cluster',
    spec: { ports: PORTS, clusterIP: 'None' },
    expect: {
      ipv4: ok('RequireDualStack', ['IPv4', 'IPv6'], true),
      ipv6: ok('RequireDualStack', ['IPv6', 'IPv4'], true),
      dual: ok('RequireDualStack', ['IPv4', 'IPv6'], true),
      'dual-v6': ok('RequireDualStack', ['IPv6', 'IPv4'], true),
    },
  },
  {
    name: 'a user-chosen clusterIP decides the family',
    spec: { selector: SELECTOR, ports: PORTS, clusterIP: 'fd00:96::a' },
    expect: {
      ipv4: fail('spec.clusterIPs[0]', 'IPv6 is not configured on this cluster'),
      ipv6: ok('SingleStack', ['IPv6']),
      dual: ok('SingleStack', ['IPv6']),
      'dual-v6': ok('SingleStack', ['IPv6']),
    },
  },
  {
    name: 'user-chosen clusterIPs [v4, v6]: their order is the family order',
    spec: { selector: SELECTOR, ports: PORTS, clusterIPs: ['10.96.0.10', 'fd00:96::10'], ipFamilyPolicy: 'RequireDualStack' },
    expect: {
      ipv4: fail('spec.clusterIPs[1]', 'IPv6 is not configured on this cluster'),
      ipv6: fail('spec.clusterIPs[0]', 'IPv4 is not configured on this cluster'),
      dual: ok('RequireDualStack', ['IPv4', 'IPv6']),
      'dual-v6': ok('RequireDualStack', ['IPv4', 'IPv6']),
    },
  },
  {
    name: 'a clusterIP outside the service CIDR',
    spec: { selector: SELECTOR, ports: PORTS, clusterIP: '10.97.0.1', ipFamilies: ['IPv4'] },
    expect: {
      ipv4: fail('spec.clusterIPs', 'failed to allocate IP 10.97.0.1: the provided IP (10.97.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16'),
      ipv6: fail('spec.ipFamilies[0]', 'not configured on this cluster'),
      dual: fail('spec.clusterIPs', 'failed to allocate IP 10.97.0.1: the provided IP (10.97.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16'),
      'dual-v6': fail('spec.clusterIPs', 'failed to allocate IP 10.97.0.1: the provided IP (10.97.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16'),
    },
  },
];

interface ServiceSpec {
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: Array<{ port: number; nodePort?: number; name?: string }>;
  healthCheckNodePort?: number;
}
interface StatusBody {
  code: number;
  reason: string;
  message: string;
  details: { causes: Array<{ field: string; message: string; reason: string }> };
}

const sims = new Map<Cluster, TestSimulator>();

beforeAll(async () => {
  for (const cluster of CLUSTER_NAMES) {
    sims.set(cluster, await startTestSimulator({ serviceCidrs: [...CLUSTERS[cluster]], kubernetesService: false }));
  }
});

afterAll(async () => {
  await Promise.all([...sims.values()].map((s) => s.dispose()));
});

let counter = 0;
async function createService(cluster: Cluster, spec: Record<string, unknown>, name = `svc-${++counter}`) {
  const sim = sims.get(cluster) as TestSimulator;
  return request({ url: sim.sim.url }, 'POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
}

function cidrOf(family: 'IPv4' | 'IPv6'): string {
  return family === 'IPv4' ? V4 : V6;
}

describe('dual-stack Service allocation rules', () => {
  for (const row of ROWS) {
    for (const cluster of CLUSTER_NAMES) {
      it(`${cluster}: ${row.name}`, async () => {
        const res = await createService(cluster, row.spec);
        const expected = row.expect[cluster];
        if ('error' in expected) {
          expect(res.status).toBe(422);
          const status = res.json<StatusBody>();
          expect(status.reason).toBe('Invalid');
          expect(status.details.causes).toContainEqual(expect.objectContaining({ field: expected.field, message: expect.stringContaining(expected.error) }));
          return;
        }
        expect(res.status, res.body).toBe(201);
        const spec = res.json<{ spec: ServiceSpec }>().spec;
        expect(spec.ipFamilyPolicy).toBe(expected.policy);
        expect(spec.ipFamilies).toEqual(expected.families);
        if (expected.headless) {
          expect(spec.clusterIPs).toEqual(['None']);
          expect(spec.clusterIP).toBe('None');
          return;
        }
        expect(spec.clusterIPs).toHaveLength(expected.families.length);
        expected.families.forEach((family, i) => expect(contains(cidrOf(family), spec.clusterIPs?.[i] as string)).toBe(true));
        expect(spec.clusterIP).toBe(spec.clusterIPs?.[0]);
        const chosen = (row.spec.clusterIPs as string[] | undefined) ?? (row.spec.clusterIP ? [row.spec.clusterIP as string] : undefined);
        if (chosen) expect(spec.clusterIPs).toEqual(chosen);
      });
    }
  }
});

async function update(cluster: Cluster, name: string, mutate: (spec: ServiceSpec) => void) {
  const sim = sims.get(cluster) as TestSimulator;
  const current = (await request({ url: sim.sim.url }, 'GET', `/api/v1/namespaces/default/services/${name}`)).json<{ spec: ServiceSpec }>();
  mutate(current.spec);
  return request({ url: sim.sim.url }, 'PUT', `/api/v1/namespaces/default/services/${name}`, current);
}

describe('Service updates', () => {
  it('SingleStack -> PreferDualStack adds the second family; back to SingleStack drops it', async () => {
    const created = (await createService('dual-v6', { selector: SELECTOR, ports: PORTS }, 'upgrade')).json<{ spec: ServiceSpec }>().spec;
    expect(created.ipFamilies).toEqual(['IPv6']);
    const upgraded = await update('dual-v6', 'upgrade', (spec) => (spec.ipFamilyPolicy = 'PreferDualStack'));
    expect(upgraded.status, upgraded.body).toBe(200);
    const up = upgraded.json<{ spec: ServiceSpec }>().spec;
    expect(up.ipFamilies).toEqual(['IPv6', 'IPv4']);
    expect(up.clusterIPs?.[0]).toBe(created.clusterIP);
    expect(contains(V4, up.clusterIPs?.[1] as string)).toBe(true);
    const down = (await update('dual-v6', 'upgrade', (spec) => (spec.ipFamilyPolicy = 'SingleStack'))).json<{ spec: ServiceSpec }>().spec;
    expect(down.ipFamilies).toEqual(['IPv6']);
    expect(down.clusterIPs).toEqual([created.clusterIP]);
  });

  it('dropping the secondary family without SingleStack is refused', async () => {
    await createService('dual', { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'RequireDualStack' }, 'no-drop');
    const res = await update('dual', 'no-drop', (spec) => {
      spec.ipFamilies = spec.ipFamilies?.slice(0, 1);
      spec.clusterIPs = spec.clusterIPs?.slice(0, 1);
    });
    expect(res.status).toBe(422);
    expect(res.json<StatusBody>().details.causes.map((c) => c.message)).toContain("Invalid value: \"RequireDualStack\": must be 'SingleStack' to release the secondary cluster IP");
  });

  it('the primary family and address are immutable', async () => {
    await createService('dual', { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'PreferDualStack' }, 'immutable');
    const res = await update('dual', 'immutable', (spec) => {
      spec.ipFamilies = ['IPv6', 'IPv4'];
      spec.clusterIPs = [...(spec.clusterIPs ?? [])].reverse();
      spec.clusterIP = spec.clusterIPs[0];
    });
    expect(res.status).toBe(422);
    const fields = res.json<StatusBody>().details.causes.map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.clusterIPs[0]', 'spec.ipFamilies[0]']));
  });

  it('PreferDualStack on a single-stack cluster stays single; a PUT without clusterIP keeps the allocation', async () => {
    const created = (await createService('ipv6', { selector: SELECTOR, ports: PORTS, ipFamilyPolicy: 'PreferDualStack' }, 'keep')).json<{ spec: ServiceSpec }>().spec;
    const res = await update('ipv6', 'keep', (spec) => {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      spec.ports = [{ port: 8080 }];
    });
    expect(res.status, res.body).toBe(200);
    const spec = res.json<{ spec: ServiceSpec }>().spec;
    expect(spec.clusterIPs).toEqual(created.clusterIPs);
    expect(spec.ipFamilies).toEqual(['IPv6']);
  });

  it('a user-chosen address is reserved while the service exists and released when it is deleted', async () => {
    const spec = { selector: SELECTOR, ports: PORTS, clusterIP: '10.96.7.7' };
    expect((await createService('ipv4', spec, 'owner')).status).toBe(201);
    const clash = await createService('ipv4', spec, 'clash');
    expect(clash.status).toBe(422);
    expect(clash.json<StatusBody>().details.causes[0]?.message).toContain('failed to allocate IP 10.96.7.7: provided IP is already allocated');
    const sim = sims.get('ipv4') as TestSimulator;
    expect((await request({ url: sim.sim.url }, 'DELETE', '/api/v1/namespaces/default/services/owner')).status).toBe(200);
    expect((await createService('ipv4', spec, 'clash')).status).toBe(201);
  });
});

describe('NodePort and healthCheckNodePort allocation', () => {
  it('allocates a node port per service port in the default range, and refuses a taken one', async () => {
    const res = await createService('dual', { type: 'NodePort', selector: SELECTOR, ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] });
    const ports = res.json<{ spec: ServiceSpec }>().spec.ports ?? [];
    for (const port of ports) expect(port.nodePort).toBeGreaterThanOrEqual(30000);
    expect(new Set(ports.map((p) => p.nodePort)).size).toBe(2);
    const taken = ports[0]?.nodePort as number;
    const clash = await createService('dual', { type: 'NodePort', selector: SELECTOR, ports: [{ port: 80, nodePort: taken }] });
    expect(clash.status).toBe(422);
    expect(clash.json<StatusBody>().details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: `Invalid value: ${taken}: provided port is already allocated` },
    ]);
    const outside = await createService('dual', { type: 'NodePort', selector: SELECTOR, ports: [{ port: 80, nodePort: 8080 }] });
    expect(outside.json<StatusBody>().details.causes[0]?.message).toBe('Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort; switching to Cluster releases it', async () => {
    const res = await createService('ipv6', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: SELECTOR, ports: PORTS }, 'lb');
    const spec = res.json<{ spec: ServiceSpec }>().spec;
    expect(spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(spec.healthCheckNodePort).not.toBe(spec.ports?.[0]?.nodePort);
    const switched = (await update('ipv6', 'lb', (s) => ((s as Record<string, unknown>).externalTrafficPolicy = 'Cluster'))).json<{ spec: ServiceSpec }>().spec;
    expect(switched.healthCheckNodePort).toBeUndefined();
    expect(switched.ports?.[0]?.nodePort).toBe(spec.ports?.[0]?.nodePort);
  });
});
