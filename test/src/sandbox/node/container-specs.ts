// What the node agent runs for each DaemonSet container: the manifest's command and args,
// resolved for this machine, then the sandbox's own flags, then the user's --flags.
// Pure, so the whole rendering is checked by table tests.
import { ConfigError } from '@kr/errors';
import type { SandboxClusterConfig, SandboxContainer, SandboxHost } from './cluster-config.js';
import { NODE_API_PORT } from './cluster-config.js';
import type { ContainerTemplate } from './manifest.js';
import { containerLogPath, type SandboxNodePaths } from './paths.js';

export interface ContainerSpec {
  readonly name: SandboxContainer;
  readonly argv: readonly string[];
  /** Added to the agent's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export interface ContainerSpecInput {
  readonly config: SandboxClusterConfig;
  readonly node: SandboxHost;
  readonly templates: readonly ContainerTemplate[];
  readonly paths: SandboxNodePaths;
  /** Node 24, which runs the controller binaries. */
  readonly execPath: string;
}

/** Always run: the node-local bus and the GoBGP sidecar. */
const INFRASTRUCTURE: readonly SandboxContainer[] = ['nats', 'gobgp'];
const CONTROLLER_BINARY = /^kr-(cni|router|proxy|firewall)$/;

/**
 * The manifest's hostPath volumes, mapped into the node's directory: nats' store_dir
 * lives under /var/run/kube-router (the `run` volume) in a pod.
 */
function hostPathMap(paths: SandboxNodePaths): ReadonlyMap<string, string> {
  return new Map([['/var/run/kube-router/nats', paths.natsDir]]);
}

function mapArg(arg: string, map: ReadonlyMap<string, string>): string {
  const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
  if (eq > 0) {
    const mapped = map.get(arg.slice(eq + 1));
    return mapped === undefined ? arg : `${arg.slice(0, eq + 1)}${mapped}`;
  }
  return map.get(arg) ?? arg;
}

/** `kr-cni` → Node 24 running services/cni/bin/kr-cni.js; anything else is looked up on PATH. */
function resolveCommand(command: string, input: ContainerSpecInput): string[] {
  const m = CONTROLLER_BINARY.exec(command);
  if (m) return [input.execPath, `${input.config.repoRoot}/services/${m[1]}/bin/${command}.js`];
  return [command];
}

function sandboxFlags(name: SandboxContainer, input: ContainerSpecInput): string[] {
  if (name === 'nats' || name === 'gobgp') return [];
  const families = input.config.families;
  const flags = [
    `--master=http://127.0.0.1:${NODE_API_PORT}`,
    `--hostname-override=${input.node.name}`,
    `--enable-ipv4=${families.includes('ipv4')}`,
    `--enable-ipv6=${families.includes('ipv6')}`,
  ];
  if (name === 'cni') flags.push(`--cni-conf-file=${input.paths.cniConfFile}`);
  // kube-router's default overlay is ipip, which this machine's kernel lacks; vxlan is the
  // encap the sandbox can run end to end. A user's --flags 'router:--overlay-encap=...'
  // comes later on the command line and wins.
  if (name === 'router') flags.push('--overlay-encap=vxlan');
  return flags;
}

function envOf(template: ContainerTemplate, node: SandboxHost): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of template.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.fieldPath === 'spec.nodeName') env[e.name] = node.name;
    else if (e.fieldPath !== undefined) throw new ConfigError('manifest', `container ${template.name}: env ${e.name} uses fieldRef ${e.fieldPath}, which the sandbox does not provide`);
  }
  return env;
}

/** The containers of one node, in the manifest's order. */
export function containerSpecs(input: ContainerSpecInput): ContainerSpec[] {
  const wanted = new Set<SandboxContainer>([...INFRASTRUCTURE, ...input.config.controllers]);
  const byName = new Map(input.templates.map((t) => [t.name, t]));
  for (const name of wanted) {
    if (!byName.has(name)) throw new ConfigError('manifest', `the DaemonSet has no container named ${name}`);
  }
  const map = hostPathMap(input.paths);
  return input.templates
    .filter((t): t is ContainerTemplate & { name: SandboxContainer } => wanted.has(t.name as SandboxContainer))
    .map((t) => {
      const [command, ...args] = t.argv as [string, ...string[]];
      return {
        name: t.name,
        argv: [
          ...resolveCommand(command, input),
          ...args.map((a) => mapArg(a, map)),
          ...sandboxFlags(t.name, input),
          ...(input.config.extraFlags[t.name] ?? []),
        ],
        env: envOf(t, input.node),
        logFile: containerLogPath(input.paths, t.name),
      };
    });
}
