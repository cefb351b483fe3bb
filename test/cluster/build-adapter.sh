#!/usr/bin/env bash
# Build (or reuse) prometheus-adapter (sigs.k8s.io/prometheus-adapter, cmd/adapter) from the
# Go module proxy, pinned by test/cluster/adapter/go.mod. It serves custom.metrics.k8s.io
# to the HPA in the autoscaling suite, with the chart's rules as its --config.
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/adapter-tools/<hash>/bin/adapter,
# where <hash> covers adapter/go.mod, adapter/go.sum, this script and the Go toolchain.
#
# Usage: test/cluster/build-adapter.sh          build if needed, print the dir
#        test/cluster/build-adapter.sh --dir    print the dir without building
# Progress goes to stderr; stdout carries exactly one line, the dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/adapter"
CB_NAME=adapter
CB_CACHE=adapter-tools
CB_RESULT=
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for f in go.mod go.sum; do
    printf '== adapter/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-adapter.sh\n'
  cat "$here/build-adapter.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' sigs.k8s.io/prometheus-adapter)"
  cb_log "downloading modules for prometheus-adapter $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling sigs.k8s.io/prometheus-adapter/cmd/adapter (a few minutes on 2 busy cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/adapter" sigs.k8s.io/prometheus-adapter/cmd/adapter)
  cat >"$work/versions.json" <<JSON
{
  "prometheusAdapter": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
