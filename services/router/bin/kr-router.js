#!/usr/bin/env node
// Entry point kept outside dist/ so pnpm can link it before the first build.
//
// V8 settings for a small, long-running node agent, four of which run on every node
// (measurements in docs/benchmarks.md, "Memory"): a 1 MB semi-space instead of the
// default 16 MB, and TurboFan off (Maglev still optimises hot code). Together they save
// ~10 MB RSS per process. They must be given at startup, so the process replaces itself
// (execve: same pid, no wrapper) when they are missing. KR_NODE_FLAGS overrides them;
// set it to "" to run with Node's defaults.
// The router alone runs without any JIT (--jitless): it carries GoBGP's API and a gRPC
// client on top of what every controller loads, and its rounds are small diffs where the
// interpreter is fast enough; this keeps it ~9 MB lower, within the 85 MB budget.
const flags = (process.env.KR_NODE_FLAGS ?? '--max-semi-space-size=1 --jitless').split(' ').filter(Boolean);
if (flags.length > 0 && !flags.every((f) => process.execArgv.includes(f)) && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)], process.env);
}
await import('../dist/main.js');
