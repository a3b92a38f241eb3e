// Runs the probe client (test/dist/sandbox/pod/probe-client.js) inside a source
// namespace and reads its one-JSON-line-per-target answer.
import { KrError } from '@kr/errors';
import { runTool } from './exec.js';
import type { ProbeResult, ProbeTarget } from './pod/probe-client.js';

export type { ProbeResult, ProbeTarget };

/** The probe client did not run, or printed something else than its results. */
export class ProbeRunError extends KrError {}

export async function runProbes(probeClient: string, netns: string, targets: readonly ProbeTarget[], timeoutMs: number): Promise<ProbeResult[]> {
  if (!targets.length) return [];
  const argv = ['ip', 'netns', 'exec', netns, process.execPath, probeClient, '--targets-json', JSON.stringify(targets), '--timeout-ms', String(timeoutMs)];
  let stdout: string;
  try {
    // Its own timeout bounds every probe; the margin covers starting Node.
    ({ stdout } = await runTool(argv, { timeoutMs: timeoutMs + 15_000 }));
  } catch (err) {
    throw new ProbeRunError(`the probe client did not run in ${netns}: ${(err as Error).message}`, { cause: err });
  }
  const results = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as ProbeResult;
      } catch (err) {
        throw new ProbeRunError(`the probe client in ${netns} printed ${JSON.stringify(l.slice(0, 200))}`, { cause: err });
      }
    });
  const byId = new Map(results.map((r) => [r.id, r]));
  return targets.map((t) => byId.get(t.id) ?? { id: t.id, ok: false, error: 'no result from the probe client', ms: 0 });
}
