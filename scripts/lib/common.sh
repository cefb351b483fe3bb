# Helpers the scripts in scripts/ share; source it, do not run it:
#   LOG_NAME=build-images LOG_START=$(date +%s)
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# LOG_NAME is the [prefix] of every progress line. With LOG_START set, each line also says
# how many seconds the script has run, which is what a slow setup step needs to show.

# Progress goes to stderr: several scripts print a result on stdout for callers to capture.
log() {
  if [[ -n ${LOG_START:-} ]]; then
    printf '[%s %4ss] %s\n' "$LOG_NAME" "$(($(date +%s) - LOG_START))" "$*" >&2
  else
    printf '[%s] %s\n' "$LOG_NAME" "$*" >&2
  fi
}

die() {
  log "ERROR: $*"
  exit 1
}

# The docker CLI that matches Debian's daemon and talks to its built-in BuildKit directly;
# a newer CLI elsewhere on PATH (for example a static one in /usr/local/bin) wants the
# buildx plugin for `docker build`.
docker_cli() {
  if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi
}
