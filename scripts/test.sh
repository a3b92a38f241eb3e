#!/usr/bin/env bash
# The test command: sets the machine up (idempotent) and runs the whole suite.
# Privileged tests need root; they work only inside network namespaces they create.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || exit 1
rm -f .vitest-results.json
pnpm -s exec vitest run "$@"
rc=$?
pnpm -s exec node scripts/test-summary.mjs .vitest-results.json || rc=1
exit $rc
