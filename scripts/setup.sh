#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine (as root), and does
# almost nothing when it is all there already. Called by scripts/test.sh, scripts/run.sh
# and .ci/run; safe to run by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages: the real components the controllers drive and the tests run.
DEB_PACKAGES=(
  nats-server gobgpd iproute2 iptables ipset nftables conntrack bird2
  containernetworking-plugins protobuf-compiler libprotobuf-dev golang-github-osrg-gobgp-dev
  ca-certificates
)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages (${missing[*]}) and not root: install them, or run this as root"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kubectl: the machine's own when it has one (the simulator's conformance tests drive
# it); otherwise Debian's.
if ! command -v kubectl >/dev/null; then
  log 'installing kubectl (Debian kubernetes-client)'
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null || log 'kubectl unavailable; its tests will be skipped'
  fi
fi

# Debian enables and starts these services on install; the project runs its own
# instances (per test, per sandbox node), so the system-wide ones must not hold ports.
for svc in nats-server gobgpd bird; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
done

# pnpm 10: corepack's download fails its signature check on these machines; npm works.
if ! command -v pnpm >/dev/null || [[ $(pnpm --version 2>/dev/null) != 10.* ]]; then
  log 'installing pnpm 10'
  npm install -g --silent pnpm@10 >/dev/null
fi

# The workspace. Node 24 comes from the npm registry's `node` package (a devDependency),
# so every pnpm script and binary runs on it whatever the machine's own node is.
if [[ ! -f node_modules/.modules.yaml ]] || [[ pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  log 'installing workspace packages'
  pnpm install --frozen-lockfile --reporter=silent
  touch node_modules/.modules.yaml
fi

log 'building'
pnpm -s build
