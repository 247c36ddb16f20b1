#!/usr/bin/env bash
# Installs what the unit tests run: systemd-analyze (verify, security) and systemd-socket-activate, both in Debian's
# systemd package. Idempotent: a machine that has them spends one dpkg-query. No systemd PID 1 is needed.
set -euo pipefail
# shellcheck source=../../guest/lib.sh
. "$(dirname "$0")/../../guest/lib.sh"
need_packages systemd
command -v systemd-analyze >/dev/null || die "systemd-analyze is missing after installing systemd"
command -v systemd-socket-activate >/dev/null || die "systemd-socket-activate is missing after installing systemd"
