#!/usr/bin/env bash
# Build (or reuse) Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger): an OTLP receiver
# with in-memory storage and the query HTTP API, the real tracing backend of the runtime's
# tracing test (test/runtime/tracing-jaeger.test.ts).
#
# The module's go.mod carries a replace directive, so `go install pkg@version` refuses it;
# the build runs inside the downloaded module instead, with the module's own go.sum.
# Jaeger tags every release twice (v1.x and v2.x); only the v1.x tags are valid Go module
# versions, and they ship the same cmd/jaeger (v1.76.0 is the v2.13.0 release).
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/jaeger/<hash>/bin/jaeger, where
# <hash> covers JAEGER_MODULE_VERSION (in this script) and the Go toolchain.
#
# Usage: test/cluster/build-jaeger.sh          build if needed, print the binary path
#        test/cluster/build-jaeger.sh --dir    print the build dir without building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAEGER_MODULE_VERSION=v1.76.0
CB_NAME=jaeger
CB_RESULT=bin/jaeger
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  printf '== build-jaeger.sh\n'
  cat "$here/build-jaeger.sh"
}

cb_build() {
  local src
  cb_log "downloading github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION  [elapsed $(cb_elapsed)]"
  src="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src" ]] || {
    cb_log "go mod download gave no source dir for jaeger $JAEGER_MODULE_VERSION; check GOPROXY and the network"
    return 1
  }
  cb_log "downloading jaeger's dependencies  [elapsed $(cb_elapsed)]"
  (cd "$src" && GOFLAGS=-mod=mod go mod download)
  cb_log "compiling cmd/jaeger (10-20 minutes on 2 busy cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  # GOTOOLCHAIN=local: build with the installed Go (newer than the module's toolchain line)
  # rather than fetching another toolchain.
  (cd "$src" && GOTOOLCHAIN=local GOFLAGS='-trimpath -buildvcs=false' CGO_ENABLED=0 \
    go build -p 2 -ldflags '-s -w' -o "$work/bin/jaeger" ./cmd/jaeger)
  cat >"$work/versions.json" <<JSON
{
  "jaegerModule": "$JAEGER_MODULE_VERSION",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
