// Runs the sandbox's tools (ip, nsenter, the CNI plugins): argv arrays only, never a
// shell, output collected, failures as DataplaneError with the command and stderr.
import { spawn } from 'node:child_process';
import { DataplaneError } from '@kr/errors';

export interface RunOptions {
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Environment of the child (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Open file descriptors passed on as fd 3, 4, ... */
  readonly extraFds?: readonly number[];
  /** Killed and failed after this long (default 30 s). */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv to completion; rejects with DataplaneError on a non-zero exit, a signal or a timeout. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new DataplaneError([], null, 'empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(options.extraFds ?? [])],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new DataplaneError([...argv], null, err.message, undefined, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const why = timedOut ? `killed after ${options.timeoutMs ?? 30_000} ms` : signal ? `killed by ${signal}` : '';
      reject(new DataplaneError([...argv], code, [why, stderr.trim() || stdout.trim()].filter(Boolean).join(': ')));
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}
