#!/usr/bin/env bash
# The test command of the README and of CI: set up what the suites need, check lint and
# types, run every vitest project against the real components, check that no process of
# the test cluster survived, and print one summary line.
#
# Usage: scripts/test.sh [vitest args...]   e.g. scripts/test.sh --project unit
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test
# setup.sh just built the images; the images project need not build them again.
export MODELDEPLOY_SKIP_IMAGE_BUILD=1

printf '\n==> lint and types\n'
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx tsc -p tsconfig.json --noEmit
npm run generate >/dev/null
git diff --exit-code -- crds docs/api-reference.md charts/modeldeploy/crds || {
  echo "generated files are out of date: run 'npm run generate' and commit the result" >&2
  exit 1
}

# Clusters someone else runs on this machine (npm start in another shell) are not ours.
cluster_pattern='cluster-tools/[0-9a-f]+/bin/|node-tools/[0-9a-f]+/bin/|adapter-tools/[0-9a-f]+/bin/|/tmp/modeldeploy-cluster-|containerd-shim-runc-v2 -namespace k8s.io|operator/src/main.ts'
before=$(pgrep -f "$cluster_pattern" | sort || true)

printf '\n==> vitest\n'
report=$(mktemp -t modeldeploy-vitest.XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

printf '\n==> leftover processes\n'
sleep 1
leftover=$(comm -13 <(echo "$before") <(pgrep -f "$cluster_pattern" | sort || true) | paste -sd, - | xargs -r -I{} ps -o pid=,args= -p {} || true)
if [ -n "$leftover" ]; then
  echo "processes of a test cluster survived the suite:" >&2
  echo "$leftover" >&2
  status=1
else
  echo "none"
fi

node scripts/test-summary.mjs "$report" || status=1
rm -f "$report"
exit "$status"
