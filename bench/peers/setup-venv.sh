#!/usr/bin/env bash
# Installs the two peers from PyPI into venvs under ~/.cache/modeldeploy/bench-venv (one per
# peer: MLServer pins its own FastAPI, older than peer A's). Idempotent: a venv is rebuilt only
# when its requirements file changed. Needs python3 (3.10–3.12) with venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${BENCH_VENV_ROOT:-$HOME/.cache/modeldeploy/bench-venv}"
python="${PYTHON:-python3}"
mkdir -p "$root"
for peer in fastapi mlserver; do
  req="$here/${peer}_peer/requirements.txt"
  venv="$root/$peer"
  stamp="$venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    continue
  fi
  echo "setup-venv: installing $peer into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
done
