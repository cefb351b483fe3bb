#!/usr/bin/env bash
# Build (or reuse) fake-gcs-server (github.com/fsouza/fake-gcs-server, pinned by
# fake-gcs-server/go.mod), a GCS emulator: the model-storage tests start it on loopback
# and the runtime downloads gs:// models from it with the real @google-cloud/storage client
# (JSON API metadata, media downloads, 404 for a missing object or bucket).
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/fake-gcs-server/<hash>/bin/,
# where <hash> covers fake-gcs-server/go.mod, go.sum, tools.go, this script and the Go
# toolchain.
#
# Usage: test/cluster/build-fake-gcs-server.sh          build if needed, print the binary path
#        test/cluster/build-fake-gcs-server.sh --dir    print the build dir without building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/fake-gcs-server"
CB_NAME=fake-gcs-server
CB_RESULT=bin/fake-gcs-server
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for f in go.mod go.sum tools.go; do
    printf '== fake-gcs-server/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-fake-gcs-server.sh\n'
  cat "$here/build-fake-gcs-server.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/fsouza/fake-gcs-server)"
  cb_log "downloading modules for github.com/fsouza/fake-gcs-server $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling fake-gcs-server (a few minutes on 2 cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/fake-gcs-server" github.com/fsouza/fake-gcs-server)
  cat >"$work/versions.json" <<JSON
{
  "fake-gcs-server": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
