#!/usr/bin/env bash
# The README's first command: set up (npm dependencies, cluster tools), start a local
# Kubernetes control plane, run the operator against it, apply examples/ and show the
# ModelDeployments becoming Ready. Leaves everything running until Ctrl-C.
# With --context NAME it installs the chart on that existing cluster instead
# (scripts/local-up/context-up.ts), and the set-up skips what only the local cluster needs
# (the real node's packages and tools, Prometheus, prometheus-adapter). --help: usage.
set -euo pipefail
cd "$(dirname "$0")/.."
setup_args=()
for arg in "$@"; do
  case "$arg" in
    --context | --context=*) setup_args=(--client) ;;
    --help | -h) exec node --import tsx scripts/local-up.ts --help ;;
  esac
done
bash scripts/setup.sh "${setup_args[@]}"
exec node --import tsx scripts/local-up.ts "$@"
