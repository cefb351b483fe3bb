#!/usr/bin/env bash
# Build (or reuse) Prometheus (github.com/prometheus/prometheus, cmd/prometheus) from the Go
# module proxy, pinned by test/cluster/prometheus/go.mod, WITH its Kubernetes service
# discovery: Debian's package (scripts/prometheus-setup.sh) is built without it, and the
# autoscaling suite scrapes runtime pods with kubernetes_sd_configs exactly as
# docs/autoscaling.md tells users. Only that SD is compiled in (the other SD plugins pull
# in every cloud SDK); the web UI's assets are not embedded (the API is all we use).
#
# Cached by lib/cached-build.sh under ~/.cache/modeldeploy/prometheus-tools/<hash>/bin/prometheus,
# where <hash> covers prometheus/go.mod, prometheus/go.sum, this script and the Go toolchain.
#
# Usage: test/cluster/build-prometheus.sh          build if needed, print the dir
#        test/cluster/build-prometheus.sh --dir    print the dir without building
# Progress goes to stderr; stdout carries exactly one line, the dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/prometheus"
CB_NAME=prometheus
CB_CACHE=prometheus-tools
CB_RESULT=
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for f in go.mod go.sum; do
    printf '== prometheus/%s\n' "$f"
    cat "$mod/$f"
  done
  printf '== build-prometheus.sh\n'
  cat "$here/build-prometheus.sh"
}

cb_build() {
  local version
  version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
  cb_log "downloading modules for prometheus $version  [elapsed $(cb_elapsed)]"
  (cd "$mod" && go mod download)
  cb_log "compiling github.com/prometheus/prometheus/cmd/prometheus (several minutes on 2 busy cores)  [elapsed $(cb_elapsed)]"
  # The version variable Prometheus' own release build sets, so /api/v1/status/buildinfo
  # tells the truth: Go module v0.3MM.P is Prometheus 3.MM.P.
  local rest="${version#v0.}" ldflags="-s -w"
  local release="3.$((${rest%%.*} - 300)).${rest#*.}"
  ldflags+=" -X github.com/prometheus/common/version.Version=$release"
  ldflags+=" -X github.com/prometheus/common/version.BuildUser=modeldeploy"
  mkdir -p "$work/bin"
  (cd "$mod" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 \
    -tags remove_all_sd,enable_kubernetes_sd -ldflags "$ldflags" \
    -o "$work/bin/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
  cat >"$work/versions.json" <<JSON
{
  "prometheus": "$version",
  "release": "$release",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
