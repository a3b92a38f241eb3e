// Named network namespaces (`/run/netns/<name>`) that everyone on the machine can see.
//
// The node agent runs under `ip netns exec krsbx-node<i>`, which gives it a private mount
// namespace whose mounts are slaves of the host's: a bind mount made there (which is what
// `ip netns add` is) never shows up for the CLI or for `ip netns exec` started from the
// root namespace. So the agent keeps a handle on the mount namespace of the nearest
// ancestor process that is not in its own mount namespace (the CLI that started it),
// taken at start while that process is alive, and runs `ip netns add/delete` there with
// `nsenter --mount`. Mounts made there propagate into the agent's namespace (slave), so
// the agent itself sees the new namespaces at once. When the agent already shares its
// parent's mount namespace (tests, a plain launch), it runs `ip` directly.
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { DataplaneError } from '@kr/errors';
import { run } from './exec.js';

/** Names end up in argv and in /run/netns paths: keep them boring. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces and parens.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** An open fd on the nearest ancestor's mount namespace that differs from ours, if any. */
function hostMountNamespaceFd(): number | undefined {
  const own = readlinkSync('/proc/self/ns/mnt');
  for (let pid = process.ppid; pid > 1; pid = parentOf(pid) ?? 0) {
    let theirs: string;
    try {
      theirs = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      return undefined;
    }
    if (theirs !== own) return openSync(`/proc/${pid}/ns/mnt`, 'r');
  }
  return undefined;
}

export class NamedNetns {
  private constructor(private readonly mountNsFd: number | undefined) {}

  /** Finds where to create namespaces; see the file comment. */
  static open(): NamedNetns {
    return new NamedNetns(hostMountNamespaceFd());
  }

  /** Whether `ip netns add` runs in another mount namespace (the agent's case). */
  get viaHostMountNamespace(): boolean {
    return this.mountNsFd !== undefined;
  }

  exists(name: string): boolean {
    return existsSync(netnsPath(checkName(name)));
  }

  /** Creates the namespace with lo up. Fails if it exists. */
  async add(name: string): Promise<void> {
    await this.ip(['netns', 'add', checkName(name)]);
    try {
      await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    } catch (err) {
      await this.delete(name);
      throw err;
    }
  }

  /** Deletes the namespace; deleting one that is absent is not an error. */
  async delete(name: string): Promise<void> {
    if (!this.exists(name)) return;
    await this.ip(['netns', 'delete', name]);
  }

  close(): void {
    if (this.mountNsFd !== undefined) closeSync(this.mountNsFd);
  }

  private async ip(args: readonly string[]): Promise<void> {
    if (this.mountNsFd === undefined) {
      await run(['ip', ...args]);
      return;
    }
    // The fd is passed on as the child's fd 3; nsenter opens it through /proc/self.
    await run(['nsenter', '--mount=/proc/self/fd/3', '--', 'ip', ...args], { extraFds: [this.mountNsFd] });
  }
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw new DataplaneError(['ip', 'netns', name], null, `invalid network namespace name ${JSON.stringify(name)}`);
  return name;
}
