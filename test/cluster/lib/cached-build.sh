#!/usr/bin/env bash
# The cache logic every Go tool build shares: sourced, never run. A build script sets
#   CB_NAME     short name, for log lines and the cache folder (e.g. kstatus)
#   CB_CACHE    the cache folder's name when it differs from CB_NAME (optional)
#   CB_RESULT   path inside the build dir that the script prints (e.g. bin/kstatus);
#               empty: the script prints the build dir itself
# and defines two functions,
#   cb_inputs   prints everything the build depends on (module files, the script itself);
#               the toolchain version is added here, and the hash of it all names the dir
#   cb_build    builds into "$work" (a fresh temporary dir beside the cache)
# then calls `cached_build "$@"`. The result lives in
#   ${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/$CB_NAME/<hash>/
# and is reused by any checkout on the machine: a lock makes parallel callers wait for one
# build, `.complete` marks a finished one, the move into place is atomic, `.last-used`
# lets builds unused for two days be pruned, and a heartbeat line every minute shows a long
# build is alive.
#
# With --dir, cached_build prints the build dir without building.

cb_log() { printf '[build-%s] %s\n' "$CB_NAME" "$*" >&2; }

cb_elapsed() {
  local s=$(($(date +%s) - cb_start))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

cb_hash() {
  {
    cb_inputs
    printf '== toolchain\n'
    go env GOVERSION GOOS GOARCH
  } | sha256sum | cut -c1-16
}

cb_prune_stale() {
  local dir
  for dir in "$cb_root"/*/; do
    dir="${dir%/}"
    [[ "$dir" == "$cb_dest" || ! -d "$dir" ]] && continue
    if [[ -z "$(find "$dir" -maxdepth 1 -name .last-used -mtime -2)" ]]; then
      cb_log "removing stale build $dir"
      rm -rf "$dir" "$cb_root/.lock-$(basename "$dir")"
    fi
  done
}

# Prints "still building" every 60 s until the build (the caller's shell) ends.
cb_heartbeat() {
  local parent=$$
  (
    # stdout stays the caller's one-line answer; the sleep dies with this loop, so no
    # descendant keeps the caller's pipes open after the build.
    exec >/dev/null
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while kill -0 "$parent" 2>/dev/null; do
      sleep 60 &
      nap=$!
      wait "$nap"
      kill -0 "$parent" 2>/dev/null && cb_log "still building  [elapsed $(cb_elapsed)]"
    done
  ) &
  cb_heartbeat_pid=$!
}

cached_build() {
  cb_root="${MODELDEPLOY_CACHE_DIR:-$HOME/.cache/modeldeploy}/${CB_CACHE:-$CB_NAME}"
  cb_dest="$cb_root/$(cb_hash)"
  if [[ "${1:-}" == "--dir" ]]; then
    echo "$cb_dest"
    return
  fi
  if [[ -f "$cb_dest/.complete" ]]; then
    cb_log "reusing $cb_dest"
    touch "$cb_dest/.last-used"
    cb_result
    return
  fi
  mkdir -p "$cb_root"
  exec 9>"$cb_root/.lock-$(basename "$cb_dest")"
  if ! flock -n 9; then
    cb_log "another build of $(basename "$cb_dest") is running; waiting for it"
    flock 9
  fi
  if [[ -f "$cb_dest/.complete" ]]; then
    cb_log "reusing $cb_dest (built by another process)"
    touch "$cb_dest/.last-used"
    cb_result
    return
  fi
  cb_start=$(date +%s)
  work="$cb_root/.tmp-$(basename "$cb_dest")-$$"
  rm -rf "$work"
  mkdir -p "$work"
  cb_heartbeat
  trap 'kill "$cb_heartbeat_pid" 2>/dev/null; rm -rf "$work"' EXIT
  cb_log "cold build into $cb_dest"
  cb_build
  touch "$work/.complete"
  rm -rf "$cb_dest"
  mv "$work" "$cb_dest"
  kill "$cb_heartbeat_pid" 2>/dev/null || true
  trap - EXIT
  touch "$cb_dest/.last-used"
  cb_prune_stale
  cb_log "done in $(cb_elapsed): $(du -sh "$cb_dest" | cut -f1) in $cb_dest"
  cb_result
}

cb_result() {
  if [[ -n "${CB_RESULT:-}" ]]; then echo "$cb_dest/$CB_RESULT"; else echo "$cb_dest"; fi
}
