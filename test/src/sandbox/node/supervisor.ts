// One container (or pod server) process with restartPolicy Always: when it exits it is
// started again after a back-off that doubles up to a cap and starts over once a run
// lasted long enough, like the kubelet's CrashLoopBackOff (10 s → 5 min there; shorter
// here, a sandbox wants its processes back quickly). Output goes to a log file opened
// for appending, so a restarted process continues the same file.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { KrError } from '@kr/errors';
import type { Logger } from '@kr/observability';

export interface ProcessSpec {
  readonly name: string;
  readonly argv: readonly string[];
  /** Added to the supervisor's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logFile: string;
  /**
   * When set, the process counts as started once a line of its stdout matches (stdout
   * is then relayed to the log file by the supervisor); otherwise as soon as it spawned.
   */
  readonly readyLine?: RegExp;
}

export interface RestartPolicy {
  /** First back-off (default 1 s). */
  readonly initialDelayMs: number;
  /** Back-off cap (default 30 s). */
  readonly maxDelayMs: number;
  /** A run at least this long resets the back-off (default 10 s). */
  readonly resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 10_000 };

export interface ProcessState {
  readonly name: string;
  readonly running: boolean;
  readonly pid?: number;
  /** Restarts so far (the kubelet's restartCount). */
  readonly restarts: number;
  readonly startedAt?: Date;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: Date };
}

export class ProcessStartError extends KrError {}

export interface SupervisorOptions {
  readonly log: Logger;
  readonly policy?: RestartPolicy;
  /** Called after every start and exit. */
  readonly onChange?: (state: ProcessState) => void;
}

export class Supervisor {
  private child: ChildProcess | undefined;
  private restarts = 0;
  private delayMs: number;
  private startedAt: Date | undefined;
  private lastExit: ProcessState['lastExit'];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly firstStart = Promise.withResolvers<void>();
  private readonly policy: RestartPolicy;

  constructor(
    readonly spec: ProcessSpec,
    private readonly options: SupervisorOptions,
  ) {
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.delayMs = this.policy.initialDelayMs;
    this.firstStart.promise.catch(() => undefined);
  }

  /**
   * Starts the process; resolves once it has started (see ProcessSpec.readyLine), or,
   * without readyLine, also when the first attempt failed to spawn (it is retried).
   */
  start(): Promise<void> {
    this.launch();
    return this.firstStart.promise;
  }

  state(): ProcessState {
    const running = this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
    return {
      name: this.spec.name,
      running,
      ...(running && this.child?.pid !== undefined ? { pid: this.child.pid } : {}),
      restarts: this.restarts,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
    };
  }

  /** No more restarts; SIGTERM, then SIGKILL after `graceMs`. Resolves when it is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.firstStart.reject(new ProcessStartError(`${this.spec.name} was stopped before it started`));
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private launch(): void {
    if (this.stopping) return;
    const { spec } = this;
    const [file, ...args] = spec.argv;
    let fd: number;
    try {
      fd = openSync(spec.logFile, 'a');
    } catch (err) {
      this.options.log.error({ err, container: spec.name }, 'cannot open the log file');
      this.scheduleRestart();
      return;
    }
    const started = Date.now();
    const child = spawn(file!, args, {
      stdio: ['ignore', spec.readyLine ? 'pipe' : fd, fd],
      env: { ...process.env, ...spec.env },
    });
    this.child = child;
    let announced = false;
    const announce = () => {
      if (announced) return;
      announced = true;
      this.startedAt = new Date(started);
      this.options.log.info({ container: spec.name, pid: child.pid, restarts: this.restarts }, 'started');
      this.firstStart.resolve();
      this.options.onChange?.(this.state());
    };
    let relay: WriteStream | undefined;
    if (spec.readyLine) {
      const pattern = spec.readyLine;
      const out = createWriteStream('', { fd, autoClose: true });
      relay = out;
      let pending = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out.write(chunk);
        if (announced) return;
        pending += chunk;
        if (pending.split('\n').some((line) => pattern.test(line))) announce();
      });
      child.stdout!.once('end', () => out.end());
    } else {
      child.once('spawn', announce);
    }
    // A failed spawn (ENOENT) emits 'error' and may or may not emit 'exit' too: the
    // first of them ends this run.
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      this.onExit(code, signal, started);
    };
    let fdOpen = true;
    const closeFd = () => {
      // The child has its own copy of the fd; ours is needed only to relay stdout.
      if (fdOpen && !spec.readyLine) closeSync(fd);
      fdOpen = false;
    };
    child.once('spawn', closeFd);
    child.once('error', (err) => {
      this.options.log.error({ err, container: spec.name, argv: spec.argv }, 'cannot start');
      closeFd();
      relay?.end();
      // The attempt was made; restarts go on (a container whose binary is missing
      // crash-loops visibly instead of holding up the whole node).
      if (!spec.readyLine) this.firstStart.resolve();
      end(null, null);
    });
    child.once('exit', end);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, started: number): void {
    this.lastExit = { code, signal, at: new Date() };
    if (this.stopping) {
      this.options.onChange?.(this.state());
      return;
    }
    if (Date.now() - started >= this.policy.resetAfterMs) this.delayMs = this.policy.initialDelayMs;
    this.options.log.warn({ container: this.spec.name, code, signal, restartInMs: this.delayMs }, 'exited; restarting');
    this.options.onChange?.(this.state());
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.policy.maxDelayMs, this.delayMs * 2);
    this.restartTimer = setTimeout(() => {
      this.restarts += 1;
      this.launch();
    }, delay);
  }
}
