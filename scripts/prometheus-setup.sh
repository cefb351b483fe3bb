#!/usr/bin/env bash
# Make a real Prometheus server binary available for the canary analysis tests
# (test/integration-prometheus): install Debian's `prometheus` package when it is missing.
#
# We only want the binary. The tests start their own `prometheus` process with a temporary
# config, `--web.listen-address=127.0.0.1:<free port>` and `--storage.tsdb.path=<tmp dir>`;
# the package's own service (systemd unit or /etc/init.d script, listening on :9090 and
# scraping the machine) is never what we use. If installing the package started that
# service, this script stops it again so it does not hold :9090 or scrape in the background.
#
# Idempotent and cheap when warm (one `command -v`).
# Usage: scripts/prometheus-setup.sh
# Progress goes to stderr; stdout carries exactly one line, the path of the prometheus
# binary, so callers can capture it: PROMETHEUS_BIN=$(scripts/prometheus-setup.sh).
# Needs root only when the package is missing (apt-get).
set -euo pipefail

LOG_NAME=prometheus-setup LOG_START=$(date +%s)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

find_binary() {
  if [[ -x /usr/bin/prometheus ]]; then
    echo /usr/bin/prometheus
  else
    command -v prometheus || true
  fi
}

stop_packaged_service() {
  # Only the package's own daemon: identified by its pid file or its unit, never by name.
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    if systemctl is-active --quiet prometheus.service; then
      log "stopping and disabling the package's prometheus.service (the tests run their own server)"
      systemctl disable --now prometheus.service >&2 || true
    fi
    return 0
  fi
  if [[ -x /etc/init.d/prometheus && -f /run/prometheus.pid ]]; then
    log "stopping the package's /etc/init.d/prometheus daemon (the tests run their own server)"
    /etc/init.d/prometheus stop >&2 || true
  fi
}

bin=$(find_binary)
if [[ -z "$bin" ]]; then
  [[ $(id -u) -eq 0 ]] || die "prometheus is not installed and installing it needs root; rerun with sudo or apt-get install prometheus"
  log "apt-get install prometheus (apt-get update first)"
  # A lock held by a concurrent apt run (another engineer, CI) is waited for, not fatal.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends prometheus >&2
  stop_packaged_service
  bin=$(find_binary)
  [[ -n "$bin" ]] || die "apt-get installed prometheus but no prometheus binary is on PATH"
fi

log "using $("$bin" --version 2>&1 | head -n 1)"
echo "$bin"
