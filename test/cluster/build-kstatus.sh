#!/usr/bin/env bash
# Build (or reuse) the kstatus checker (test/cluster/kstatus, a small Go program on
# sigs.k8s.io/cli-utils' pkg/kstatus/status, pinned by kstatus/go.mod). The status tests
# feed it ModelDeployments and assert the library's own verdict (Current, InProgress,
# Failed, Terminating): the verdict Flux, kpt and Helm's watcher act on.
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/kstatus/<hash>/bin/kstatus, where
# <hash> covers kstatus/go.mod, go.sum, main.go, this script and the Go toolchain.
#
# Usage: test/cluster/build-kstatus.sh          build if needed, print the binary path
#        test/cluster/build-kstatus.sh --dir    print the build dir without building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/kstatus"
CB_NAME=kstatus
CB_RESULT=bin/kstatus
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  # main.go too: unlike the other tools, the program itself lives in this repository.
  for f in go.mod go.sum main.go; do
    printf '== kstatus/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-kstatus.sh\n'
  cat "$here/build-kstatus.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' sigs.k8s.io/cli-utils)"
  cb_log "downloading modules for sigs.k8s.io/cli-utils $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling the kstatus checker (under a minute on 2 cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/kstatus" .)
  cat >"$work/versions.json" <<JSON
{
  "cliUtils": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
