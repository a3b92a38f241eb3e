// A throwaway namespace standing in for a node: an uplink `eth0` (a veth whose peer stays
// in the same namespace, so nothing leaves it) holding the node's addresses.
import { spawn } from 'node:child_process';
import { createTestNetns, type TestNetns } from '@kr/dataplane/testing';
import type { V1Node } from '@kubernetes/client-node';

export const UPLINK = 'eth0';

/** Runs a command, resolving with stdout; rejects with its output on failure. */
export function run(argv: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))));
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function createNodeNetns(options: { addresses: readonly string[]; mtu?: number }): Promise<TestNetns> {
  const ns = await createTestNetns();
  try {
    const lines = [`link add ${UPLINK} mtu ${options.mtu ?? 1500} type veth peer name ${UPLINK}-peer mtu ${options.mtu ?? 1500}`];
    for (const a of options.addresses) lines.push(`address add ${a} dev ${UPLINK}${a.includes(':') ? ' nodad' : ''}`);
    lines.push(`link set ${UPLINK}-peer up`, `link set ${UPLINK} up`);
    await run(['ip', '-n', ns.name, '-batch', '-'], lines.join('\n') + '\n');
  } catch (err) {
    await ns.delete();
    throw err;
  }
  return ns;
}

export function nodeObject(name: string, ips: readonly string[], podCIDRs: readonly string[], annotations: Record<string, string> = {}): V1Node {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name, annotations },
    spec: { podCIDRs: [...podCIDRs], ...(podCIDRs[0] ? { podCIDR: podCIDRs[0] } : {}) },
    status: { addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }] },
  };
}

/** `ip -j` in a namespace; an absent device lists nothing. */
export async function ipJson<T>(netns: string, ...args: string[]): Promise<T> {
  const out = await run(['ip', '-n', netns, '-j', ...args]).catch((err: unknown) => {
    if (/does not exist|Cannot find device/.test(String(err))) return '';
    throw err;
  });
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

export async function sysctl(netns: string, key: string): Promise<string> {
  return (await run(['ip', 'netns', 'exec', netns, 'sysctl', '-n', key])).trim();
}
