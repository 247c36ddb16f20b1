#!/bin/bash
# Runs the shell-helper tests (bats) with TAP output: installs Debian's bats if missing (with the very
# helper under test, so a broken need_packages shows up here first), then `bats --tap` over guest/tests.
# Usage: guest/tests/run.sh [BATS-FILE...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
need_packages bats
if (($# == 0)); then
	set -- "$here"/*.bats
fi
exec bats --tap "$@"
