#!/usr/bin/env bash
# Build the ModelDeploy images on this machine, with no container registry:
#   modeldeploy/runtime:dev   from Dockerfile.runtime
#   modeldeploy/operator:dev  from Dockerfile.operator (only once operator/src/main.ts exists)
# on the Node base image that scripts/docker-setup.sh seeds, then print sizes and times.
#
# Usage: scripts/build-images.sh [runtime] [operator]     (default: both)
# Env:   MODELDEPLOY_IMAGE_TAG   tag to build (default dev)
# Warm runs take seconds: BuildKit reuses its layer cache and npm's cache mount.
# Progress goes to stderr; stdout gets the summary table.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${MODELDEPLOY_IMAGE_TAG:-dev}"
start=$(date +%s)

log() { printf '[build-images %4ss] %s\n' "$(($(date +%s) - start))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Debian's CLI matches Debian's daemon and talks to its built-in BuildKit directly; a newer
# CLI elsewhere on PATH would want the buildx plugin.
docker_cli() {
  if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

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

# build_image <workspace>: prints "<image> <seconds>" on success.
build_image() {
  local ws=$1 image="modeldeploy/$1:$tag" t0 revision version secret_args
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
    "$repo" >&2 || die "docker build of $image failed (output above); fix it and rerun $0"
  echo "$image $(($(date +%s) - t0))"
}

main() {
  local targets=("$@") results=() ws line
  [[ ${#targets[@]} -gt 0 ]] || targets=(runtime operator)
  NODE_IMAGE=$("$repo/scripts/docker-setup.sh")
  log "base image $NODE_IMAGE"
  for ws in "${targets[@]}"; do
    case $ws in
      runtime | operator) ;;
      *) die "unknown image '$ws'; use runtime and/or operator" ;;
    esac
    if [[ ! -f "$repo/$ws/src/main.ts" ]]; then
      log "skipping $ws: $ws/src/main.ts does not exist yet"
      continue
    fi
    results+=("$(build_image "$ws")")
  done
  printf '%-32s %10s %10s\n' IMAGE SIZE BUILD
  for line in "${results[@]}"; do
    set -- $line
    printf '%-32s %9sM %9ss\n' "$1" \
      "$(($(docker_cli image inspect -f '{{.Size}}' "$1") / 1000000))" "$2"
  done
  log "done"
}

main "$@"
