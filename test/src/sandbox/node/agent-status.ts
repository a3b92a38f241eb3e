// nodes/<node>/agent.json: how the CLI learns that a node agent is up and what its
// containers do. Written atomically (temp file + rename) so a reader never sees half.
import { rename, writeFile } from 'node:fs/promises';
import type { SandboxAgentStatus, SandboxContainer, SandboxContainerStatus } from './cluster-config.js';
import type { ProcessState } from './supervisor.js';

export async function writeAgentStatus(path: string, status: SandboxAgentStatus): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(status)}\n`);
  await rename(tmp, path);
}

export function containerStatuses(states: readonly ProcessState[]): Partial<Record<SandboxContainer, SandboxContainerStatus>> {
  return Object.fromEntries(
    states.map((s) => [s.name, { running: s.running, restarts: s.restarts, ...(s.pid !== undefined ? { pid: s.pid } : {}) }]),
  );
}

/**
 * Serialises writes of a status that changes often (every container start and exit), so
 * an older status never lands after a newer one.
 */
export class AgentStatusWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  write(status: SandboxAgentStatus): Promise<void> {
    this.chain = this.chain.then(() => writeAgentStatus(this.path, status)).catch(this.onError);
    return this.chain;
  }
}
