#!/usr/bin/env node
// kr-apiserver: runs the Kubernetes API server simulator (test/src/apiserver, built to
// test/dist by `pnpm -s build`) until SIGTERM/SIGINT. A simulator for tests and the
// sandbox, not an API server. Logs are JSON lines on stderr; exit 2 on bad flags.
import { parseArgs } from 'node:util';

const USAGE = `usage: kr-apiserver --service-cidrs CIDR[,CIDR] [--cluster-cidrs CIDR[,CIDR]]
                    [--node-cidr-mask-size-ipv4 N] [--node-cidr-mask-size-ipv6 N]
                    [--service-node-port-range 30000-32767]
                    [--listen HOST:PORT ...] [--listen-unix PATH ...]
                    [--snapshot FILE] [--kubeconfig FILE] [--watch-timeout-seconds N]
  A Kubernetes API server simulator (in memory): core/v1 Namespace, Node, Pod, Service,
  Event; discovery.k8s.io/v1 EndpointSlice; networking.k8s.io/v1 NetworkPolicy;
  coordination.k8s.io/v1 Lease; with ClusterIP/NodePort allocation, an EndpointSlice
  controller, node pod-CIDR allocation and a minimal scheduler.
  --listen defaults to 127.0.0.1:6443. --kubeconfig writes a kubeconfig for kubectl.`;

function log(level, msg, fields = {}) {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, module: 'apiserver-simulator', msg, ...fields })}\n`);
}

function usage(message) {
  process.stderr.write(`kr-apiserver: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(flag, value) {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) usage(`${flag}: ${JSON.stringify(value)} is not a number`);
  return Number(value);
}

function hostPort(value) {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]+)$/.exec(value);
  if (!m) usage(`--listen: ${JSON.stringify(value)} is not HOST:PORT`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

let args;
try {
  args = parseArgs({
    options: {
      'service-cidrs': { type: 'string' },
      'cluster-cidrs': { type: 'string' },
      'node-cidr-mask-size-ipv4': { type: 'string' },
      'node-cidr-mask-size-ipv6': { type: 'string' },
      'service-node-port-range': { type: 'string' },
      listen: { type: 'string', multiple: true },
      'listen-unix': { type: 'string', multiple: true },
      snapshot: { type: 'string' },
      kubeconfig: { type: 'string' },
      'watch-timeout-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (err) {
  usage(err.message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!args['service-cidrs']) usage('--service-cidrs is required');

const split = (value) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);
const listen = [...(args.listen ?? []).map(hostPort), ...(args['listen-unix'] ?? []).map((path) => ({ path }))];
if (listen.length === 0) listen.push({ host: '127.0.0.1', port: 6443 });

const { startApiServerSimulator, writeKubeconfig } = await import('../dist/apiserver/index.js');
const options = {
  serviceCidrs: split(args['service-cidrs']),
  clusterCidrs: split(args['cluster-cidrs']),
  listen,
  log: (msg, fields) => log('info', msg, fields),
};
const maskV4 = integer('--node-cidr-mask-size-ipv4', args['node-cidr-mask-size-ipv4']);
const maskV6 = integer('--node-cidr-mask-size-ipv6', args['node-cidr-mask-size-ipv6']);
const watchTimeout = integer('--watch-timeout-seconds', args['watch-timeout-seconds']);
if (maskV4 !== undefined) options.nodeCidrMaskSizeIPv4 = maskV4;
if (maskV6 !== undefined) options.nodeCidrMaskSizeIPv6 = maskV6;
if (watchTimeout !== undefined) options.watchTimeoutSeconds = watchTimeout;
if (args['service-node-port-range']) options.nodePortRange = args['service-node-port-range'];
if (args.snapshot) options.snapshotFile = args.snapshot;

let simulator;
try {
  simulator = await startApiServerSimulator(options);
} catch (err) {
  if (err?.name === 'ConfigError') usage(err.message);
  log('error', 'start failed', { err: String(err), cause: err?.cause ? String(err.cause) : undefined });
  process.exit(1);
}
if (args.kubeconfig) {
  await writeKubeconfig(args.kubeconfig, simulator.url);
  log('info', 'wrote kubeconfig', { path: args.kubeconfig });
}
// One line on stdout that scripts can wait for and parse.
process.stdout.write(`${JSON.stringify({ ready: true, urls: simulator.urls, sockets: simulator.socketPaths })}\n`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log('info', 'stopping', { signal });
  try {
    await simulator.stop();
    process.exitCode = 0;
  } catch (err) {
    log('error', 'stop failed', { err: String(err) });
    process.exitCode = 1;
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
