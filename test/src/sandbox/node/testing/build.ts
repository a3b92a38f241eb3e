// The node agent, pod server and probe client run as their own processes in tests, from
// test/dist (what `pnpm -s build` produces). This compiles them when any source under
// test/src/sandbox/{node,pod} is newer than the output, into the same place with the same
// options as the real build, so a test never runs stale code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const REPO = join(TEST_DIR, '..');
const SOURCES = [join(TEST_DIR, 'src', 'sandbox', 'node'), join(TEST_DIR, 'src', 'sandbox', 'pod')];

export interface SandboxBinaries {
  readonly repoRoot: string;
  readonly agentMain: string;
  readonly podServer: string;
  readonly probeClient: string;
}

export const BINARIES: SandboxBinaries = {
  repoRoot: REPO,
  agentMain: join(TEST_DIR, 'dist', 'sandbox', 'node', 'main.js'),
  podServer: join(TEST_DIR, 'dist', 'sandbox', 'pod', 'server.js'),
  probeClient: join(TEST_DIR, 'dist', 'sandbox', 'pod', 'probe-client.js'),
};

function stale(): boolean {
  const outputs = [BINARIES.agentMain, BINARIES.podServer, BINARIES.probeClient];
  if (!outputs.every((f) => existsSync(f) && statSync(f).size > 0)) return true;
  const oldest = outputs.reduce((a, b) => (statSync(a).mtimeMs < statSync(b).mtimeMs ? a : b));
  const newer = spawnSync('find', [...SOURCES, '-name', '*.ts', '!', '-name', '*.test.ts', '!', '-path', '*/testing/*', '-newer', oldest], { encoding: 'utf8' }).stdout.trim();
  return newer !== '';
}

/** Test files run in parallel processes: one build at a time (a lock directory). */
function withLock(fn: () => void): void {
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
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function ensureSandboxBuilt(): SandboxBinaries {
  if (!stale()) return BINARIES;
  withLock(() => {
    if (!stale()) return;
    // Next to the output: `types: ["node"]` resolves from the tsconfig's directory.
    const tsconfig = join(TEST_DIR, 'dist', `.tsconfig.sandbox-${process.pid}.json`);
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(TEST_DIR, 'tsconfig.build.json'),
        compilerOptions: { rootDir: join(TEST_DIR, 'src'), outDir: join(TEST_DIR, 'dist') },
        include: SOURCES,
        exclude: [join(TEST_DIR, 'src', '**', '*.test.ts'), join(TEST_DIR, 'src', '**', 'testing', '**')],
      }),
    );
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { encoding: 'utf8' });
    rmSync(tsconfig, { force: true });
    if (r.status !== 0) throw new Error(`building the sandbox agent failed:\n${r.stdout}${r.stderr}`);
  });
  return BINARIES;
}

/**
 * A controller binary (services/<name>/bin/kr-<name>.js) runs its dist/: build the
 * package when a source is newer, as its own process tests do. The libraries' dist/
 * must exist (`pnpm -s build`).
 */
export function ensureServiceBuilt(name: 'cni' | 'router' | 'proxy' | 'firewall'): string {
  const pkg = join(REPO, 'services', name);
  const main = join(pkg, 'dist', 'main.js');
  const newer = existsSync(main) ? spawnSync('find', [join(pkg, 'src'), '-name', '*.ts', '-newer', main], { encoding: 'utf8' }).stdout.trim() : 'missing';
  if (newer !== '') {
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building services/${name} failed (run pnpm -s build):\n${r.stdout}${r.stderr}`);
  }
  return join(pkg, 'bin', `kr-${name}.js`);
}
