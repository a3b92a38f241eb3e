// The node's DaemonSet containers, each under its own Supervisor.
import type { Logger } from '@kr/observability';
import type { ContainerSpec } from './container-specs.js';
import { Supervisor, type ProcessState, type RestartPolicy } from './supervisor.js';

export interface ContainerSetOptions {
  readonly log: Logger;
  readonly policy?: RestartPolicy;
  readonly onChange?: (state: ProcessState) => void;
}

export class ContainerSet {
  private readonly supervisors: Supervisor[];

  constructor(specs: readonly ContainerSpec[], options: ContainerSetOptions) {
    this.supervisors = specs.map(
      (spec) =>
        new Supervisor(spec, {
          log: options.log,
          ...(options.policy ? { policy: options.policy } : {}),
          ...(options.onChange ? { onChange: options.onChange } : {}),
        }),
    );
  }

  /** Starts every container; resolves when all have spawned. */
  async start(): Promise<void> {
    await Promise.all(this.supervisors.map((s) => s.start()));
  }

  states(): ProcessState[] {
    return this.supervisors.map((s) => s.state());
  }

  /** Stops all at once: SIGTERM, SIGKILL after `graceMs`. */
  async stop(graceMs?: number): Promise<void> {
    await Promise.all(this.supervisors.map((s) => s.stop(graceMs)));
  }
}
