// Shared pieces of the sandbox node tests: the per-stack cluster plan, waiting, and
// running the probe client inside a namespace.
import { run } from '../exec.js';
import type { ProbeResult, ProbeTarget } from '../../pod/probe-client.js';
import { STACK_FAMILIES, type SandboxFamily, type SandboxStack } from '../cluster-config.js';

export type { ProbeResult, ProbeTarget };

export interface StackPlan {
  readonly stack: SandboxStack;
  readonly families: readonly SandboxFamily[];
  readonly clusterCidrs: readonly string[];
  readonly serviceCidrs: readonly string[];
}

// The sandbox's defaults (see /tmp/sandbox-common.md): pods 10.244.0.0/16 and
// fd00:10:244::/56 (/64 per node), services 10.96.0.0/16 and fd00:10:96::/112.
const CIDRS: Readonly<Record<SandboxFamily, { cluster: string; service: string }>> = {
  ipv4: { cluster: '10.244.0.0/16', service: '10.96.0.0/16' },
  ipv6: { cluster: 'fd00:10:244::/56', service: 'fd00:10:96::/112' },
};

export function stackPlan(stack: SandboxStack): StackPlan {
  const families = STACK_FAMILIES[stack];
  return { stack, families, clusterCidrs: families.map((f) => CIDRS[f].cluster), serviceCidrs: families.map((f) => CIDRS[f].service) };
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the built probe client inside `netns`. */
export async function probeFrom(probeClient: string, netns: string, targets: readonly ProbeTarget[], timeoutMs = 1_000): Promise<ProbeResult[]> {
  const { stdout } = await run(['ip', 'netns', 'exec', netns, process.execPath, probeClient, '--targets-json', JSON.stringify(targets), '--timeout-ms', String(timeoutMs)]);
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ProbeResult);
}
