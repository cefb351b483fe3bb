#!/usr/bin/env bash
# Finds what a test run left running, for scripts/test.sh. Sourced, not run.
#
#   leftovers_require         fail unless pgrep and ps exist (without them every list is
#                             empty and the check would report "none")
#   leftovers_snapshot        processes and containers that look like ours, one per line
#   leftovers_new BEFORE      what the snapshot shows now that BEFORE did not
#   leftovers_of_run ID       live processes whose environment carries MODELDEPLOY_RUN_ID=ID
#                             (every process a test spawned inherits it, whatever its name)

# Processes of a test cluster, the Prometheus servers (Debian's and the one built for the
# adapter chain), the operator and runtime processes tests spawn, and anything running
# from one of the suites' temp dirs.
LEFTOVER_PATTERN='cluster-tools/[0-9a-f]+/bin/|node-tools/[0-9a-f]+/bin/|adapter-tools/[0-9a-f]+/bin/|prometheus-tools/[0-9a-f]+/bin/|/usr/bin/prometheus( |$)|/tmp/modeldeploy-|containerd-shim-runc-v2 -namespace k8s.io|operator/src/main.ts|runtime/src/main.ts|runtime/dist/main.js|failing-canary-server.ts'

LEFTOVERS_CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Labels the suites put on Docker containers: ours (test/images/containers.ts) and
# testcontainers' own.
LEFTOVER_LABELS=('io.modeldeploy.test' 'org.testcontainers')

leftovers_require() {
  local tool
  for tool in pgrep ps; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$tool is missing, so no leftover process could be seen: install procps (apt-get install procps; scripts/setup.sh does)" >&2
      return 1
    fi
  done
}

leftovers_containers() {
  command -v docker >/dev/null 2>&1 || return 0
  docker info >/dev/null 2>&1 || return 0
  local label
  for label in "${LEFTOVER_LABELS[@]}"; do
    docker ps -a --filter "label=$label" --format 'container {{.ID}} {{.Image}} {{.Names}}' 2>/dev/null || true
  done | sort -u
}

leftovers_snapshot() {
  local pid
  for pid in $(pgrep -f "$LEFTOVER_PATTERN" || true); do
    leftovers_is_ours "$pid" && continue
    leftovers_of_other_checkout "$pid" && continue
    printf 'process %s %s\n' "$pid" "$(ps -o args= -p "$pid" 2>/dev/null | cut -c1-200)"
  done | sort -u
  leftovers_containers
}

leftovers_new() {
  local before=$1
  comm -13 <(echo "$before" | sort -u) <(leftovers_snapshot | sort -u) | grep -v '^process [0-9]* $' || true
}

# True when pid is this shell or one of its descendants (the check's own subshells carry
# the run id too).
leftovers_is_ours() {
  local pid=$1
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    [ "$pid" = "$$" ] && return 0
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  done
  return 1
}

# True when pid runs in another checkout of this project (its working directory is inside a
# tree with scripts/leftovers.sh that is not this one): a second engineer's test run or
# `npm start` on the same machine, which may start while this run is under way.
leftovers_of_other_checkout() {
  local dir
  dir=$(readlink "/proc/$1/cwd" 2>/dev/null) || return 1
  while [ -n "$dir" ] && [ "$dir" != "/" ]; do
    if [ -f "$dir/scripts/leftovers.sh" ]; then
      [ "$dir" != "$LEFTOVERS_CHECKOUT" ] && return 0
      return 1
    fi
    dir=$(dirname "$dir")
  done
  return 1
}

leftovers_of_run() {
  local id=$1 environ pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qx "MODELDEPLOY_RUN_ID=$id" || continue
    leftovers_is_ours "$pid" && continue
    printf 'process %s %s\n' "$pid" "$(ps -o args= -p "$pid" 2>/dev/null | cut -c1-200)"
  done
}
