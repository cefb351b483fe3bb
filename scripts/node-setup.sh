#!/usr/bin/env bash
# Debian packages the test cluster's REAL node needs (test/cluster/real-node.ts):
#   containerd (its built-in CRI plugin), runc, containernetworking-plugins (bridge,
#   host-local, loopback), iptables and conntrack (kube-proxy), gcc + libc6-dev (the
#   static pause binary of test/cluster/build-node-tools.sh), iproute2 (`ip`: the node's
#   bridge and routes), procps (`pgrep`, `ps`: the harness's and scripts/test.sh's checks
#   for processes that survived a cluster; slim images lack both).
# Idempotent: installs only what is missing; apt-get update only when something is.
# Needs root. Starts nothing: the harness runs its own containerd per cluster.
#
# Usage: scripts/node-setup.sh
set -euo pipefail

LOG_NAME=node-setup
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

want=(containerd runc containernetworking-plugins iptables conntrack gcc libc6-dev iproute2 procps)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all present: ${want[*]}"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "need root to apt-get install ${missing[*]}; rerun with sudo"
log "apt-get install ${missing[*]}"
# A lock held by a concurrent apt run (another engineer, CI) is waited for, not fatal.
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
  --no-install-recommends "${missing[@]}" >&2
log "installed ${missing[*]}"
