#!/usr/bin/env bash
# Build the ModelDeploy images on this machine, with no container registry:
#   modeldeploy/runtime:TAG          from Dockerfile.runtime
#   modeldeploy/operator:TAG         from Dockerfile.operator (once operator/src/main.ts exists)
#   modeldeploy/runtime-example:TAG  the runtime with examples/models/mlp-tiny.onnx baked in
#                                    (--build-arg MODEL=...), as users package one model
#   modeldeploy/runtime-examples:TAG the runtime with every examples/models/*.onnx under
#                                    /models/<name>.onnx, the URIs examples/*.yaml use (the
#                                    real test node runs it; built after runtime)
# on the Node base image that scripts/docker-setup.sh seeds, then print sizes and times.
#
# Usage: scripts/build-images.sh [runtime] [operator] [runtime-example] [runtime-examples]
#        (default: all)
#        scripts/build-images.sh --print-tag   prints TAG and exits
# Env:   MODELDEPLOY_IMAGE_TAG   tag to build (default: dev- and 12 hex digits of the sha256 of
#        this checkout's real path, as test/support/image-tag.ts computes it, so checkouts
#        sharing a Docker daemon do not overwrite each other's images)
# Warm runs take seconds: BuildKit reuses its layer cache and npm's cache mount.
# Progress goes to stderr; stdout gets the summary table.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
tag="${MODELDEPLOY_IMAGE_TAG:-dev-$(printf '%s' "$repo" | sha256sum | cut -c1-12)}"
if [[ ${1:-} == --print-tag ]]; then
  echo "$tag"
  exit 0
fi
LOG_NAME=build-images LOG_START=$(date +%s)
# shellcheck source=lib/common.sh
source "$repo/scripts/lib/common.sh"

# The CA bundle npm should trust inside the build (a TLS-intercepting proxy's CA is in the
# host's bundle, not in the base image's). Passed as a secret: it never lands in a layer.
npm_ca_args() {
  local ca
  for ca in "${NODE_EXTRA_CA_CERTS:-}" "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [[ -n $ca && -s $ca ]]; then
      printf -- '--secret\nid=npm_ca,src=%s\n' "$ca"
      return 0
    fi
  done
}

# build_image <name> <workspace> [docker build args...]: prints "<image> <seconds>".
build_image() {
  local image="modeldeploy/$1:$tag" ws=$2 t0 revision version secret_args
  shift 2
  t0=$(date +%s)
  revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
  version=$(node -p "require('$repo/package.json').version" 2>/dev/null || echo dev)
  mapfile -t secret_args < <(npm_ca_args)
  log "building $image (Dockerfile.$ws)"
  DOCKER_BUILDKIT=1 docker_cli build \
    --progress=plain \
    -f "$repo/Dockerfile.$ws" \
    -t "$image" \
    --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    --build-arg "VERSION=$version" \
    --build-arg "REVISION=$revision" \
    "${secret_args[@]}" \
    "$@" \
    "$repo" >&2 || die "docker build of $image failed (output above); fix it and rerun $0"
  echo "$image $(($(date +%s) - t0))"
}

# modeldeploy/runtime:<tag> plus examples/models/*.onnx in /models: prints "<image> <seconds>".
build_examples_image() {
  local image="modeldeploy/runtime-examples:$tag" t0
  t0=$(date +%s)
  docker_cli image inspect "modeldeploy/runtime:$tag" >/dev/null 2>&1 ||
    die "runtime-examples needs modeldeploy/runtime:$tag; build it first: $0 runtime"
  log "building $image (modeldeploy/runtime:$tag + examples/models/*.onnx in /models)"
  printf 'FROM modeldeploy/runtime:%s\nCOPY examples/models/*.onnx /models/\n' "$tag" |
    DOCKER_BUILDKIT=1 docker_cli build --progress=plain -f - -t "$image" "$repo" >&2 ||
    die "docker build of $image failed (output above); fix it and rerun $0"
  echo "$image $(($(date +%s) - t0))"
}

# Each rebuild leaves the previous image untagged and BuildKit's cache only grows (Debian's
# daemon runs no builder GC); on a machine that builds many times a day both add up.
# Only images with the seeded base's label (ours) are pruned.
prune_stale() {
  docker_cli image prune -f --filter label=io.modeldeploy.base-key >/dev/null ||
    log "warning: could not prune untagged modeldeploy images"
  docker_cli builder prune -f --filter until=72h >/dev/null ||
    log "warning: could not prune the BuildKit cache"
}

main() {
  local targets=("$@") results=() ws line
  [[ ${#targets[@]} -gt 0 ]] || targets=(runtime operator runtime-example runtime-examples)
  NODE_IMAGE=$("$repo/scripts/docker-setup.sh")
  log "base image $NODE_IMAGE"
  for ws in "${targets[@]}"; do
    case $ws in
      runtime | operator | runtime-example | runtime-examples) ;;
      *) die "unknown image '$ws'; use runtime, operator, runtime-example and/or runtime-examples" ;;
    esac
  done
  for ws in "${targets[@]}"; do
    if [[ $ws == runtime-examples ]]; then
      results+=("$(build_examples_image)")
      continue
    fi
    if [[ ! -f "$repo/${ws%-example}/src/main.ts" ]]; then
      log "skipping $ws: ${ws%-example}/src/main.ts does not exist yet"
      continue
    fi
    if [[ $ws == runtime-example ]]; then
      results+=("$(build_image "$ws" runtime --build-arg MODEL=examples/models/mlp-tiny.onnx)")
    else
      results+=("$(build_image "$ws" "$ws")")
    fi
  done
  prune_stale
  printf '%-46s %10s %10s\n' IMAGE SIZE BUILD
  local image seconds
  for line in "${results[@]}"; do
    read -r image seconds <<<"$line"
    printf '%-46s %9sM %9ss\n' "$image" \
      "$(($(docker_cli image inspect -f '{{.Size}}' "$image") / 1000000))" "$seconds"
  done
  log "done"
}

main "$@"
