// Runs the containernetworking plugins (Debian's containernetworking-plugins) the way a
// container runtime does for a configuration list: each plugin in order for ADD (in
// reverse for DEL), its configuration on stdin with the list's name and cniVersion
// injected and the previous plugin's result as prevResult. The plugins run inside the
// node's namespace (where the bridge is) and put the pod's end into the pod namespace.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export const CNI_BIN_DIR = process.env['CNI_BIN_DIR'] ?? '/usr/lib/cni';

export interface CniIpConfig {
  readonly address: string;
  readonly gateway?: string;
  readonly interface?: number;
}

export interface CniResult {
  readonly cniVersion: string;
  readonly ips?: readonly CniIpConfig[];
  readonly interfaces?: readonly { name: string; mac?: string; sandbox?: string }[];
  readonly [field: string]: unknown;
}

export interface CniInvocation {
  /** Named namespace of the node (the plugins run there). */
  readonly nodeNetns: string;
  /** Named namespace of the pod. */
  readonly podNetns: string;
  readonly containerId: string;
  readonly conflistPath: string;
  readonly ifname?: string;
}

export class CniPluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly output: string,
  ) {
    super(`CNI ${command} of ${plugin} failed: ${output.trim()}`);
  }
}

function runPlugin(type: string, command: 'ADD' | 'DEL', call: CniInvocation, stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', call.nodeNetns, `${CNI_BIN_DIR}/${type}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: command,
        CNI_CONTAINERID: call.containerId,
        CNI_NETNS: `/run/netns/${call.podNetns}`,
        CNI_IFNAME: call.ifname ?? 'eth0',
        CNI_PATH: CNI_BIN_DIR,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new CniPluginError(type, command, out));
    });
    child.stdin.end(stdin);
  });
}

async function loadList(path: string): Promise<{ name: string; cniVersion: string; plugins: Record<string, unknown>[] }> {
  return JSON.parse(await readFile(path, 'utf8')) as { name: string; cniVersion: string; plugins: Record<string, unknown>[] };
}

/** ADD through the whole chain; resolves with the last plugin's result. */
export async function cniAdd(call: CniInvocation): Promise<CniResult> {
  const list = await loadList(call.conflistPath);
  let result: CniResult | undefined;
  for (const plugin of list.plugins) {
    const conf = { ...plugin, name: list.name, cniVersion: list.cniVersion, ...(result ? { prevResult: result } : {}) };
    result = JSON.parse(await runPlugin(String(plugin['type']), 'ADD', call, JSON.stringify(conf))) as CniResult;
  }
  if (!result) throw new Error(`${call.conflistPath} has no plugins`);
  return result;
}

/** DEL through the chain in reverse. */
export async function cniDel(call: CniInvocation): Promise<void> {
  const list = await loadList(call.conflistPath);
  for (const plugin of [...list.plugins].reverse()) {
    const conf = { ...plugin, name: list.name, cniVersion: list.cniVersion };
    await runPlugin(String(plugin['type']), 'DEL', call, JSON.stringify(conf));
  }
}
