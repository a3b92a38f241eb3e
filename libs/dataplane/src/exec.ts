// The one place that starts kernel tools. Always argv arrays, never a shell: object
// names come from Kubernetes objects and must never be interpreted by /bin/sh.

import { spawn } from 'node:child_process';
import { DataplaneError } from '@kr/errors';

/** Where and how long a tool may run. Every executor takes these. */
export interface ToolOptions {
  /** Named network namespace (`ip netns add <name>`); the caller's own when absent. */
  readonly netns?: string;
  /** The tool is killed and the call fails after this long. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface FailingLine {
  readonly number: number;
  readonly text: string;
}

export interface RunOptions extends ToolOptions {
  /** Written to the tool's stdin, which is then closed. */
  readonly input?: string;
  /** Exit codes that are not failures (0 always is). */
  readonly okExitCodes?: readonly number[];
  /** Finds the input line number the tool complained about, from its stderr (and the input). */
  readonly failingLineNumber?: (stderr: string, input: string) => number | undefined;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The argv that actually ran (with the `ip netns exec` prefix, if any). */
  readonly command: readonly string[];
}

export const DEFAULT_TIMEOUT_MS = 30_000;

// Namespace names end up in argv and in /run/netns paths: keep them boring.
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** The argv that runs `argv` inside `netns`; `ip` gets `-n` instead of a nested exec. */
export function inNetns(argv: readonly string[], netns: string | undefined): string[] {
  if (netns === undefined) return [...argv];
  if (!NETNS_NAME.test(netns)) {
    throw new DataplaneError([...argv], null, `invalid network namespace name ${JSON.stringify(netns)}`);
  }
  if (argv[0] === 'ip') return ['ip', '-n', netns, ...argv.slice(1)];
  return ['ip', 'netns', 'exec', netns, ...argv];
}

/** The 1-based line `number` of `input`, for error reports. */
export function failingLineOf(input: string, number: number | undefined): FailingLine | undefined {
  if (number === undefined || !Number.isInteger(number) || number < 1) return undefined;
  const text = input.split('\n')[number - 1];
  return text === undefined ? undefined : { number, text };
}

/**
 * Run a tool and collect its output. Resolves for exit code 0 (or one of okExitCodes);
 * rejects with DataplaneError otherwise, on timeout (exit code null), or when the tool
 * cannot be started (exit code null, cause set).
 */
export function runTool(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = inNetns(argv, options.netns);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [file, ...args] = command as [string, ...string[]];

  return new Promise<RunResult>((resolve, reject) => {
    // LC_ALL=C: the failing-line parsers and "nothing matched" checks read English messages.
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    let stdinError: Error | undefined;

    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A tool that fails early closes stdin while we still write: EPIPE. Its exit code
    // and stderr tell the real story, so the write error is only kept as a fallback.
    child.stdin.on('error', (err) => {
      stdinError = err;
    });
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8');
      let err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) err = `${err}${err && !err.endsWith('\n') ? '\n' : ''}killed after a timeout of ${timeoutMs} ms`;
      if (spawnError) {
        // Not started at all (ENOENT, EACCES): there is no exit code to report.
        reject(new DataplaneError(command, null, err || spawnError.message, undefined, { cause: spawnError }));
        return;
      }
      if (code === null || timedOut || (code !== 0 && !options.okExitCodes?.includes(code))) {
        const lineNumber = code !== null && !timedOut && options.input !== undefined ? options.failingLineNumber?.(err, options.input) : undefined;
        const failing = options.input !== undefined ? failingLineOf(options.input, lineNumber) : undefined;
        if (!err && stdinError) err = stdinError.message;
        reject(new DataplaneError(command, timedOut ? null : code, err, failing, stdinError ? { cause: stdinError } : undefined));
        return;
      }
      resolve({ stdout: out, stderr: err, exitCode: code, command });
    });

    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Parse a tool's JSON output, failing with the command attached. */
export function parseJsonOutput<T>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch (err) {
    throw new DataplaneError(result.command, result.exitCode, `unparseable JSON output: ${result.stdout.slice(0, 200)}`, undefined, {
      cause: err,
    });
  }
}
