#!/usr/bin/env bash
# Build (or reuse) the kstatus checker (test/cluster/kstatus, a small Go program on
# sigs.k8s.io/cli-utils' pkg/kstatus/status, pinned by kstatus/go.mod). The status tests
# feed it ModelDeployments and assert the library's own verdict (Current, InProgress,
# Failed, Terminating): the verdict Flux, kpt and Helm's watcher act on.
#
# The binary lives OUTSIDE the checkout, in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/kstatus/<hash>/bin/kstatus
# where <hash> covers kstatus/go.mod, kstatus/go.sum, kstatus/main.go, this script and the
# Go toolchain.
#
# Usage: test/cluster/build-kstatus.sh          build if needed, print the binary path
#        test/cluster/build-kstatus.sh --dir    print the build dir without building
# Progress goes to stderr; stdout carries exactly one line, so callers can capture it:
# KSTATUS=$(test/cluster/build-kstatus.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/kstatus"
cache_root="${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/kstatus"

log() { printf '[build-kstatus] %s\n' "$*" >&2; }

hash_inputs() {
  {
    # main.go too: unlike the other tools, the program itself lives in this repository.
    for f in go.mod go.sum main.go; do
      printf '== kstatus/%s\n' "$f"
      cat "$mod/$f"
    done
    printf '== build-kstatus.sh\n'
    cat "$here/build-kstatus.sh"
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
  version="$(cd "$mod" && go list -m -f '{{.Version}}' sigs.k8s.io/cli-utils)"
  log "downloading modules for sigs.k8s.io/cli-utils $version  [elapsed $(elapsed)]"
  (cd "$mod" && go mod download)
  log "compiling the kstatus checker (under a minute on 2 cores)  [elapsed $(elapsed)]"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/kstatus" .)
  cat >"$work/versions.json" <<JSON
{
  "cliUtils": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - start))
}
JSON
}

# Builds of older pins would pile up on a long-lived CI machine; remove those unused for
# more than two days.
prune_stale() {
  local dir
  for dir in "$cache_root"/*/; do
    dir="${dir%/}"
    [[ "$dir" == "$dest" || ! -d "$dir" ]] && continue
    if [[ -z "$(find "$dir" -maxdepth 1 -name .last-used -mtime -2)" ]]; then
      log "removing stale kstatus build $dir"
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
    echo "$dest/bin/kstatus"
    return
  fi
  mkdir -p "$cache_root"
  # Parallel callers wait for one build instead of racing; the second reuses it.
  exec 9>"$cache_root/.lock-$hash"
  if ! flock -n 9; then
    log "another build of $hash is running; waiting for it"
    flock 9
  fi
  if [[ -f "$dest/.complete" ]]; then
    log "reusing $dest (built by another process)"
    echo "$dest/bin/kstatus"
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
  echo "$dest/bin/kstatus"
}

main "$@"
