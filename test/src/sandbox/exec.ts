// Runs the kernel tools and helper processes the CLI needs (ip, the probe client, `kr`)
// with argv arrays, never a shell: names come from Kubernetes objects and user input.
import { spawn } from 'node:child_process';
import { DataplaneError } from '@kr/errors';

export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface ToolOptions {
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Killed (and failing) after this long; default 30 s. */
  readonly timeoutMs?: number;
  /** Exit codes that still resolve (0 always does). */
  readonly okExitCodes?: readonly number[];
}

/** Runs `argv` to completion; rejects with DataplaneError on a failing exit code or timeout. */
export function runTool(argv: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // EPIPE when a tool exits before reading its input: its exit status says why.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => (spawnError = e));
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      let stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) return reject(new DataplaneError(argv, null, spawnError.message, undefined, { cause: spawnError }));
      if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}killed after ${timeoutMs} ms`;
      if (code === null || timedOut || (code !== 0 && !options.okExitCodes?.includes(code))) {
        return reject(new DataplaneError(argv, timedOut ? null : code, stderr, failingBatchLine(stderr, options.input)));
      }
      resolve({ stdout, stderr, exitCode: code });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `ip -batch` names the line it choked on as "Command failed -:N". */
function failingBatchLine(stderr: string, input: string | undefined): { number: number; text: string } | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr);
  if (!m || input === undefined) return undefined;
  const number = Number(m[1]);
  const text = input.split('\n')[number - 1];
  return text === undefined ? undefined : { number, text };
}

/** `ip -n NETNS -batch -` with the given lines. */
export async function ipBatch(netns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runTool(['ip', '-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}
