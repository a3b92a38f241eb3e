#!/usr/bin/env node
// Runs one node's constellation on this machine against the cluster of a kubeconfig:
// the containers of deploy/kube-router-ts.yaml (nats, gobgp and the four controllers)
// become processes with the same commands and flags, plus --kubeconfig and
// --hostname-override. Logs go to .sandbox/local/<container>.log. Ctrl-C stops them all.
//
//   node scripts/local-node.mjs --kubeconfig PATH [--node NAME] [--without router,...]
//
// The controllers' dataplane logic (later issues) changes the kernel of the namespace they
// run in: this launcher is meant for a disposable machine or VM that is the node.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
};
const kubeconfig = opt('kubeconfig') ?? process.env.KUBECONFIG;
if (!kubeconfig || !existsSync(kubeconfig)) {
  console.error('usage: scripts/run.sh --kubeconfig PATH [--node NAME] [--without router,proxy,...]\n' +
    '(the kubeconfig of the cluster this machine is a node of; the local sandbox cluster that needs none is the next piece of work)');
  process.exit(2);
}
const node = opt('node') ?? process.env.NODE_NAME ?? hostname();
const without = new Set((opt('without') ?? '').split(',').filter(Boolean));

const ds = parseAllDocuments(readFileSync(join(root, 'deploy/kube-router-ts.yaml'), 'utf8'))
  .map((d) => d.toJS())
  .find((d) => d?.kind === 'DaemonSet');
const containers = ds.spec.template.spec.containers.filter((c) => !without.has(c.name));

const BIN = {
  'kr-cni': join(root, 'services/cni/bin/kr-cni.js'),
  'kr-router': join(root, 'services/router/bin/kr-router.js'),
  'kr-proxy': join(root, 'services/proxy/bin/kr-proxy.js'),
  'kr-firewall': join(root, 'services/firewall/bin/kr-firewall.js'),
};
const logDir = join(root, '.sandbox/local');
mkdirSync(logDir, { recursive: true });
const natsDir = join(logDir, 'nats');
rmSync(natsDir, { recursive: true, force: true });

const children = [];
for (const c of containers) {
  let [cmd, ...rest] = [...c.command, ...(c.args ?? [])];
  rest = rest.map((a) => (a === '/var/run/kube-router/nats' ? natsDir : a));
  if (BIN[cmd]) {
    rest = [BIN[cmd], ...rest, `--kubeconfig=${kubeconfig}`, `--hostname-override=${node}`];
    cmd = process.execPath;
  }
  const log = createWriteStream(join(logDir, `${c.name}.log`));
  const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NAME: node } });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${c.name} exited (${code ?? signal}); see ${join(logDir, `${c.name}.log`)}`);
  });
  children.push({ name: c.name, child });
}
console.log(`started ${children.map((c) => c.name).join(', ')} for node ${node}; logs in ${logDir}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping');
  for (const { child } of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 5000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const kr = join(root, 'services/ctl/bin/kr.js');
for (let i = 0; i < 30 && !stopping; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  const r = spawnSync(process.execPath, [kr, 'status'], { encoding: 'utf8' });
  if (r.status === 0 || i === 29) {
    process.stdout.write(r.stdout);
    console.log(`\nrunning; 'pnpm -s exec kr status' shows the node, Ctrl-C stops everything`);
    break;
  }
}
