#!/usr/bin/env bash
# Build (or reuse) what the test cluster's REAL node runs besides Debian's packages:
#   bin/kubelet, bin/kube-proxy   from k8s.io/kubernetes, module node/ (go.mod = the control
#                                 plane's ../go.mod with these two tools; same versions, so
#                                 the Go build cache makes the shared packages fast)
#   bin/pause                     test/cluster/node/pause.c, gcc -static
#   images/pause.tar              a docker-archive image of bin/pause, tagged
#                                 registry.k8s.io/pause:<version kubelet 1.35 expects>, for
#                                 `ctr -n k8s.io images import` (no registry is contacted)
#
# Cached by lib/cached-build.sh, separately from the control plane (its cache stays valid):
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/node-tools/<hash>/
# where <hash> covers node/go.mod, node/go.sum, this script, pause.c, the Go toolchain and gcc.
#
# Usage: test/cluster/build-node-tools.sh          build if needed, print the dir
#        test/cluster/build-node-tools.sh --dir    print the dir without building
# Progress goes to stderr; stdout carries exactly one line, the dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# kubeadm's constants.PauseVersion of k8s.io/kubernetes v1.35.x; containerd's sandbox_image.
PAUSE_IMAGE="registry.k8s.io/pause:3.10.1"
CB_NAME=node-tools
CB_RESULT=
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

die() {
  cb_log "ERROR: $*"
  exit 1
}

cb_inputs() {
  for f in node/go.mod node/go.sum build-node-tools.sh node/pause.c; do
    printf '== %s\n' "$f"
    cat "$here/$f"
  done
  printf '== gcc\n'
  gcc --version | head -n 1
}

kube_ldflags() {
  local version="$1" build_date="$2" major minor flags=""
  major="$(echo "${version#v}" | cut -d. -f1)"
  minor="$(echo "${version#v}" | cut -d. -f2)"
  # The variables hack/lib/version.sh sets (see build-tools.sh): the node reports the
  # real release as its kubeletVersion/kubeProxyVersion.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
  done
  echo "$flags"
}

# The pause binary as a one-layer docker-archive (what `docker save` writes), by hand.
pause_image() {
  local out="$1" dir layer_sha config_sha created="1970-01-01T00:00:00Z"
  dir="$(mktemp -d "$work/pause-image.XXXXXX")"
  mkdir -p "$dir/rootfs"
  install -m 0755 "$work/bin/pause" "$dir/rootfs/pause"
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$dir/rootfs" \
    -cf "$dir/layer.tar" pause
  layer_sha="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  mkdir -p "$dir/archive/$layer_sha"
  mv "$dir/layer.tar" "$dir/archive/$layer_sha/layer.tar"
  printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"test/cluster/build-node-tools.sh (test/cluster/node/pause.c)"}]}' \
    "$created" "$layer_sha" "$created" >"$dir/config.json"
  config_sha="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/archive/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_sha" "$PAUSE_IMAGE" "$layer_sha" >"$dir/archive/manifest.json"
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$dir/archive" -cf "$out" .
  rm -rf "$dir"
}

cb_build() {
  local kube_version kube_date kflags t0 cmd
  mkdir -p "$work/bin"
  kube_version="$(cd "$here/node" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  kube_date="$(cd "$here/node" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  kflags="$(kube_ldflags "$kube_version" "${kube_date:-1970-01-01T00:00:00Z}")"
  for cmd in kubelet kube-proxy; do
    t0=$(date +%s)
    cb_log "building $cmd from k8s.io/kubernetes/cmd/$cmd $kube_version  [elapsed $(cb_elapsed)]"
    # shellcheck disable=SC2086 # kflags is a list of -X flags
    (cd "$here/node" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 \
      -ldflags "-s -w $kflags" -o "$work/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
    cb_log "built $cmd in $(($(date +%s) - t0))s"
  done
  command -v gcc >/dev/null || die "gcc is missing; run scripts/node-setup.sh (it installs gcc and libc6-dev)"
  gcc -static -Os -s -o "$work/bin/pause" "$here/node/pause.c" ||
    die "gcc -static of node/pause.c failed; install libc6-dev (scripts/node-setup.sh)"
  mkdir -p "$work/images"
  pause_image "$work/images/pause.tar"
  cat >"$work/versions.json" <<JSON
{
  "kubernetes": "$kube_version",
  "pauseImage": "$PAUSE_IMAGE",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(($(date +%s) - cb_start))
}
JSON
}

cached_build "$@"
