#!/usr/bin/env bash
# Build (or reuse) the binaries of the test control plane: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok and helm, plus the Gateway API
# standard CRDs, all from the Go module proxy.
#
# Cached by lib/cached-build.sh OUTSIDE the checkout, in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/cluster-tools/<hash>/
# where <hash> covers every go.mod/go.sum under test/cluster, this script and the Go
# toolchain version. A fresh clone on a warm machine therefore skips the build; a change
# to any pin (or a cold machine) rebuilds.
#
# Usage: test/cluster/build-tools.sh            build if needed, print the tools dir
#        test/cluster/build-tools.sh --dir      print the tools dir without building
# Progress goes to stderr; stdout carries exactly one line, the tools dir, so callers can
# capture it: TOOLS=$(test/cluster/build-tools.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Module directories; each has its own go.mod because their dependency graphs conflict
# (kwok and helm pin newer k8s.io libraries than the kubernetes release we build).
module_dirs=(. etcd kwok helm gateway-api)

CB_NAME=tools
CB_CACHE=cluster-tools
CB_RESULT=
# shellcheck source=lib/cached-build.sh
source "$here/lib/cached-build.sh"

cb_inputs() {
  for d in "${module_dirs[@]}"; do
    for f in go.mod go.sum; do
      printf '== %s/%s\n' "$d" "$f"
      cat "$here/$d/$f"
    done
  done
  printf '== build-tools.sh\n'
  cat "$here/build-tools.sh"
}

# Version of a module as resolved in the module directory $1 (go.mod is the truth).
module_version() {
  (cd "$here/$1" && go list -m -f '{{.Version}}' "$2")
}

module_dir() {
  (cd "$here/$1" && go mod download -json "$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

module_time() {
  (cd "$here/$1" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2")
}

# go_build <module dir> <output name> <package> [ldflags...]
go_build() {
  local dir="$1" name="$2" pkg="$3"
  shift 3
  step=$((step + 1))
  cb_log "($step/$total) building $name from $pkg  [elapsed $(cb_elapsed)]"
  local t0
  t0=$(date +%s)
  (cd "$here/$dir" && GOFLAGS=-trimpath CGO_ENABLED=0 go build -p 2 \
    -ldflags "-s -w $*" -o "$work/bin/$name" "$pkg")
  cb_log "($step/$total) built $name in $(( $(date +%s) - t0 ))s  [elapsed $(cb_elapsed)]"
}

kube_ldflags() {
  local version="$1" build_date="$2" major minor
  major="$(echo "${version#v}" | cut -d. -f1)"
  minor="$(echo "${version#v}" | cut -d. -f2)"
  local flags=""
  # The same variables hack/lib/version.sh sets, so /version and `kubectl version`
  # report the real release instead of v0.0.0-master. The module zip carries no git
  # commit, so gitCommit stays empty rather than being invented.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit="
  done
  echo "$flags"
}

# k8s.io/kubernetes replaces its staging modules with ./staging paths that do not exist
# in the module cache, so go.mod must replace each one with the matching v0.<minor>.<patch>
# release. Check the list against the exact go.mod we pin, so a version bump cannot
# silently miss a staging module or mix releases.
check_staging_replaces() {
  local kube_version="$1" staging_version="v0.${1#v1.}" pinned_mod
  pinned_mod="$(cd "$here" && go mod download -json "k8s.io/kubernetes@$kube_version" |
    sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  local want have
  want="$(grep '=> ./staging' "$pinned_mod" | awk '{print $1 " " v}' v="$staging_version" | sort)"
  have="$(grep -E '^\s+k8s\.io/[^ ]+ => k8s\.io/' "$here/go.mod" | awk '{print $1 " " $4}' | sort)"
  if [[ "$want" != "$have" ]]; then
    cb_log "test/cluster/go.mod's replace lines do not match the staging modules of k8s.io/kubernetes $kube_version:"
    diff <(echo "$want") <(echo "$have") >&2 || true
    cb_log "fix: one 'k8s.io/<m> => k8s.io/<m> $staging_version' line per '=> ./staging' line of $pinned_mod"
    exit 1
  fi
  cb_log "go.mod replaces all $(echo "$want" | wc -l) staging modules of k8s.io/kubernetes $kube_version with $staging_version"
}

cb_build() {
  local kube_version kube_date etcd_version kwok_version helm_version gw_version gw_dir
  kube_version="$(module_version . k8s.io/kubernetes)"
  kube_date="$(module_time . k8s.io/kubernetes)"
  etcd_version="$(module_version etcd go.etcd.io/etcd/server/v3)"
  kwok_version="$(module_version kwok sigs.k8s.io/kwok)"
  helm_version="$(module_version helm helm.sh/helm/v3)"
  gw_version="$(module_version gateway-api sigs.k8s.io/gateway-api)"
  check_staging_replaces "$kube_version"
  mkdir -p "$work/bin"
  local kflags
  kflags="$(kube_ldflags "$kube_version" "${kube_date:-1970-01-01T00:00:00Z}")"

  step=0
  total=7
  go_build etcd etcd go.etcd.io/etcd/server/v3
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    # shellcheck disable=SC2086 # kflags is a list of -X flags
    go_build . "$cmd" "k8s.io/kubernetes/cmd/$cmd" $kflags
  done
  go_build kwok kwok sigs.k8s.io/kwok/cmd/kwok
  # helm's Makefile derives the default .Capabilities.KubeVersion from its client-go pin.
  local helm_k8s_minor
  helm_k8s_minor="$(module_version helm k8s.io/client-go | cut -d. -f2)"
  go_build helm helm helm.sh/helm/v3/cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$helm_version" \
    "-X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1" \
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$helm_k8s_minor" \
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1" \
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$helm_k8s_minor"

  gw_dir="$(module_dir gateway-api sigs.k8s.io/gateway-api)"
  mkdir -p "$work/crds/gateway-api"
  cp "$gw_dir"/config/crd/standard/*.yaml "$work/crds/gateway-api/"
  chmod -R u+w "$work/crds"

  # kwok v0.8 ships no built-in stages: node and pod lifecycles come from its config.
  # Take the "fast" stages (and the lease heartbeat) that kwok itself publishes.
  local kwok_dir
  kwok_dir="$(module_dir kwok sigs.k8s.io/kwok)/kustomize/stage"
  mkdir -p "$work/kwok-stages"
  cp "$kwok_dir/node/fast/node-initialize.yaml" \
    "$kwok_dir/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
    "$kwok_dir/pod/fast/pod-ready.yaml" "$kwok_dir/pod/fast/pod-complete.yaml" \
    "$kwok_dir/pod/fast/pod-delete.yaml" "$work/kwok-stages/"
  chmod -R u+w "$work/kwok-stages"

  cat >"$work/versions.json" <<EOF
{
  "kubernetes": "$kube_version",
  "etcd": "$etcd_version",
  "kwok": "$kwok_version",
  "helm": "$helm_version",
  "gatewayApi": "$gw_version",
  "go": "$(go env GOVERSION)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "buildSeconds": $(( $(date +%s) - cb_start ))
}
EOF
}

cached_build "$@"
