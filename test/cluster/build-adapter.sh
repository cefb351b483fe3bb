#!/usr/bin/env bash
# Build (or reuse) prometheus-adapter (sigs.k8s.io/prometheus-adapter, cmd/adapter) from the
# Go module proxy, pinned by test/cluster/adapter/go.mod. It serves custom.metrics.k8s.io
# to the HPA in the autoscaling suite, with the chart's rules as its --config.
#
# The binary lives OUTSIDE the checkout, in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/adapter-tools/<hash>/bin/adapter
# where <hash> covers adapter/go.mod, adapter/go.sum, this script and the Go toolchain.
#
# Usage: test/cluster/build-adapter.sh          build if needed, print the dir
#        test/cluster/build-adapter.sh --dir    print the dir without building
# Progress goes to stderr; stdout carries exactly one line, the dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/adapter"
cache_root="${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/adapter-tools"

log() { printf '[build-adapter] %s\n' "$*" >&2; }

hash_inputs() {
  {
    for f in go.mod go.sum; do
      printf '== adapter/%s\n' "$f"
      cat "$mod/$f"
    done
    printf '== build-adapter.sh\n'
    cat "$here/build-adapter.sh"
    printf '== toolchain\n'
    go env GOVERSION GOOS GOARCH
  } | sha256sum | cut -c1-16
}

elapsed() {
  local s=$(($(date +%s) - start))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' sigs.k8s.io/prometheus-adapter)"
  log "downloading modules for prometheus-adapter $version  [elapsed $(elapsed)]"
  (cd "$mod" && go mod download)
  log "compiling sigs.k8s.io/prometheus-adapter/cmd/adapter (a few minutes on 2 busy cores)  [elapsed $(elapsed)]"
  # A ticker so a long compile still shows signs of life in CI logs.
  (while sleep 30; do log "  still compiling  [elapsed $(elapsed)]"; done) &
  local ticker=$!
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/adapter" sigs.k8s.io/prometheus-adapter/cmd/adapter) || {
    kill "$ticker" 2>/dev/null
    return 1
  }
  kill "$ticker" 2>/dev/null || true
  cat >"$work/versions.json" <<JSON
{
  "prometheusAdapter": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - start))
}
JSON
}

prune_stale() {
  local dir
  for dir in "$cache_root"/*/; do
    dir="${dir%/}"
    [[ "$dir" == "$dest" || ! -d "$dir" ]] && continue
    if [[ -z "$(find "$dir" -maxdepth 1 -name .last-used -mtime -2)" ]]; then
      log "removing stale adapter build $dir"
      rm -rf "$dir" "$cache_root/.lock-$(basename "$dir")"
    fi
  done
}

main() {
  local hash
  hash="$(hash_inputs)"
  dest="$cache_root/$hash"
  if [[ "${1:-}" == "--dir" ]]; then
    echo "$dest"
    return
  fi
  if [[ -f "$dest/.complete" ]]; then
    log "reusing $dest"
    touch "$dest/.last-used"
    echo "$dest"
    return
  fi
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.lock-$hash"
  if ! flock -n 9; then
    log "another build of $hash is running; waiting for it"
    flock 9
  fi
  if [[ -f "$dest/.complete" ]]; then
    log "reusing $dest (built by another process)"
    echo "$dest"
    return
  fi
  start=$(date +%s)
  work="$cache_root/.tmp-$hash-$$"
  rm -rf "$work"
  mkdir -p "$work/bin"
  trap 'rm -rf "$work"' EXIT
  log "cold build into $dest"
  build
  touch "$work/.complete"
  rm -rf "$dest"
  mv "$work" "$dest"
  trap - EXIT
  touch "$dest/.last-used"
  prune_stale
  log "done in $(elapsed): $(du -sh "$dest" | cut -f1) in $dest"
  echo "$dest"
}

main "$@"
