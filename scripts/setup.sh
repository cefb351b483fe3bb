#!/usr/bin/env bash
# Idempotent set-up for a fresh machine or a fresh clone: npm dependencies, the cluster
# tools built from Go modules (cached under ~/.cache/modeldeploy), and, with --test, what
# the test suites need (Docker daemon + images, Prometheus, the kstatus checker, Lua).
#
# Usage: scripts/setup.sh [--test | --client]
#   --client: only npm dependencies and the cluster tools (kubectl, helm), for
#             `npm start -- --context NAME` on a cluster the user already has.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=false
[ "${1:-}" = "--test" ] && with_test=true
client_only=false
[ "${1:-}" = "--client" ] && client_only=true

step() { printf '\n==> %s\n' "$*"; }

# Runs a command that can be silent for many minutes (a cold image build), printing to
# stderr every 60 s that it still runs. The Go tool builds have their own heartbeat.
with_heartbeat() {
  local what=$1
  shift
  local started=$SECONDS
  (
    # The sleep is ended with the heartbeat, so no stray process outlives the build.
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 60 &
      nap=$!
      wait "$nap"
      printf '[%s] still running after %d min\n' "$what" $(((SECONDS - started) / 60)) >&2
    done
  ) >/dev/null &
  local beat=$! status=0
  "$@" || status=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  return "$status"
}

# onnxruntime-node's install script would fetch CUDA binaries from outside the npm
# registry; its CPU binaries ship inside the package. package.json's allowScripts denies
# the script on npm 11; the variable covers older npm too.
export ONNXRUNTIME_NODE_INSTALL=skip

lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.modeldeploy-lock ] || [ "$(cat node_modules/.modeldeploy-lock)" != "$lock_hash" ]; then
  step "npm ci (dependencies pinned by package-lock.json)"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.modeldeploy-lock
else
  step "npm dependencies are up to date"
fi

step "Kubernetes test tools (built from Go modules on a cold machine; cached afterwards)"
# The Go tool builds print their own heartbeat (test/cluster/lib/cached-build.sh).
tools_dir=$(test/cluster/build-tools.sh)
echo "tools: $tools_dir"

if $client_only; then
  exit 0
fi

step "real node: containerd, runc, CNI plugins (Debian), kubelet, kube-proxy and pause (cached)"
bash scripts/node-setup.sh
test/cluster/build-node-tools.sh >/dev/null
step "CoreDNS (Go module): the real node's cluster DNS (cached)"
test/cluster/build-coredns.sh >/dev/null

step "prometheus-adapter and Prometheus with Kubernetes SD: npm start's metrics, the autoscaling e2e (Go modules; cached)"
test/cluster/build-adapter.sh >/dev/null
test/cluster/build-prometheus.sh >/dev/null

if ! $with_test; then
  step "runtime image with the example models, for the real node"
  bash scripts/build-images.sh runtime runtime-examples
fi

if $with_test; then
  step "Prometheus (Debian package) for the analysis tests"
  bash scripts/prometheus-setup.sh
  step "kstatus checker: sigs.k8s.io/cli-utils' status library, for the status tests (Go module; cached)"
  test/cluster/build-kstatus.sh >/dev/null
  step "Jaeger v2 (Go module) as the tracing backend of the runtime's tracing test (cached)"
  test/cluster/build-jaeger.sh >/dev/null
  step "versitygw: an S3-compatible server for the s3:// model tests (Go module; cached)"
  test/cluster/build-versitygw.sh >/dev/null
  step "fake-gcs-server: a GCS emulator for the gs:// model tests (Go module; cached)"
  test/cluster/build-fake-gcs-server.sh >/dev/null
  step "Lua 5.4 (Debian) to run the shipped Argo CD health check in its test"
  if ! command -v lua5.4 >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "need root to apt-get install lua5.4; rerun with sudo" >&2; exit 1; }
    # A lock held by a concurrent apt run (another engineer, CI) is waited for, not fatal.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
      --no-install-recommends lua5.4
  fi
  lua5.4 -v
  step "Python test clients and servers from PyPI (tritonclient[grpc], moto) in a venv, for the runtime suite"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "need root to apt-get install python3-venv; rerun with sudo" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
      --no-install-recommends python3-venv
  fi
  bash test/python/setup-venv.sh >/dev/null
  step "Docker daemon, seeded base image, runtime and operator images"
  with_heartbeat build-images bash scripts/build-images.sh
fi
