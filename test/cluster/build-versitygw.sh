#!/usr/bin/env bash
# Build (or reuse) versitygw (github.com/versity/versitygw, pinned by versitygw/go.mod), an
# S3-compatible server with a posix backend: the model-storage tests start it on loopback
# and the runtime downloads s3:// models from it with the real AWS SDK (SigV4, path-style
# addressing, wrong keys answered 403, missing keys 404).
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/versitygw/<hash>/bin/versitygw,
# where <hash> covers versitygw/go.mod, go.sum, tools.go, this script and the Go toolchain.
#
# Usage: test/cluster/build-versitygw.sh          build if needed, print the binary path
#        test/cluster/build-versitygw.sh --dir    print the build dir without building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/versitygw"
CB_NAME=versitygw
CB_RESULT=bin/versitygw
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for f in go.mod go.sum tools.go; do
    printf '== versitygw/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-versitygw.sh\n'
  cat "$here/build-versitygw.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/versity/versitygw)"
  cb_log "downloading modules for github.com/versity/versitygw $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling versitygw (a few minutes on 2 cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/versitygw" github.com/versity/versitygw/cmd/versitygw)
  cat >"$work/versions.json" <<JSON
{
  "versitygw": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
