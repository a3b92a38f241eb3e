// `kr`: the operator CLI. Talks to the node's controllers over their admin gRPC APIs and
// reads the node state from the bus. Exit codes: 0 ok, 1 a controller is unhealthy or a
// call failed, 2 usage.
import { connectController } from '@kr/admin';
import { CONTROLLERS, VERSION, formatHelp, parseFlags, type FlagSpec } from '@kr/agent';
import { Bus, type SectionName } from '@kr/bus';
import { ConfigError, errorMessage } from '@kr/errors';
import { createLogger } from '@kr/observability';
import { COMMON, adminAddresses, type Out } from './common.js';
import { advertisements, peers, routes } from './router-commands.js';
import { collectStatus, formatStatusTable, statusJson } from './status.js';

const USAGE = `kr: the kube-router-ts operator CLI

Usage:
  kr status [flags]                          the node's state (bus) and each controller's health (gRPC)
  kr resync CONTROLLER [--partial] [flags]   ask a controller for a sync now (full unless --partial)
  kr log-level CONTROLLER LEVEL [--module M] change a controller's log level
  kr peers [--family F] [--node N]           the router's BGP peers and sessions, nodes not peered and why
  kr routes [--family F] [--node N]          routes the router installed, its tunnels, paths not installed and why
  kr advertisements [--family F] [--kind K] [--service NS/NAME]
                                             prefixes this node advertises, VIPs withheld and why
  kr version

Run 'kr COMMAND --help' for a command's flags.
`;

function controllerArg(arg: string | undefined): SectionName {
  if (!arg || !(CONTROLLERS as readonly string[]).includes(arg)) {
    throw new ConfigError('CONTROLLER', `${JSON.stringify(arg ?? '')} is not one of ${CONTROLLERS.join(', ')}`);
  }
  return arg as SectionName;
}

export async function runCli(argv: readonly string[], io: Out): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      case 'version':
      case '--version':
      case '-V':
        io.out(`kr ${VERSION} (node ${process.version})\n`);
        return 0;
      case 'status':
        return await status(rest, io);
      case 'resync':
        return await resync(rest, io);
      case 'log-level':
        return await logLevel(rest, io);
      case 'peers':
        return await peers(rest, io);
      case 'routes':
        return await routes(rest, io);
      case 'advertisements':
        return await advertisements(rest, io);
      default:
        io.err(`kr: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`kr: ${err.message}\n`);
      return 2;
    }
    io.err(`kr: ${errorMessage(err)}\n`);
    return 1;
  }
}

function positional(args: readonly string[]): { positional: string[]; flags: string[] } {
  const p: string[] = [];
  const f: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      f.push(a);
      // A value given as a separate word belongs to the flag before it.
      if (!a.includes('=') && i + 1 < args.length && !args[i + 1]!.startsWith('-') && !['--json', '--partial'].includes(a)) {
        f.push(args[++i]!);
      }
    } else p.push(a);
  }
  return { positional: p, flags: f };
}

async function status(args: readonly string[], io: Out): Promise<number> {
  const parsed = parseFlags(COMMON, args);
  if (parsed.kind !== 'run') {
    io.out(formatHelp('kr status [flags]', 'The node state from the bus, and each controller\'s health over its admin API.', COMMON));
    return 0;
  }
  const v = parsed.values;
  const log = createLogger({ name: 'kr', level: 'silent' });
  const bus = new Bus({ servers: v['nats-url'], name: 'kr', log: log.child('bus') });
  bus.start();
  try {
    const report = await collectStatus(bus, v['nats-url'], adminAddresses(v), v.timeout);
    io.out(v.json ? `${JSON.stringify(statusJson(report), null, 2)}\n` : formatStatusTable(report));
    const unhealthy = report.controllers.some((r) => r.reachable && r.status && r.status.health !== 2);
    const nothing = report.controllers.every((r) => !r.reachable) && !report.bus.connected;
    return unhealthy || nothing ? 1 : 0;
  } finally {
    await bus.stop();
  }
}

const RESYNC_FLAGS = [...COMMON, { name: 'partial', type: 'bool', default: false, help: 'Only pending changes instead of a full sync' }] as const satisfies readonly FlagSpec[];

async function resync(args: readonly string[], io: Out): Promise<number> {
  const { positional: pos, flags } = positional(args);
  const parsed = parseFlags(RESYNC_FLAGS, flags);
  if (parsed.kind !== 'run') {
    io.out(formatHelp('kr resync CONTROLLER [flags]', 'Asks a controller for a sync now.', RESYNC_FLAGS));
    return 0;
  }
  const c = controllerArg(pos[0]);
  const conn = connectController(adminAddresses(parsed.values)[c], { deadlineMs: parsed.values.timeout });
  try {
    const r = await conn.resync({ full: !parsed.values.partial, reason: 'kr resync' });
    io.out(r.queued ? `${c}: ${parsed.values.partial ? 'partial' : 'full'} sync queued\n` : `${c}: not queued (starting or stopping)\n`);
    return r.queued ? 0 : 1;
  } finally {
    conn.close();
  }
}

const LEVEL_FLAGS = [...COMMON, { name: 'module', type: 'string', default: '', help: 'Only this module\'s logger (the `module` field of log lines)' }] as const satisfies readonly FlagSpec[];

async function logLevel(args: readonly string[], io: Out): Promise<number> {
  const { positional: pos, flags } = positional(args);
  const parsed = parseFlags(LEVEL_FLAGS, flags);
  if (parsed.kind !== 'run') {
    io.out(formatHelp('kr log-level CONTROLLER LEVEL [flags]', 'Changes a controller\'s log level.', LEVEL_FLAGS));
    return 0;
  }
  const c = controllerArg(pos[0]);
  const level = pos[1];
  if (!level) throw new ConfigError('LEVEL', 'missing (trace, debug, info, warn, error, fatal, silent)');
  const conn = connectController(adminAddresses(parsed.values)[c], { deadlineMs: parsed.values.timeout });
  try {
    const r = await conn.setLogLevel({ level, ...(parsed.values.module ? { module: parsed.values.module } : {}) });
    io.out(`${c}${parsed.values.module ? ` module ${parsed.values.module}` : ''}: ${r.previous} → ${r.level}\n`);
    return 0;
  } finally {
    conn.close();
  }
}
