#!/usr/bin/env bash
# Build (or reuse) Prometheus (github.com/prometheus/prometheus, cmd/prometheus) from the Go
# module proxy, pinned by test/cluster/prometheus/go.mod, WITH its Kubernetes service
# discovery: Debian's package (scripts/prometheus-setup.sh) is built without it, and the
# autoscaling suite scrapes runtime pods with kubernetes_sd_configs exactly as
# docs/autoscaling.md tells users. Only that SD is compiled in (the other SD plugins pull
# in every cloud SDK); the web UI's assets are not embedded (the API is all we use).
#
# The binary lives OUTSIDE the checkout, in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/prometheus-tools/<hash>/bin/prometheus
# where <hash> covers prometheus/go.mod, prometheus/go.sum, this script and the Go toolchain.
#
# Usage: test/cluster/build-prometheus.sh          build if needed, print the dir
#        test/cluster/build-prometheus.sh --dir    print the dir without building
# Progress goes to stderr; stdout carries exactly one line, the dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/prometheus"
cache_root="${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/prometheus-tools"

log() { printf '[build-prometheus] %s\n' "$*" >&2; }

hash_inputs() {
  {
    for f in go.mod go.sum; do
      printf '== prometheus/%s\n' "$f"
      cat "$mod/$f"
    done
    printf '== build-prometheus.sh\n'
    cat "$here/build-prometheus.sh"
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
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
  log "downloading modules for prometheus $version  [elapsed $(elapsed)]"
  (cd "$mod" && go mod download)
  log "compiling github.com/prometheus/prometheus/cmd/prometheus (several minutes on 2 busy cores)  [elapsed $(elapsed)]"
  # A ticker so a long compile still shows signs of life in CI logs.
  (while sleep 30; do log "  still compiling  [elapsed $(elapsed)]"; done) &
  local ticker=$!
  # The version variable Prometheus' own release build sets, so /api/v1/status/buildinfo
  # tells the truth: Go module v0.3MM.P is Prometheus 3.MM.P.
  local rest="${version#v0.}" ldflags="-s -w"
  local release="3.$((${rest%%.*} - 300)).${rest#*.}"
  ldflags+=" -X github.com/prometheus/common/version.Version=$release"
  ldflags+=" -X github.com/prometheus/common/version.BuildUser=modeldeploy"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 \
    -tags remove_all_sd,enable_kubernetes_sd -ldflags "$ldflags" \
    -o "$work/bin/prometheus" github.com/prometheus/prometheus/cmd/prometheus) || {
    kill "$ticker" 2>/dev/null
    return 1
  }
  kill "$ticker" 2>/dev/null || true
  cat >"$work/versions.json" <<JSON
{
  "prometheus": "$version",
  "release": "$release",
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
      log "removing stale prometheus build $dir"
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
