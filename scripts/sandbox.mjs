#!/usr/bin/env node
// `pnpm -s sandbox <command> ...`: the sandbox cluster's CLI, test/bin/kr-sandbox.mjs.
await import('../test/bin/kr-sandbox.mjs');
