#!/usr/bin/env bash
# Build (or reuse) CoreDNS for the test cluster (test/cluster/coredns: CoreDNS's own
# coremain with the kubernetes, cache, errors and bind plugins, pinned by coredns/go.mod). With a
# real node it answers pods' lookups of <service>.<namespace>.svc.cluster.local, as
# kube-dns does in any cluster, so the operator's DNS names (the shadow target, the Service
# URLs in status) resolve inside pods.
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/coredns/<hash>/bin/coredns, where
# <hash> covers coredns/go.mod, go.sum, main.go, this script and the Go toolchain.
#
# Usage: test/cluster/build-coredns.sh          build if needed, print the binary path
#        test/cluster/build-coredns.sh --dir    print the build dir without building
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/coredns"
CB_NAME=coredns
CB_RESULT=bin/coredns
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for f in go.mod go.sum main.go; do
    printf '== coredns/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-coredns.sh\n'
  cat "$here/build-coredns.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/coredns/coredns)"
  cb_log "downloading modules for github.com/coredns/coredns $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling CoreDNS with four plugins (a few minutes on 2 cores)  [elapsed $(cb_elapsed)]"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 -ldflags '-s -w' \
    -o "$work/bin/coredns" .)
  cat >"$work/versions.json" <<JSON
{
  "coredns": "$version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
