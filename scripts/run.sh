#!/usr/bin/env bash
# The main job: sets the machine up (idempotent), then
#   - by default: brings up the local sandbox cluster (3 nodes, dual-stack, all
#     controllers, see README.md and `pnpm -s sandbox help`), applies a small demo
#     (test/sandbox/demo.yaml), waits for it, and prints its status and a probe matrix;
#     the sandbox stays up for you to explore until `pnpm -s sandbox down`;
#   - with --kubeconfig PATH [--node NAME] [--without router,...]: runs one node's
#     constellation on this machine against that cluster (scripts/local-node.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

for arg in "$@"; do
  case "$arg" in
    --kubeconfig | --kubeconfig=*) exec pnpm -s exec node scripts/local-node.mjs "$@" ;;
  esac
done
if (($#)); then
  echo "usage: scripts/run.sh                       # the sandbox demo" >&2
  echo "       scripts/run.sh --kubeconfig PATH ... # one node against a real cluster" >&2
  exit 2
fi

sandbox() { pnpm -s sandbox "$@"; }

if [[ -e .sandbox/cluster.json ]] || ip netns list | grep -q '^krsbx-'; then
  echo '== a sandbox is already up: taking it down first'
  sandbox down
fi

echo '== kr-sandbox up --nodes 3 --stack dual (controllers: cni, router, proxy, firewall)'
sandbox up --nodes 3 --stack dual
echo
echo '== kr-sandbox apply -f test/sandbox/demo.yaml'
sandbox apply -f test/sandbox/demo.yaml
echo
echo '== kr-sandbox wait'
sandbox wait --timeout 90s
echo
echo '== kr-sandbox status'
sandbox status
echo
echo '== kr-sandbox matrix --port 8080 (TCP, IPv4)'
sandbox matrix --port 8080
echo
echo '== kr-sandbox matrix --port 8080 --protocol UDP --family ipv6'
sandbox matrix --port 8080 --protocol UDP --family ipv6
cat <<'TEXT'

The sandbox is up and stays up. Pods reach each other on and across nodes over both
families: each node's kr-router peers with the others through its gobgpd and installs
routes to their pod CIDRs. Service IPs and the demo's NetworkPolicy (blue/web-from-blue)
take effect once the proxy and firewall controllers program them (their issues are next).
Things to try (from the repository root):
  pnpm -s sandbox probe --from red/client-1 --to blue/web-1 --port 8080 --protocol UDP --family ipv6
  pnpm -s sandbox probe --from node/node1 --to blue/web-1 --port 8080
  pnpm -s sandbox exec node1 -- ip -br addr           # a node's network namespace
  pnpm -s sandbox exec node1 -- node services/ctl/bin/kr.js status
  pnpm -s sandbox exec node1 -- node services/ctl/bin/kr.js peers   # also: routes, advertisements
  pnpm -s sandbox exec node1 -- ip route show proto 17              # routes the router installed
  pnpm -s sandbox logs node1 cni                      # nats, gobgp, cni, router, proxy, firewall, agent
  kubectl --kubeconfig "$(pnpm -s sandbox kubeconfig)" get pods -A -o wide
  pnpm -s sandbox label namespace red team=blue && pnpm -s sandbox wait
  pnpm -s sandbox delete -f test/sandbox/demo.yaml
  pnpm -s sandbox help                                # every command; all take --json
When done:
  pnpm -s sandbox down
TEXT
