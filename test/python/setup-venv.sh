#!/usr/bin/env bash
# Installs the Python clients the runtime suite drives (requirements.txt here, from PyPI)
# into a venv under ~/.cache/modeldeploy/test-venv, as bench/peers/setup-venv.sh does for
# the peers. Idempotent: the venv is rebuilt only when requirements.txt changed; a lock keeps
# two concurrent setups from building it at once. Prints the venv's python. Needs python3
# (3.10-3.12) with venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${TEST_VENV:-$HOME/.cache/modeldeploy/test-venv}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "test-venv: installing $(grep -cv '^#' "$req") packages from PyPI into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
