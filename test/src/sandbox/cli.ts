// kr-sandbox: the command line of the sandbox cluster (see USAGE in args.ts). `main`
// returns the exit code: 0 ok, 1 a failure (a probe that could not connect, a wait that
// timed out, a step that failed), 2 usage.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError, KrError, errorMessage } from '@kr/errors';
import { KINDS, SimulatorClient, resourcePath } from './api.js';
import { USAGE, parseSandboxArgs, type ExecArgs, type LabelArgs, type LogsArgs, type ManifestArgs } from './args.js';
import { down } from './down.js';
import { applyManifests, deleteManifests, formatResults, parseManifests, type ManifestObject } from './manifests.js';
import { containerLogPath, sandboxNodePaths, type SandboxClusterConfig } from './node/index.js';
import { describeOwner, foreignLockOwner } from './lock.js';
import { formatMatrix, formatProbe, matrix, probe } from './probe-command.js';
import { removeNode } from './remove-node.js';
import { readClusterConfig, sandboxPaths, type SandboxPaths } from './state.js';
import { collectStatus, formatStatus } from './status.js';
import { findHost } from './targets.js';
import { up } from './up.js';
import { waitForSandbox } from './wait.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Reads all of stdin (for `-f -`). */
  readonly stdin: () => Promise<string>;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function loadManifests(args: ManifestArgs, io: CliIo): Promise<ManifestObject[]> {
  const objects: ManifestObject[] = [];
  for (const file of args.files) {
    let text: string;
    try {
      text = file === '-' ? await io.stdin() : await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError('-f', `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    }
    objects.push(...parseManifests(text, file === '-' ? 'stdin' : file));
  }
  return objects;
}

async function label(api: SimulatorClient, args: LabelArgs): Promise<string> {
  const info = args.kind === 'pod' ? KINDS.Pod! : args.kind === 'node' ? KINDS.Node! : KINDS.Namespace!;
  await api.mergePatch(resourcePath(info, args.namespace, args.name), { metadata: { labels: args.changes } });
  return `${args.kind}/${args.namespace ? `${args.namespace}/` : ''}${args.name}`;
}

function hostNetns(cluster: SandboxClusterConfig, name: string): string {
  const host = cluster.nodes.find((n) => n.name === name) ?? cluster.externals.find((e) => e.name === name);
  if (!host) {
    const known = [...cluster.nodes, ...cluster.externals].map((h) => h.name).join(', ');
    throw new ConfigError('exec', `${JSON.stringify(name)} is not a node or external host of the sandbox (${known})`);
  }
  return host.netns;
}

async function exec(cluster: SandboxClusterConfig, args: ExecArgs, io: CliIo): Promise<number> {
  const argv = ['netns', 'exec', hostNetns(cluster, args.host), ...args.argv];
  const child = spawn('ip', argv, { stdio: args.json ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve(127);
    });
    child.once('close', (c, sig) => resolve(c ?? (sig ? 128 + 15 : 1)));
  });
  if (args.json) io.out(json({ host: args.host, command: args.argv, exitCode: code, stdout, stderr }));
  return code;
}

async function logs(paths: SandboxPaths, cluster: SandboxClusterConfig, args: LogsArgs, io: CliIo): Promise<void> {
  findHost(cluster, 'node', args.node);
  const nodePaths = sandboxNodePaths(paths.stateDir, args.node);
  const file = args.container === 'agent' ? nodePaths.agentLog : containerLogPath(nodePaths, args.container);
  if (!existsSync(file)) throw new ConfigError('logs', `${file} does not exist (containers: nats, gobgp, ${cluster.controllers.join(', ')}; or agent)`);
  const text = await readFile(file, 'utf8');
  io.out(args.json ? json({ node: args.node, container: args.container, path: file, log: text }) : text);
}

/** up and down leave a sandbox that an end-to-end test holds (lock.ts) to the test. */
function refuseIfLocked(command: string): void {
  const owner = foreignLockOwner();
  if (owner) throw new KrError(`the sandbox is in use by ${describeOwner(owner)}: \`${command}\` refused; run it again once that is done`);
}

async function run(argv: readonly string[], io: CliIo, paths: SandboxPaths): Promise<number> {
  const args = parseSandboxArgs(argv);
  if (args.command === 'up' || args.command === 'down') refuseIfLocked(args.command);
  const progress = (line: string) => {
    if (!args.json) io.err(`${line}\n`);
  };
  switch (args.command) {
    case 'help':
      io.out(USAGE);
      return 0;
    case 'up': {
      const result = await up(args, paths, progress);
      if (args.json) {
        io.out(json({ ok: true, ms: result.ms, cluster: result.cluster }));
      } else {
        const api = new SimulatorClient(result.cluster.api.url);
        io.out(formatStatus(await collectStatus(api, result.cluster, paths.kr)));
        io.out(`\nup in ${(result.ms / 1000).toFixed(1)} s. Next: pnpm -s sandbox apply -f FILE; pnpm -s sandbox wait; pnpm -s sandbox status; pnpm -s sandbox down\n`);
      }
      return 0;
    }
    case 'down': {
      const result = await down(paths, progress);
      io.out(args.json ? json(result) : result.namespaces.length || result.processes || result.stateDir ? `sandbox down: stopped ${result.processes} process(es), deleted ${result.namespaces.length} namespace(s)\n` : 'no sandbox was up\n');
      return 0;
    }
    case 'kubeconfig': {
      const cluster = await readClusterConfig(paths);
      const path = cluster.api.kubeconfig ?? paths.kubeconfig;
      io.out(args.json ? json({ path }) : `${path}\n`);
      return 0;
    }
    case 'logs':
      await logs(paths, await readClusterConfig(paths), args, io);
      return 0;
    case 'exec':
      return exec(await readClusterConfig(paths), args, io);
    default:
      break;
  }
  const cluster = await readClusterConfig(paths);
  const api = new SimulatorClient(cluster.api.url);
  switch (args.command) {
    case 'apply':
    case 'delete': {
      const objects = await loadManifests(args, io);
      const results = args.command === 'apply' ? await applyManifests(api, objects) : await deleteManifests(api, objects, args.waitMs);
      io.out(args.json ? json({ results }) : formatResults(results));
      return results.some((r) => r.outcome === 'failed') ? 1 : 0;
    }
    case 'label': {
      const object = await label(api, args);
      io.out(args.json ? json({ object, labels: args.changes }) : `${object} labeled\n`);
      return 0;
    }
    case 'wait': {
      const report = await waitForSandbox(api, cluster, paths.kr, args.timeoutMs);
      if (args.json) io.out(json(report));
      else if (report.ok) io.out(`ready: ${report.pods} pod(s) Running, ${cluster.controllers.join(',') || 'no controllers'} synced on ${cluster.nodes.length} node(s)${cluster.controllers.includes('router') && cluster.nodes.length > 1 ? ', BGP sessions between them up' : ''} at resourceVersion ${report.resourceVersion} (${(report.ms / 1000).toFixed(1)} s)\n`);
      else io.err(`not ready after ${(args.timeoutMs / 1000).toFixed(0)} s, waiting for:\n${report.waitingFor.map((w) => `  ${w}\n`).join('')}`);
      return report.ok ? 0 : 1;
    }
    case 'probe': {
      const outcome = await probe(api, cluster, paths.probeClient, args);
      if (args.json) io.out(json(outcome));
      else if (outcome.ok) io.out(formatProbe(outcome));
      else io.err(formatProbe(outcome));
      return outcome.ok ? 0 : 1;
    }
    case 'matrix': {
      const table = await matrix(api, cluster, paths.probeClient, args);
      io.out(args.json ? json(table) : formatMatrix(table));
      return 0;
    }
    case 'remove-node': {
      const result = await removeNode(api, paths, cluster, args.node, progress);
      io.out(args.json ? json(result) : `node/${result.node} removed (with ${result.pods.length} pod(s))\n`);
      return 0;
    }
    case 'status':
      {
        const status = await collectStatus(api, cluster, paths.kr);
        io.out(args.json ? json(status) : formatStatus(status));
      }
      return 0;
  }
}

/** Runs one command; never throws. With --json, a failure is also one JSON object on stdout. */
export async function main(argv: readonly string[], io: CliIo = defaultIo, paths: SandboxPaths = sandboxPaths()): Promise<number> {
  try {
    return await run(argv, io, paths);
  } catch (err) {
    const usage = err instanceof ConfigError;
    const exitCode = usage ? 2 : 1;
    io.err(`kr-sandbox: ${errorMessage(err)}\n${usage ? '(run `pnpm -s sandbox help` for usage)\n' : ''}`);
    if (argv.includes('--json')) io.out(json({ ok: false, exitCode, error: errorMessage(err) }));
    return exitCode;
  }
}
