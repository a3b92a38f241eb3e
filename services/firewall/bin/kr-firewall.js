#!/usr/bin/env node
// Entry point kept outside dist/ so pnpm can link it before the first build.
// It first restarts the process with the V8 flags of the 'compute' profile (see
// libs/agent/src/v8-flags.ts; KR_NODE_FLAGS overrides them).
import { relaunchWithV8Flags } from '@kr/agent/v8-flags';

relaunchWithV8Flags('compute');
await import('../dist/main.js');
