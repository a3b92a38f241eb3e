// Command-line parsing for kr-sandbox: argv → one typed command, or ConfigError (exit 2).
// Pure: no I/O, so every flag rule is table-tested.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '@kr/errors';
import type { SandboxContainer, SandboxController, SandboxFamily, SandboxStack } from './node/index.js';
import { parseDuration } from './duration.js';

export const STACKS: readonly SandboxStack[] = ['ipv4', 'ipv6', 'dual', 'dual-v6'];
export const CONTROLLERS: readonly SandboxController[] = ['cni', 'router', 'proxy', 'firewall'];
export const CONTAINERS: readonly SandboxContainer[] = ['nats', 'gobgp', ...CONTROLLERS];

export type Protocol = 'TCP' | 'UDP';

export interface UpArgs {
  readonly command: 'up';
  readonly json: boolean;
  readonly nodes: number;
  /** Absent: taken from the CIDR flags, else dual. */
  readonly stack?: SandboxStack;
  readonly subnets: number;
  readonly externals: number;
  readonly controllers: readonly SandboxController[];
  readonly extraFlags: Readonly<Partial<Record<SandboxContainer, readonly string[]>>>;
  readonly serviceCidrs?: readonly string[];
  readonly clusterCidrs?: readonly string[];
  readonly nodeCidrMaskSizeIPv4?: number;
  readonly nodeCidrMaskSizeIPv6?: number;
}

export interface ManifestArgs {
  readonly command: 'apply' | 'delete';
  readonly json: boolean;
  /** Paths, `-` for stdin. */
  readonly files: readonly string[];
  /** delete: how long to wait for the objects to be gone (0: do not wait). */
  readonly waitMs: number;
}

export type LabelKind = 'pod' | 'namespace' | 'node';

export interface LabelArgs {
  readonly command: 'label';
  readonly json: boolean;
  readonly kind: LabelKind;
  readonly namespace?: string;
  readonly name: string;
  /** key → value, or null to remove the label. */
  readonly changes: Readonly<Record<string, string | null>>;
}

export interface WaitArgs {
  readonly command: 'wait';
  readonly json: boolean;
  readonly timeoutMs: number;
}

export interface ProbeArgs {
  readonly command: 'probe';
  readonly json: boolean;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly family?: SandboxFamily;
  readonly timeoutMs: number;
}

export interface MatrixArgs {
  readonly command: 'matrix';
  readonly json: boolean;
  readonly port: number;
  readonly protocol: Protocol;
  readonly family?: SandboxFamily;
  readonly namespaces?: readonly string[];
  readonly timeoutMs: number;
}

export interface ExecArgs {
  readonly command: 'exec';
  readonly json: boolean;
  readonly host: string;
  readonly argv: readonly string[];
}

export interface LogsArgs {
  readonly command: 'logs';
  readonly json: boolean;
  readonly node: string;
  readonly container: string;
}

export interface RemoveNodeArgs {
  readonly command: 'remove-node';
  readonly json: boolean;
  readonly node: string;
}

export interface SimpleArgs {
  readonly command: 'down' | 'kubeconfig' | 'status' | 'help';
  readonly json: boolean;
}

export type SandboxArgs = UpArgs | ManifestArgs | LabelArgs | WaitArgs | ProbeArgs | MatrixArgs | ExecArgs | LogsArgs | RemoveNodeArgs | SimpleArgs;

