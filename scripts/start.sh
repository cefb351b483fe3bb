#!/usr/bin/env bash
# The README's first command: set up (npm dependencies, cluster tools), start a local
# Kubernetes control plane, run the operator against it, apply examples/ and show the
# ModelDeployments becoming Ready. Leaves everything running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/local-up.ts "$@"
