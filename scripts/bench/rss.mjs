// Idle RSS of each controller binary: start it against a real nats-server and an
// in-process list/watch API server holding a cluster of the given size, wait until it
// reports healthy, let it idle, then read VmRSS (and VmHWM, the peak) from /proc, with
// how much of it is the Node binary's shared pages (scripts/bench/_memory.mjs).
//
//   pnpm bench rss [--nodes 3] [--pods 30] [--services 10] [--idle 10s] [--json]
// Needs a build (scripts/setup.sh does it).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryOf } from './_memory.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { FakeApiServer } = await import(join(root, 'libs/k8s/dist/testing/index.js'));
const k8s = await import(join(root, 'libs/k8s/dist/index.js'));
const { startNatsServer, freeLoopbackPort } = await import(join(root, 'libs/bus/dist/testing/index.js'));
const { connectController } = await import(join(root, 'libs/admin/dist/index.js'));
const { Bus } = await import(join(root, 'libs/bus/dist/index.js'));
const { createLogger } = await import(join(root, 'libs/observability/dist/index.js'));
const { createNodeNetns, forwardIntoNetns } = await import(join(root, 'services/cni/dist/testing/index.js'));

const CONTROLLERS = ['cni', 'router', 'proxy', 'firewall'];

function arg(args, name, def) {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return def;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
}

