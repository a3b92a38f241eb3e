#!/usr/bin/env node
// `pnpm bench <name> [args]`: runs a benchmark from scripts/bench/ on the workspace's Node.
// Results go to stdout (and, with --json, as JSON); docs/benchmarks.md records them.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
// Files starting with "_" are helpers shared by the benchmarks.
const names = readdirSync(dir).filter((f) => f.endsWith('.mjs') && !f.startsWith('_')).map((f) => f.slice(0, -4));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: pnpm bench <${names.join('|')}> [args]`);
  process.exit(2);
}
const mod = await import(join(dir, `${name}.mjs`));
process.exitCode = await mod.main(args);
