// Kernel parameters under /proc/sys. Network sysctls are per namespace, and a process
// sees the namespace it runs in, so inside a namespace they go through
// `ip netns exec <ns> sysctl` rather than through our own /proc reads.

import { DataplaneError } from '@kr/errors';
import { runTool, type ToolOptions } from './exec.js';

// Dotted (net.ipv4.ip_forward) or slashed (net/ipv4/conf/eth0.100/forwarding) keys;
// never an option or a path outside /proc/sys.
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:/@-]*$/;

export interface SysctlSetResult {
  readonly changed: boolean;
  /** The value before the write. */
  readonly previous: string;
}

/** Compare values the way the kernel prints them: multi-value keys are tab separated. */
function normaliseValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

export class SysctlExecutor {
  constructor(private readonly options: ToolOptions = {}) {}

  async get(key: string): Promise<string> {
    checkKey(key);
    const { stdout } = await runTool(['sysctl', '-n', '--', key], this.options);
    return normaliseValue(stdout);
  }

  /** Write `value` unless it is already set; `changed` says whether a write happened. */
  async set(key: string, value: string | number): Promise<SysctlSetResult> {
    checkKey(key);
    const wanted = normaliseValue(String(value));
    const previous = await this.get(key);
    if (previous === wanted) return { changed: false, previous };
    await runTool(['sysctl', '-q', '-w', '--', `${key}=${wanted}`], this.options);
    return { changed: true, previous };
  }
}

function checkKey(key: string): void {
  if (!KEY.test(key) || key.split(/[./]/).includes('..')) {
    throw new DataplaneError(['sysctl', key], null, `invalid sysctl key ${JSON.stringify(key)}`);
  }
}
