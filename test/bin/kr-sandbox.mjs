#!/usr/bin/env node
// kr-sandbox: the local sandbox cluster's CLI (test/src/sandbox, built to test/dist by
// `pnpm -s build`). From the repository root: `pnpm -s sandbox <command> ...`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/sandbox/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('kr-sandbox: test/dist/sandbox is not built: run `pnpm -s build` (or ./scripts/setup.sh) first\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
