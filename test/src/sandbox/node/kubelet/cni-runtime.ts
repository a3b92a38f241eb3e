// Runs a network configuration list's plugins the way a container runtime does (the CNI
// spec, "Section 4: plugin delegation / network configuration lists"): ADD each plugin in
// order with the list's name and cniVersion injected and the previous plugin's result as
// prevResult; DEL in reverse order with the ADD's result as prevResult. Runtime
// configuration is given only for capabilities a plugin declares. host-local's dataDir is
// forced into the node's directory so nothing is written to /var/lib/cni.
import { existsSync } from 'node:fs';
import { DataplaneError } from '@kr/errors';
import { run } from '../exec.js';
import type { NetworkConfigList, PluginConfig } from './cni-config.js';

export const DEFAULT_CNI_BIN_DIR = '/usr/lib/cni';

/** The result of an ADD (0.3.0 and later: `ips`; 0.1/0.2: `ip4`/`ip6`). */
export interface CniResult {
  readonly cniVersion?: string;
  readonly interfaces?: readonly { readonly name: string; readonly mac?: string; readonly sandbox?: string }[];
  readonly ips?: readonly { readonly address: string; readonly gateway?: string; readonly interface?: number }[];
  readonly ip4?: { readonly ip: string };
  readonly ip6?: { readonly ip: string };
  readonly [field: string]: unknown;
}

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly hostIP?: string;
}

/** One attachment: what CNI_* and runtimeConfig say about the pod. */
export interface CniAttachment {
  readonly containerId: string;
  /** Path of the pod's namespace, e.g. /run/netns/krsbx-p-0123456789. */
  readonly netnsPath: string;
  readonly ifName: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly portMappings: readonly PortMapping[];
}

export interface CniRuntimeOptions {
  readonly binDir?: string;
  /** host-local's dataDir (the node's cni/data). */
  readonly ipamDataDir: string;
  /**
   * Prefix that puts the plugins in the node's namespace, e.g. ['ip', 'netns', 'exec',
   * 'krsbx-node1']; empty when the caller already is there (the node agent).
   */
  readonly nodeExec?: readonly string[];
}

type Command = 'ADD' | 'DEL';

export class CniRuntime {
  readonly binDir: string;

  constructor(private readonly options: CniRuntimeOptions) {
    this.binDir = options.binDir ?? DEFAULT_CNI_BIN_DIR;
  }

  /** ADD through the chain; the last plugin's result. */
  async add(list: NetworkConfigList, att: CniAttachment): Promise<CniResult> {
    let result: CniResult | undefined;
    for (const plugin of list.plugins) {
      const out = await this.invoke('ADD', plugin, this.pluginConfig(list, plugin, att, result), att);
      result = parseResult(plugin.type, out);
    }
    return result!;
  }

  /**
   * DEL through the chain in reverse. A namespace that is already gone is passed as an
   * empty CNI_NETNS, which the spec allows for DEL: plugins then release what they hold
   * outside it (IPAM leases, host-side rules).
   */
  async del(list: NetworkConfigList, att: CniAttachment, prevResult?: CniResult): Promise<void> {
    const attachment = existsSync(att.netnsPath) ? att : { ...att, netnsPath: '' };
    for (const plugin of [...list.plugins].reverse()) {
      await this.invoke('DEL', plugin, this.pluginConfig(list, plugin, attachment, prevResult), attachment);
    }
  }

  private pluginConfig(list: NetworkConfigList, plugin: PluginConfig, att: CniAttachment, prevResult: CniResult | undefined): Record<string, unknown> {
    const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
    const ipam = plugin['ipam'] as Record<string, unknown> | undefined;
    if (ipam?.['type'] === 'host-local') conf['ipam'] = { ...ipam, dataDir: this.options.ipamDataDir };
    if (prevResult) conf['prevResult'] = prevResult;
    const runtimeConfig = runtimeConfigFor(plugin, att);
    if (runtimeConfig) conf['runtimeConfig'] = runtimeConfig;
    return conf;
  }

  private async invoke(command: Command, plugin: PluginConfig, conf: Record<string, unknown>, att: CniAttachment): Promise<string> {
    const argv = [...(this.options.nodeExec ?? []), `${this.binDir}/${plugin.type}`];
    const env = {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: att.containerId,
      CNI_NETNS: att.netnsPath,
      CNI_IFNAME: att.ifName,
      CNI_PATH: this.binDir,
      // What containerd passes, so plugins that read pod identity find it.
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${att.podNamespace};K8S_POD_NAME=${att.podName};K8S_POD_INFRA_CONTAINER_ID=${att.containerId};K8S_POD_UID=${att.podUid}`,
    };
    try {
      return (await run(argv, { input: JSON.stringify(conf), env })).stdout;
    } catch (err) {
      if (!(err instanceof DataplaneError)) throw err;
      // Plugins report failures as a JSON error object ({code, msg, details}) on stdout.
      throw new DataplaneError([`CNI ${command}`, plugin.type], err.exitCode, describePluginError(err.stderr), undefined, { cause: err });
    }
  }
}

/** Only the capabilities the plugin declares get runtime configuration (CNI spec, "capabilities"). */
function runtimeConfigFor(plugin: PluginConfig, att: CniAttachment): Record<string, unknown> | undefined {
  const capabilities = plugin['capabilities'] as Record<string, unknown> | undefined;
  if (!capabilities) return undefined;
  const config: Record<string, unknown> = {};
  if (capabilities['portMappings'] === true) config['portMappings'] = att.portMappings;
  return Object.keys(config).length > 0 ? config : undefined;
}

function describePluginError(output: string): string {
  try {
    const e = JSON.parse(output) as { code?: number; msg?: string; details?: string };
    if (typeof e.msg === 'string') return [e.msg, e.details].filter(Boolean).join(': ') + (e.code !== undefined ? ` (CNI error ${e.code})` : '');
  } catch {
    // Not JSON: the plain output says it.
  }
  return output;
}

function parseResult(plugin: string, out: string): CniResult {
  try {
    return JSON.parse(out) as CniResult;
  } catch (err) {
    throw new DataplaneError(['CNI ADD', plugin], 0, `result is not JSON: ${out.slice(0, 200)}`, undefined, { cause: err });
  }
}
