// Route propagation latency: the time from a new node (with pod CIDRs) appearing in the
// API to its pod-CIDR routes being installed on every other node, measured in the
// sandbox with real gobgpd and kernel routes.
//
//   pnpm bench router [--nodes 10] [--samples 10] [--stack dual] [--idle 30] [--json]
//
// The sandbox is brought up with N+1 nodes running only the router (plus nats and
// gobgp). The last node plays the newcomer: for each sample it is stopped and its Node
// object deleted (the others withdraw its routes), then — t0 — its Node object is created
// again and its node agent started, as a node joining the cluster does. `ip monitor route`
// in every other node's namespace timestamps the moment each of the newcomer's pod-CIDR
// routes (protocol 17) is added. Needs a build and a free sandbox (nothing else up); it
// takes the sandbox tests' lock, so it waits for sandbox tests and they wait for it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryOf } from './_memory.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sandbox = join(root, 'test/bin/kr-sandbox.mjs');

function arg(args, name, def) {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return def;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
}

function sb(args, { quiet = true } = {}) {
  const r = spawnSync(process.execPath, [sandbox, ...args], { encoding: 'utf8', stdio: quiet ? 'pipe' : 'inherit', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kr-sandbox ${args.join(' ')} failed (${r.status}): ${r.stderr ?? ''}${r.stdout ?? ''}`);
  return r.stdout;
}

const ROUTER_METRICS_PORT = 8080; // kr-router's --metrics-port in deploy/kube-router-ts.yaml

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function api(cluster, method, path, body) {
  const res = await fetch(`${cluster.api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 404 ? undefined : res.json();
}

/** Watches one node's routing table; resolves adds of the given prefixes with their time. */
function monitor(netns) {
  const child = spawn('ip', ['-n', netns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const seen = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    const now = performance.now();
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) if (!line.startsWith('Deleted') && / proto 17\b/.test(line)) seen.push({ at: now, line });
  });
  return { seen, stop: () => child.kill() };
}

function killGroup(pid, signal = 'SIGTERM') {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Each router's RSS (from /proc) and, from its /metrics, the V8 heap in use. */
function memoryOfRouters(cluster) {
  const rss = [];
  const heap = [];
  const byNode = {};
  for (const n of cluster.nodes) {
    const pids = spawnSync('ip', ['netns', 'pids', n.netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      let cmd;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmd.includes('kr-router.js')) continue;
      const mem = memoryOf(pid);
      if (!mem) continue;
      rss.push(mem.rssMiB);
      byNode[n.name] = mem;
    }
    const metrics = spawnSync('ip', ['netns', 'exec', n.netns, 'curl', '-sf', '--max-time', '5', `http://127.0.0.1:${ROUTER_METRICS_PORT}/metrics`], { encoding: 'utf8' }).stdout ?? '';
    const used = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(metrics);
    if (used) heap.push(Number(used[1]) / 1048576);
    const total = /^nodejs_heap_size_total_bytes(?:\{[^}]*\})? (\S+)$/m.exec(metrics);
    if (used && byNode[n.name]) Object.assign(byNode[n.name], { heapUsedMiB: +(Number(used[1]) / 1048576).toFixed(1), heapTotalMiB: +(Number(total?.[1]) / 1048576).toFixed(1) });
  }
  const sort = (a) => a.sort((x, y) => x - y);
  return { rss: sort(rss), heap: sort(heap), byNode };
}

const stats = (sorted) => ({ min: +(sorted[0] ?? NaN).toFixed(1), median: +quantile(sorted, 0.5).toFixed(1), max: +(sorted[sorted.length - 1] ?? NaN).toFixed(1) });

export async function main(args) {
  const nodes = Number(arg(args, 'nodes', 10));
  const samples = Number(arg(args, 'samples', 10));
  const stack = arg(args, 'stack', 'dual');
  const idleSeconds = Number(arg(args, 'idle', 30));
  // The sandbox tests' machine-wide lock: one sandbox at a time, and no test tears ours down.
  const { acquireSandboxLock } = await import(join(root, 'test/dist/sandbox/lock.js'));
  const lock = await acquireSandboxLock({ holder: 'pnpm bench router', onWait: (by) => console.error(`bench router: waiting for the sandbox lock held by ${by}`) });
  try {
    return await measure(args, { nodes, samples, stack, idleSeconds });
  } finally {
    lock.release();
  }
}

async function measure(args, { nodes, samples, stack, idleSeconds }) {
  if (existsSync(join(root, '.sandbox/cluster.json'))) {
    console.error('bench router: a sandbox is up; bring it down first (pnpm -s sandbox down)');
    return 2;
  }
  const t = performance.now();
  sb(['up', '--nodes', String(nodes + 1), '--stack', stack, '--controllers', 'router']);
  const upSeconds = (performance.now() - t) / 1000;
  const results = [];
  let churn;
  let idle;
  try {
    sb(['wait', '--timeout', `${Math.max(60, nodes * 6)}s`]);
    const cluster = JSON.parse(readFileSync(join(root, '.sandbox/cluster.json'), 'utf8'));
    const newcomer = cluster.nodes[cluster.nodes.length - 1];
    const others = cluster.nodes.slice(0, -1);
    const agentPid = () => JSON.parse(readFileSync(join(root, `.sandbox/nodes/${newcomer.name}/agent.json`), 'utf8')).pid;
    const monitors = others.map((n) => ({ node: n.name, ...monitor(n.netns) }));
    try {
      for (let s = 0; s < samples; s++) {
        // The newcomer leaves: agent stopped, Node deleted, its routes withdrawn everywhere.
        // Everything running in the newcomer's namespace (the agent and its containers).
        const nsPids = () => spawnSync('ip', ['netns', 'pids', newcomer.netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
        killGroup(agentPid());
        for (let i = 0; i < 150 && nsPids().length > 0; i++) await sleep(100);
        for (const pid of nsPids()) killGroup(pid, 'SIGKILL');
        for (const pid of nsPids()) process.kill(pid, 'SIGKILL');
        await api(cluster, 'DELETE', `/api/v1/nodes/${newcomer.name}`);
        for (let i = 0; i < 300; i++) {
          const left = others.filter((n) => spawnSync('ip', ['-n', n.netns, 'route', 'show', 'proto', '17'], { encoding: 'utf8' }).stdout.includes(`via ${newcomer.addresses.ipv4 ?? '#'}`)
            || spawnSync('ip', ['-n', n.netns, '-6', 'route', 'show', 'proto', '17'], { encoding: 'utf8' }).stdout.includes(`via ${newcomer.addresses.ipv6 ?? '#'}`));
          if (left.length === 0) break;
          await sleep(200);
        }
        await sleep(500);
        for (const m of monitors) m.seen.length = 0;

        // t0: the Node appears in the API (the simulator allocates its pod CIDRs), and its
        // node agent starts the newcomer's router, as a joining node's kubelet would.
        const t0 = performance.now();
        const created = await api(cluster, 'POST', '/api/v1/nodes', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: newcomer.name, labels: { 'kubernetes.io/hostname': newcomer.name } },
          status: { addresses: [...cluster.families.flatMap((f) => (newcomer.addresses[f] ? [{ type: 'InternalIP', address: newcomer.addresses[f] }] : []))] },
        });
        let podCidrs = created.spec?.podCIDRs ?? [];
        // The simulator's node IPAM fills spec.podCIDRs right after the create.
        for (let i = 0; i < 100 && podCidrs.length === 0; i++) {
          await sleep(10);
          podCidrs = (await api(cluster, 'GET', `/api/v1/nodes/${newcomer.name}`))?.spec?.podCIDRs ?? [];
        }
        if (podCidrs.length === 0) throw new Error(`sample ${s}: ${newcomer.name} got no pod CIDRs`);
        const logFd = openSync(join(root, `.sandbox/nodes/${newcomer.name}/agent.log`), 'a');
        const child = spawn('ip', ['netns', 'exec', newcomer.netns, process.execPath, join(root, 'test/dist/sandbox/node/main.js'), '--config', join(root, '.sandbox/cluster.json'), '--node', newcomer.name], { detached: true, stdio: ['ignore', logFd, logFd] });
        closeSync(logFd);
        child.unref();

        const perNode = [];
        const deadline = t0 + 120_000;
        for (const m of monitors) {
          for (;;) {
            const hits = podCidrs.map((c) => m.seen.find((e) => e.line.startsWith(`${c} `) || e.line.includes(` ${c} `)));
            if (hits.every(Boolean)) {
              perNode.push(Math.max(...hits.map((h) => h.at)) - t0);
              break;
            }
            if (performance.now() > deadline) throw new Error(`sample ${s}: ${m.node} did not install ${podCidrs.join(', ')} within 120 s`);
            await sleep(20);
          }
        }
        const all = Math.max(...perNode);
        results.push({ sample: s, allNodesMs: Math.round(all), perNodeMs: perNode.map(Math.round) });
        if (!args.includes('--json')) console.error(`sample ${s + 1}/${samples}: routes on all ${others.length} nodes after ${(all / 1000).toFixed(2)} s`);
      }
      // Right after the last sample (peers just added and removed), then once the routers
      // have been idle for a while: the second is the figure for the RSS budget.
      churn = memoryOfRouters(cluster);
      if (!args.includes('--json')) console.error(`idle ${idleSeconds} s before the idle memory reading`);
      await sleep(idleSeconds * 1000);
      idle = memoryOfRouters(cluster);
    } finally {
      for (const m of monitors) m.stop();
    }
  } finally {
    sb(['down']);
  }
  const all = results.map((r) => r.allNodesMs).sort((a, b) => a - b);
  const per = results.flatMap((r) => r.perNodeMs).sort((a, b) => a - b);
  const summary = {
    nodes: nodes + 1,
    stack,
    samples,
    upSeconds: +upSeconds.toFixed(1),
    allNodes: { medianMs: quantile(all, 0.5), p99Ms: quantile(all, 0.99) },
    perNode: { medianMs: quantile(per, 0.5), p99Ms: quantile(per, 0.99) },
    idleSeconds,
    routerRssMiB: { afterChurn: stats(churn?.rss ?? []), idle: stats(idle?.rss ?? []) },
    routerHeapUsedMiB: { afterChurn: stats(churn?.heap ?? []), idle: stats(idle?.heap ?? []) },
    // Of the idle RSS, the executable's and libraries' pages: shared with every other
    // process running the same Node binary.
    routerSharedBinaryMiB: stats(Object.values(idle?.byNode ?? {}).map((m) => m.binaryMiB).sort((a, b) => a - b)),
    node: process.version,
  };
  if (args.includes('--json')) console.log(JSON.stringify({ ...summary, results, memoryByNode: { afterChurn: churn?.byNode, idle: idle?.byNode } }, null, 2));
  else {
    console.log(`route propagation, ${summary.nodes} sandbox nodes (${stack}), ${samples} samples:`);
    console.log(`  new node in the API → its pod-CIDR routes on every other node: median ${(summary.allNodes.medianMs / 1000).toFixed(2)} s, p99 ${(summary.allNodes.p99Ms / 1000).toFixed(2)} s`);
    console.log(`  per node: median ${(summary.perNode.medianMs / 1000).toFixed(2)} s, p99 ${(summary.perNode.p99Ms / 1000).toFixed(2)} s`);
    const line = (m) => `median ${m.median} MiB (min ${m.min}, max ${m.max})`;
    console.log(`  kr-router RSS after the last sample: ${line(summary.routerRssMiB.afterChurn)}; V8 heap used ${line(summary.routerHeapUsedMiB.afterChurn)}`);
    console.log(`  kr-router RSS after ${idleSeconds} s idle: ${line(summary.routerRssMiB.idle)}; V8 heap used ${line(summary.routerHeapUsedMiB.idle)}`);
    console.log(`  of which the Node binary's and libraries' shared pages: ${line(summary.routerSharedBinaryMiB)}`);
  }
  return 0;
}
