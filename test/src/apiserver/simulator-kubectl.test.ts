// The machine's real kubectl against the simulator: discovery, server-side printing
// (`get nodes,pods,svc -A`), client-side `apply -f` (create, re-apply a change through a
// strategic merge patch, `delete -f` with its wait), server-side apply, and the 422
// message kubectl prints for an invalid object.
//
// Test IP plan (nothing is configured on any interface):
//   services 10.96.0.0/16 + fd00:96::/108, pods 10.244.0.0/16 + fd00:244::/56 (node /24, /64)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE, POD, SERVICE, writeKubeconfig } from './index.js';
import { startTestSimulator, type TestSimulator } from './testing/helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let env: TestSimulator;
let kubeconfig: string;

function kubectl(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      // HOME and the cache dir in the temp dir: nothing of the user's ~/.kube is read or written.
      { env: { PATH: process.env.PATH ?? '/usr/bin', HOME: env.dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(env.dir, 'cache') }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function manifest(name: string, text: string): Promise<string> {
  const path = join(env.dir, name);
  await writeFile(path, text);
  return path;
}

const DEMO = (image: string, port: number, extraLabel = '') => `apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: demo
  labels:
    app: web${extraLabel}
spec:
  containers:
  - name: web
    image: ${image}
    ports:
    - name: http
      containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  ipFamilyPolicy: PreferDualStack
  selector:
    app: web
  ports:
  - name: http
    port: ${port}
    targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: demo
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - ports:
    - port: 8080
`;

describe.skipIf(!haveKubectl)(`kubectl (${haveKubectl ? KUBECTL : 'skipped: /usr/bin/kubectl is not installed'})`, () => {
  beforeAll(async () => {
    env = await startTestSimulator({ serviceCidrs: ['10.96.0.0/16', 'fd00:96::/108'], clusterCidrs: ['10.244.0.0/16', 'fd00:244::/56'] });
    kubeconfig = await writeKubeconfig(join(env.dir, 'kubeconfig'), env.sim.url);
    env.sim.registry.create(NODE, undefined, { metadata: { name: 'node-1' } });
  });

  afterAll(async () => {
    await env?.dispose();
  });

  it('get nodes,pods,svc -A prints server-side tables', async () => {
    env.sim.registry.create(POD, 'default', { metadata: { name: 'probe' }, spec: { containers: [{ name: 'c', image: 'agnhost:2.45' }] } });
    await env.sim.settle();
    const run = await kubectl('get', 'nodes,pods,svc', '-A', '-o', 'wide');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP/m);
    expect(run.stdout).toMatch(/node\/node-1\s+Unknown\s+<none>\s+\S+\s+<none>\s+<none>\s+10\.244\.0\.0\/24,fd00:244::\/64/);
    expect(run.stdout).toMatch(/default\s+pod\/probe\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+node-1/);
    expect(run.stdout).toMatch(/default\s+service\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
  });

  it('apply -f creates, re-applies a change, and delete -f removes', async () => {
    const file = await manifest('demo.yaml', DEMO('agnhost:2.45', 80));
    const created = await kubectl('apply', '-f', file);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim().split('\n')).toEqual([
      'namespace/demo created',
      'pod/web-1 created',
      'service/web created',
      'networkpolicy.networking.k8s.io/allow-web created',
    ]);
    const svc = env.sim.registry.get(SERVICE, 'demo', 'web');
    expect((svc.spec as { ipFamilies: string[] }).ipFamilies).toEqual(['IPv4', 'IPv6']);

    await writeFile(file, DEMO('agnhost:2.46', 8080, '\n    tier: front'));
    const changed = await kubectl('apply', '-f', file);
    expect(changed.stderr).toBe('');
    expect(changed.stdout).toContain('pod/web-1 configured');
    expect(changed.stdout).toContain('service/web configured');
    const pod = env.sim.registry.get(POD, 'demo', 'web-1') as { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
    expect(pod.spec.containers[0]?.image).toBe('agnhost:2.46');
    expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    const ports = (env.sim.registry.get(SERVICE, 'demo', 'web').spec as { ports: Array<{ port: number }>; clusterIPs: string[] });
    expect(ports.ports.map((p) => p.port)).toEqual([8080]);
    expect(ports.clusterIPs).toEqual((svc.spec as { clusterIPs: string[] }).clusterIPs);

    const again = await kubectl('get', 'endpointslices', '-n', 'demo', '-l', 'kubernetes.io/service-name=web', '-o', 'name');
    expect(again.stdout.trim().split('\n')).toHaveLength(2);

    // The pod is bound to node-1: deleting it waits for the kubelet, played here.
    const deleting = kubectl('delete', '-f', file, '--timeout=20s');
    await (async () => {
      for (let i = 0; i < 200; i++) {
        const p = env.sim.store.peek(POD, 'demo', 'web-1');
        if (!p) return;
        if (p.metadata.deletionTimestamp) {
          env.sim.registry.delete(POD, 'demo', 'web-1', { gracePeriodSeconds: 0 });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const deleted = await deleting;
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('namespace "demo" deleted');
    expect(deleted.stdout).toContain('service "web" deleted');
    const gone = await kubectl('get', 'ns', 'demo');
    expect(gone.stderr).toContain('Error from server (NotFound): namespaces "demo" not found');
  });

  it('apply --server-side creates, then removes what the manager stopped applying', async () => {
    const first = await manifest('ssa.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\n  labels:\n    a: "1"\n    b: "2"\nspec:\n  selector:\n    app: ssa\n  ports:\n  - port: 53\n    protocol: UDP\n');
    expect((await kubectl('apply', '--server-side', '-f', first)).stdout).toContain('service/ssa serverside-applied');
    await writeFile(first, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\n  labels:\n    a: "1"\nspec:\n  selector:\n    app: ssa\n  ports:\n  - port: 53\n    protocol: UDP\n');
    expect((await kubectl('apply', '--server-side', '-f', first)).code).toBe(0);
    expect(env.sim.registry.get(SERVICE, 'default', 'ssa').metadata.labels).toEqual({ a: '1' });
  });

  it('an invalid object is refused with the 422 message kubectl prints', async () => {
    const bad = await manifest('bad.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n    targetPort: 8080\n');
    const run = await kubectl('apply', '-f', bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The Service "bad" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n');
  });
});
