#!/usr/bin/env bash
# The main job: sets the machine up (idempotent), then runs one node's constellation
# against the cluster of the kubeconfig you give (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec pnpm -s exec node scripts/local-node.mjs "$@"