export const USAGE = `kr-sandbox: a local Kubernetes cluster of network namespaces (API server simulator,
real pods, the real controllers per node). Run from the repository root as
\`pnpm -s sandbox <command> ...\`. Every command takes --json.
Exit codes: 0 ok, 1 failed (a probe that could not connect, a wait that timed out), 2 usage.

  up [--nodes N] [--stack ipv4|ipv6|dual|dual-v6] [--subnets K] [--externals E]
     [--controllers cni,router,proxy,firewall] [--flags 'CONTAINER:--flag=value' ...]
     [--service-cidrs A[,B]] [--cluster-cidrs A[,B]]
     [--node-cidr-mask-size-ipv4 M] [--node-cidr-mask-size-ipv6 M]
        defaults: 3 nodes, dual, 1 subnet, 0 externals, all controllers; CIDRs per stack
        (pods 10.244.0.0/16 fd00:10:244::/56, services 10.96.0.0/16 fd00:10:96::/112,
        masks /24 /64); the CIDR flags' order is the family order (and gives the stack
        when --stack is absent)
  apply -f FILE|-           Namespace, Pod, Service, NetworkPolicy (server-side apply);
                            Node documents merge their labels/annotations into the node
  delete -f FILE|- [--wait 60s]   deletes them (Node: removes those labels/annotations)
  label pod|namespace|node [NS/]NAME key=value key- ...
  wait [--timeout 60s]      pods Running, every controller synced with the API's latest state
                            (and, with the router, its BGP sessions to the other nodes up)
  probe --from NS/POD|node/NAME|ext/NAME --to NS/POD|IP|svc/NS/NAME|nodeport/NODE --port P
        [--protocol TCP|UDP] [--family ipv4|ipv6] [--timeout 1s]
                            prints who answered; exit 1 if it could not connect
  matrix --port P [--protocol TCP|UDP] [--family ipv4|ipv6] [--namespaces x,y] [--timeout 1s]
                            every pod to every pod, '.' reached, 'X' not
  exec NODE|EXT -- COMMAND...   runs a command in a node's (or external host's) namespace
  logs NODE CONTAINER       a container's log (nats, gobgp, cni, router, proxy, firewall, agent)
  remove-node NODE          the node leaves: its agent stops, its Node and pods are deleted,
                            its namespaces go; the others carry on
  kubeconfig                prints the path of the simulator's kubeconfig
  status                    nodes, externals, controllers' health, pods
  down                      removes every namespace, process and file the sandbox made
`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parse(argv: readonly string[], options: ParseArgsConfig['options'], positionals = false): { values: Values; positionals: string[] } {
  try {
    const result = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, ...options }, allowPositionals: positionals, strict: true });
    return { values: result.values as Values, positionals: result.positionals };
  } catch (err) {
    throw new ConfigError('arguments', (err as Error).message, { cause: err });
  }
}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`--${flag}`, `${JSON.stringify(text)} is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(`--${flag}`, `${n} is out of range ${min}..${max}`);
  return n;
}

function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw new ConfigError(`--${flag}`, 'is required');
  return value;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new ConfigError(`--${flag}`, `${JSON.stringify(text)} is not one of ${allowed.join(', ')}`);
  return text as T;
}

function protocolOf(text: string | undefined): Protocol {
  if (text === undefined) return 'TCP';
  return required('protocol', oneOf('protocol', text.toUpperCase(), ['TCP', 'UDP'] as const));
}

function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length) throw new ConfigError(command, `unexpected argument ${JSON.stringify(positionals[0])}`);
}

/** `--flags 'CONTAINER:--flag=value'` grouped by container, in the order given. */
export function parseExtraFlags(
  entries: readonly string[],
  controllers: readonly SandboxController[],
): Partial<Record<SandboxContainer, string[]>> {
  const out: Partial<Record<SandboxContainer, string[]>> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const container = entry.slice(0, colon).trim() as SandboxContainer;
    const flag = entry.slice(colon + 1).trim();
    if (colon < 0 || !CONTAINERS.includes(container)) {
      throw new ConfigError('--flags', `${JSON.stringify(entry)} is not CONTAINER:--flag=value with CONTAINER one of ${CONTAINERS.join(', ')}`);
    }
    if (!flag.startsWith('-')) throw new ConfigError('--flags', `${JSON.stringify(entry)}: the flag must start with -`);
    if ((CONTROLLERS as readonly string[]).includes(container) && !controllers.includes(container as SandboxController)) {
      throw new ConfigError('--flags', `${JSON.stringify(entry)}: ${container} is not among --controllers (${controllers.join(',') || 'none'})`);
    }
    (out[container] ??= []).push(flag);
  }
  return out;
}

export function parseControllers(text: string | undefined): SandboxController[] {
  if (text === undefined) return [...CONTROLLERS];
  const names = text === 'none' ? [] : list(text);
  for (const name of names) {
    if (!(CONTROLLERS as readonly string[]).includes(name)) throw new ConfigError('--controllers', `${JSON.stringify(name)} is not one of ${CONTROLLERS.join(', ')}`);
  }
  return CONTROLLERS.filter((c) => names.includes(c));
}

function parseUp(argv: readonly string[]): UpArgs {
  const { values, positionals } = parse(argv, {
    nodes: { type: 'string' },
    stack: { type: 'string' },
    subnets: { type: 'string' },
    externals: { type: 'string' },
    controllers: { type: 'string' },
    flags: { type: 'string', multiple: true },
    'service-cidrs': { type: 'string' },
    'cluster-cidrs': { type: 'string' },
    'node-cidr-mask-size-ipv4': { type: 'string' },
    'node-cidr-mask-size-ipv6': { type: 'string' },
  }, true);
  noPositionals('up', positionals);
  const controllers = parseControllers(str(values, 'controllers'));
  const stack = oneOf('stack', str(values, 'stack'), STACKS);
  const serviceCidrs = str(values, 'service-cidrs');
  const clusterCidrs = str(values, 'cluster-cidrs');
  const maskV4 = integer('node-cidr-mask-size-ipv4', str(values, 'node-cidr-mask-size-ipv4'), 1, 32);
  const maskV6 = integer('node-cidr-mask-size-ipv6', str(values, 'node-cidr-mask-size-ipv6'), 1, 128);
  return {
    command: 'up',
    json: values.json === true,
    // Node i gets host part 10+i and externals 200+j on a /24 (see plan.ts).
    nodes: integer('nodes', str(values, 'nodes'), 1, 189) ?? 3,
    ...(stack ? { stack } : {}),
    subnets: integer('subnets', str(values, 'subnets'), 1, 256) ?? 1,
    externals: integer('externals', str(values, 'externals'), 0, 54) ?? 0,
    controllers,
    extraFlags: parseExtraFlags((values.flags as string[] | undefined) ?? [], controllers),
    ...(serviceCidrs !== undefined ? { serviceCidrs: list(serviceCidrs) } : {}),
    ...(clusterCidrs !== undefined ? { clusterCidrs: list(clusterCidrs) } : {}),
    ...(maskV4 !== undefined ? { nodeCidrMaskSizeIPv4: maskV4 } : {}),
    ...(maskV6 !== undefined ? { nodeCidrMaskSizeIPv6: maskV6 } : {}),
  };
}

function parseManifest(command: 'apply' | 'delete', argv: readonly string[]): ManifestArgs {
  const { values, positionals } = parse(argv, { filename: { type: 'string', short: 'f', multiple: true }, wait: { type: 'string' } }, true);
  noPositionals(command, positionals);
  const files = (values.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new ConfigError('-f', `${command} needs -f FILE (or -f - for stdin)`);
  if (command === 'apply' && values.wait !== undefined) throw new ConfigError('--wait', 'only delete waits');
  const wait = str(values, 'wait');
  return { command, json: values.json === true, files, waitMs: wait === undefined ? 60_000 : parseDuration('--wait', wait) };
}

// Label keys and values as Kubernetes validates them (qualified names, ≤ 63 characters).
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkLabelKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (!NAME_PART.test(name) || (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))) {
    throw new ConfigError('label', `${JSON.stringify(key)} is not a valid label key (an optional DNS prefix and '/', then up to 63 of [A-Za-z0-9-_.], alphanumeric at both ends)`);
  }
}

export function checkLabelValue(key: string, value: string): void {
  if (value !== '' && !NAME_PART.test(value)) {
    throw new ConfigError('label', `${key}=${JSON.stringify(value)}: a label value is empty or up to 63 of [A-Za-z0-9-_.], alphanumeric at both ends`);
  }
}

/** `key=value` sets, `key-` removes. */
export function parseLabelChanges(items: readonly string[]): Record<string, string | null> {
  if (items.length === 0) throw new ConfigError('label', 'give at least one key=value or key-');
  const changes: Record<string, string | null> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq >= 0) {
      const [key, value] = [item.slice(0, eq), item.slice(eq + 1)];
      checkLabelKey(key);
      checkLabelValue(key, value);
      changes[key] = value;
    } else if (item.endsWith('-')) {
      const key = item.slice(0, -1);
      checkLabelKey(key);
      changes[key] = null;
    } else {
      throw new ConfigError('label', `${JSON.stringify(item)} is neither key=value nor key-`);
    }
  }
  return changes;
}

function parseLabel(argv: readonly string[]): LabelArgs {
  const { values, positionals } = parse(argv, {}, true);
  const [kindText, target, ...items] = positionals;
  const kind = oneOf('label', kindText === 'pods' ? 'pod' : kindText === 'nodes' ? 'node' : kindText === 'namespaces' || kindText === 'ns' ? 'namespace' : kindText, ['pod', 'namespace', 'node'] as const);
  if (!kind || !target) throw new ConfigError('label', 'usage: label pod|namespace|node [NS/]NAME key=value key- ...');
  let namespace: string | undefined;
  let name = target;
  if (kind === 'pod') {
    const parts = target.split('/');
    if (parts.length > 2 || parts.some((p) => !p)) throw new ConfigError('label', `${JSON.stringify(target)} is not NS/NAME or NAME`);
    [namespace, name] = parts.length === 2 ? [parts[0], parts[1]!] : ['default', target];
  } else if (target.includes('/')) {
    throw new ConfigError('label', `a ${kind} has no namespace: ${JSON.stringify(target)}`);
  }
  return { command: 'label', json: values.json === true, kind, ...(namespace ? { namespace } : {}), name, changes: parseLabelChanges(items) };
}

function parseWait(argv: readonly string[]): WaitArgs {
  const { values, positionals } = parse(argv, { timeout: { type: 'string' } }, true);
  noPositionals('wait', positionals);
  const timeout = str(values, 'timeout');
  return { command: 'wait', json: values.json === true, timeoutMs: timeout === undefined ? 60_000 : parseDuration('--timeout', timeout) };
}

const PROBE_OPTIONS = {
  port: { type: 'string' },
  protocol: { type: 'string' },
  family: { type: 'string' },
  timeout: { type: 'string' },
} as const;

function probeCommon(values: Values) {
  const family = oneOf('family', str(values, 'family'), ['ipv4', 'ipv6'] as const);
  const timeout = str(values, 'timeout');
  return {
    json: values.json === true,
    port: required('port', integer('port', str(values, 'port'), 1, 65535)),
    protocol: protocolOf(str(values, 'protocol')),
    ...(family ? { family } : {}),
    timeoutMs: timeout === undefined ? 1000 : parseDuration('--timeout', timeout),
  };
}

function parseProbe(argv: readonly string[]): ProbeArgs {
  const { values, positionals } = parse(argv, { ...PROBE_OPTIONS, from: { type: 'string' }, to: { type: 'string' } }, true);
  noPositionals('probe', positionals);
  return { command: 'probe', from: required('from', str(values, 'from')), to: required('to', str(values, 'to')), ...probeCommon(values) };
}

function parseMatrix(argv: readonly string[]): MatrixArgs {
  const { values, positionals } = parse(argv, { ...PROBE_OPTIONS, namespaces: { type: 'string' } }, true);
  noPositionals('matrix', positionals);
  const namespaces = str(values, 'namespaces');
  return { command: 'matrix', ...probeCommon(values), ...(namespaces !== undefined ? { namespaces: list(namespaces) } : {}) };
}

function parseExec(argv: readonly string[]): ExecArgs {
  const dashdash = argv.indexOf('--');
  const before = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const command = dashdash < 0 ? [] : argv.slice(dashdash + 1);
  const { values, positionals } = parse(before, {}, true);
  const [host, ...extra] = positionals;
  if (!host) throw new ConfigError('exec', 'usage: exec NODE|EXT -- COMMAND...');
  // `exec node1 ip addr` without `--` is accepted too, as long as no flag follows.
  const argvToRun = dashdash < 0 ? extra : [...extra, ...command];
  if (argvToRun.length === 0) throw new ConfigError('exec', 'no command given (exec NODE|EXT -- COMMAND...)');
  return { command: 'exec', json: values.json === true, host, argv: argvToRun };
}

function parseLogs(argv: readonly string[]): LogsArgs {
  const { values, positionals } = parse(argv, {}, true);
  const [node, container, ...extra] = positionals;
  if (!node || !container || extra.length) throw new ConfigError('logs', 'usage: logs NODE CONTAINER');
  return { command: 'logs', json: values.json === true, node, container };
}

function parseRemoveNode(argv: readonly string[]): RemoveNodeArgs {
  const { values, positionals } = parse(argv, {}, true);
  const [node, ...extra] = positionals;
  if (!node || extra.length) throw new ConfigError('remove-node', 'usage: remove-node NODE');
  return { command: 'remove-node', json: values.json === true, node };
}

function parseSimple(command: SimpleArgs['command'], argv: readonly string[]): SimpleArgs {
  const { values, positionals } = parse(argv, {}, true);
  noPositionals(command, positionals);
  return { command, json: values.json === true };
}

/** argv after the program name. */
export function parseSandboxArgs(argv: readonly string[]): SandboxArgs {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return parseUp(rest);
    case 'apply':
    case 'delete':
      return parseManifest(command, rest);
    case 'label':
      return parseLabel(rest);
    case 'wait':
      return parseWait(rest);
    case 'probe':
      return parseProbe(rest);
    case 'matrix':
      return parseMatrix(rest);
    case 'exec':
      return parseExec(rest);
    case 'logs':
      return parseLogs(rest);
    case 'remove-node':
      return parseRemoveNode(rest);
    case 'down':
    case 'kubeconfig':
    case 'status':
      return parseSimple(command, rest);
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help', json: false };
    case undefined:
      throw new ConfigError('command', 'missing (up, apply, delete, label, wait, probe, matrix, exec, logs, remove-node, kubeconfig, status, down)');
    default:
      throw new ConfigError('command', `unknown command ${JSON.stringify(command)}`);
  }
}