function populate(api, { nodes, pods, services }) {
  for (let n = 0; n < nodes; n++) {
    api.upsert(k8s.NODES, {
      metadata: { name: `node-${n}`, labels: { 'kubernetes.io/hostname': `node-${n}` } },
      spec: { podCIDRs: [`10.244.${n}.0/24`, `fd00:10:244:${n.toString(16)}::/64`] },
      status: { addresses: [{ type: 'InternalIP', address: `198.18.${n >> 8}.${(n & 255) + 1}` }, { type: 'InternalIP', address: `fd00:198:18::${(n + 1).toString(16)}` }] },
    });
  }
  api.upsert(k8s.NAMESPACES, { metadata: { name: 'bench' } });
  for (let p = 0; p < pods; p++) {
    const n = p % nodes;
    const i = Math.floor(p / nodes) + 2;
    api.upsert(k8s.PODS, {
      metadata: { name: `pod-${p}`, namespace: 'bench', labels: { app: `app-${p % Math.max(1, services)}` } },
      spec: { nodeName: `node-${n}`, containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 8080 }] }] },
      status: { phase: 'Running', podIPs: [{ ip: `10.244.${n}.${i}` }, { ip: `fd00:10:244:${n.toString(16)}::${i.toString(16)}` }] },
    });
  }
  for (let s = 0; s < services; s++) {
    api.upsert(k8s.SERVICES, {
      metadata: { name: `svc-${s}`, namespace: 'bench' },
      spec: { selector: { app: `app-${s}` }, clusterIP: `10.96.${s >> 8}.${s & 255}`, clusterIPs: [`10.96.${s >> 8}.${s & 255}`], ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    api.upsert(k8s.ENDPOINT_SLICES, {
      metadata: { name: `svc-${s}-v4`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${s}` } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [`10.244.0.${(s % 250) + 2}`], conditions: { ready: true } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
  }
  api.upsert(k8s.NETWORK_POLICIES, { metadata: { name: 'deny', namespace: 'bench' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
}

async function waitHealthy(address, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const conn = connectController(address, { deadlineMs: 1000 });
    try {
      const s = await conn.getStatus();
      if (s.health === 2) return;
      last = s.healthReasons.join('; ');
    } catch (err) {
      last = err.message;
    } finally {
      conn.close();
    }
    if (Date.now() > deadline) throw new Error(`${address} not healthy within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitSectionHealthy(natsUrl, section, timeoutMs) {
  const bus = new Bus({ servers: natsUrl, name: 'kr-bench', log: createLogger({ name: 'bench', level: 'silent' }).child('bus') });
  bus.start();
  try {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      const s = (await bus.readSections([section], 2000).catch(() => ({})))[section];
      if (s?.header?.health === 2) return;
      last = s?.header?.healthReasons?.join('; ');
      if (Date.now() > deadline) throw new Error(`${section} not healthy within ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await bus.stop();
  }
}

export async function main(args) {
  const size = { nodes: Number(arg(args, 'nodes', 3)), pods: Number(arg(args, 'pods', 30)), services: Number(arg(args, 'services', 10)) };
  const idleMs = (await import(join(root, 'libs/agent/dist/index.js'))).parseDuration(arg(args, 'idle', '10s'));
  const nodeFlags = (arg(args, 'node-flags', '') || '').split(' ').filter(Boolean);
  const api = await FakeApiServer.start({ resources: [k8s.NODES, k8s.PODS, k8s.SERVICES, k8s.ENDPOINT_SLICES, k8s.NAMESPACES, k8s.NETWORK_POLICIES] });
  populate(api, size);
  const nats = await startNatsServer();
  const children = [];
  const results = [];
  const cleanups = [];
  try {
    // kr-cni and kr-router program the namespace they run in (bridge, sysctls, CNI
    // config; BGP, routes, egress), so they run in a throwaway node namespace holding
    // node-0's addresses, reaching the API and the bus through relays; their health is
    // read from their sections on the bus.
    const netns = await createNodeNetns({ addresses: ['198.18.0.1/24', 'fd00:198:18::1/64'] });
    cleanups.push(() => netns.delete());
    const dir = mkdtempSync(join(tmpdir(), 'kr-bench-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [apiPort, natsPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const fwd = await forwardIntoNetns(netns.name, dir, [{ port: apiPort, target: Number(new URL(api.url).port) }, { port: natsPort, target: nats.port }]);
    cleanups.push(() => fwd.close());
    // gobgpd for the router, inside the node namespace like the DaemonSet's sidecar.
    const gobgpd = spawn('ip', ['netns', 'exec', netns.name, 'gobgpd', '--api-hosts=127.0.0.1:50051', '--log-plain', '--pprof-disable', '--log-level=warn'], { stdio: 'ignore' });
    children.push(gobgpd);
    for (const c of ['cni', 'router']) {
      const extra = c === 'cni' ? [`--cni-conf-file=${join(dir, '10-kuberouter.conflist')}`] : ['--overlay-encap=vxlan'];
      const child = spawn('ip', ['netns', 'exec', netns.name, process.execPath, ...nodeFlags, join(root, `services/${c}/bin/kr-${c}.js`),
        `--master=http://127.0.0.1:${apiPort}`, '--hostname-override=node-0', `--nats-url=nats://127.0.0.1:${natsPort}`,
        '--health-port=0', '--enable-ipv6=true', '--log-level=warn', ...extra],
      { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      await waitSectionHealthy(nats.url, c, 30_000);
      const pid = Number(execFileSync('pgrep', ['-f', '-n', `kr-${c}.js --master=http://127.0.0.1:${apiPort}`], { encoding: 'utf8' }).trim());
      results.push({ controller: c, pid, admin: '(in node netns)' });
    }
    for (const c of CONTROLLERS.filter((x) => x !== 'cni' && x !== 'router')) {
      const admin = `127.0.0.1:${await freeLoopbackPort()}`;
      const child = spawn(process.execPath, [...nodeFlags, join(root, `services/${c}/bin/kr-${c}.js`),
        `--master=${api.url}`, '--hostname-override=node-0', `--nats-url=${nats.url}`, `--admin-address=${admin}`,
        '--health-port=0', `--metrics-port=${await freeLoopbackPort()}`, '--metrics-addr=127.0.0.1', '--enable-ipv6=true', '--log-level=warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      await waitHealthy(admin, 30_000);
      results.push({ controller: c, pid: child.pid, admin });
    }
    await new Promise((r) => setTimeout(r, idleMs));
    for (const r of results) Object.assign(r, memoryOf(r.pid));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await nats.dispose();
    await api.stop();
  }
  // The budget is 85 MB (decimal), 81.06 MiB.
  const budget = +(85e6 / 1048576).toFixed(2);
  if (args.includes('--json')) {
    console.log(JSON.stringify({ node: process.version, nodeFlags, size, idleMs, budgetMiB: budget, results }, null, 2));
  } else {
    console.log(`idle RSS after ${idleMs / 1000}s${nodeFlags.length ? ` (node ${nodeFlags.join(' ')})` : ''}, cluster of ${size.nodes} nodes / ${size.pods} pods / ${size.services} services, ${process.version}`);
    console.log('controller  RSS MiB  peak MiB  budget  (shared binary  malloc  other anon)');
    for (const r of results) {
      console.log(`${r.controller.padEnd(10)}  ${String(r.rssMiB).padStart(7)}  ${String(r.peakMiB).padStart(8)}  ${(r.rssMiB <= budget ? 'ok' : 'OVER').padEnd(6)}  (${String(r.binaryMiB).padStart(13)}  ${String(r.mallocMiB).padStart(6)}  ${String(r.anonMiB).padStart(10)})`);
    }
  }
  return results.every((r) => r.rssMiB <= budget) ? 0 : 1;
}
