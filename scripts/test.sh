#!/usr/bin/env bash
# The test command of the README and of CI: set up what the suites need, check lint and
# types, run every vitest project against the real components, check that nothing the
# suites started survived, and print one summary line.
#
# The timing-sensitive projects (unit, runtime) run first and alone; the projects that
# boot clusters, Prometheus and containers run after them, so a control plane starting in
# a globalSetup never competes with a test that measures a batching window.
#
# Usage: scripts/test.sh [vitest args...]   e.g. scripts/test.sh --project unit
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/leftovers.sh

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

leftovers_require
run_dir=$(mktemp -d -t modeldeploy-run.XXXXXX)
trap 'rm -rf "$run_dir"' EXIT
# Teardown errors (test/support/teardown-guard.ts) and leftovers land here; the summary
# counts each line as a failure.
export MODELDEPLOY_RUN_PROBLEMS="$run_dir/problems"
: >"$MODELDEPLOY_RUN_PROBLEMS"
# Every process a suite spawns inherits this, so a survivor is found whatever its name.
export MODELDEPLOY_RUN_ID="$$-$(date +%s%N)"
# Clusters someone else runs on this machine (npm start in another shell) are not ours.
before=$(leftovers_snapshot)

status=0
reports=()
exits=()
run_vitest() {
  local name=$1 code=0
  shift
  printf '\n==> vitest: %s\n' "$*"
  reports+=("$run_dir/$name.json")
  MODELDEPLOY_RUN_REPORT="$run_dir/$name.json" npx vitest run \
    --reporter=default --reporter=./test/support/run-report.ts "$@" || code=$?
  exits+=(--exit "$name=$code")
  [ "$code" -eq 0 ] || status=1
}

filtered=()
if [ $# -gt 0 ]; then
  run_vitest selected "$@"
  filtered=(--filtered)
else
  run_vitest timing --project unit --project runtime
  # Every other project named in test/minimum-tests.json (a unit test keeps that file in
  # step with vitest.config.ts).
  mapfile -t rest < <(node -e '
    const { minimums } = JSON.parse(require("fs").readFileSync("test/minimum-tests.json", "utf8"));
    for (const p of Object.keys(minimums)) if (p !== "unit" && p !== "runtime") console.log(p);')
  run_vitest components "${rest[@]/#/--project=}"
fi

printf '\n==> leftover processes and containers\n'
sleep 1
leftover=$( (leftovers_new "$before"; leftovers_of_run "$MODELDEPLOY_RUN_ID") | sort -u)
if [ -n "$leftover" ]; then
  echo "what the suites started survived them (stop it by pid or container id):" >&2
  echo "$leftover" >&2
  while IFS= read -r line; do
    echo "left running after the suites: $line" >>"$MODELDEPLOY_RUN_PROBLEMS"
  done <<<"$leftover"
else
  echo "none"
fi

npx tsx test/support/print-run-summary.ts "${filtered[@]}" "${exits[@]}" \
  --problems "$MODELDEPLOY_RUN_PROBLEMS" "${reports[@]}" || status=1
exit "$status"
