// Runs kr-sandbox the way a user does (`node test/bin/kr-sandbox.mjs ...`, what
// `pnpm -s sandbox` runs), from test/dist. The build is refreshed first when a source
// of the test package is newer than it, so a test never runs stale code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REPO = join(TEST_DIR, '..');
export const CLI = join(TEST_DIR, 'bin', 'kr-sandbox.mjs');
const BUILT = join(TEST_DIR, 'dist', 'sandbox', 'cli.js');

function stale(): boolean {
  if (!existsSync(BUILT)) return true;
  const newer = spawnSync('find', [join(TEST_DIR, 'src', 'sandbox'), join(TEST_DIR, 'src', 'apiserver'), '-name', '*.ts', '-not', '-name', '*.test.ts', '-newer', BUILT], {
    encoding: 'utf8',
  }).stdout.trim();
  return newer !== '';
}

/**
 * Builds test/ (tsc -p test/tsconfig.build.json) when stale. The lock directory is the
 * one the node agent's tests use for their partial build, so the two never write
 * test/dist at the same time.
 */
export function ensureCliBuilt(): void {
  const controllers = ['cni', 'router', 'proxy', 'firewall', 'ctl'].map((s) => join(REPO, 'services', s, 'dist', 'main.js'));
  const missing = controllers.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`the controllers are not built (${missing.join(', ')}): run \`pnpm -s build\``);
  if (!stale()) return;
  const lock = join(TEST_DIR, 'dist', '.sandbox-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than two minutes belongs to a dead process.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (Date.now() > deadline || age > 120_000) rmSync(lock, { recursive: true, force: true });
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (!stale()) return;
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(TEST_DIR, 'tsconfig.build.json')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building test/ failed:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kr-sandbox ARGS...` from the repository root; resolves when it exits. */
export function sandboxCli(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like sandboxCli, but fails with the command's output unless it exits 0. */
export async function sandboxOk(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const result = await sandboxCli(args, options);
  if (result.code !== 0) throw new Error(`kr-sandbox ${args.join(' ')} exited ${result.code}\n${result.stderr}${result.stdout}`);
  return result;
}
