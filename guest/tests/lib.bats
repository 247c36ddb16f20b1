#!/usr/bin/env bats
# Tests for guest/lib.sh, the helpers every guest script sources. dpkg-query and apt-get are stand-ins
# (stubs/) on PATH, so nothing here installs anything; each test runs the helper in a fresh
# `bash -c` under `set -euo pipefail`, exactly as the scripts do.

setup() {
	STUB_DIR=$(mktemp -d)
	export STUB_DIR
	: >"$STUB_DIR/installed"
	: >"$STUB_DIR/known"
	: >"$STUB_DIR/available"
	: >"$STUB_DIR/calls"
	LIB="$BATS_TEST_DIRNAME/../lib.sh"
	export PATH="$BATS_TEST_DIRNAME/stubs:$PATH"
}

teardown() {
	rm -rf "$STUB_DIR"
}

# in_script CODE: runs CODE after sourcing lib.sh in a strict script, like guest/ensure.sh.
in_script() {
	bash -c "set -euo pipefail; source '$LIB'; $1"
}

@test "need_packages does nothing when every package is installed" {
	printf 'gcc 12\nmake 4.3\n' >"$STUB_DIR/installed"
	run in_script 'need_packages gcc make; echo done'
	[ "$status" -eq 0 ]
	[ "$output" = done ]
	! grep -q '^apt-get' "$STUB_DIR/calls"
}

@test "need_packages installs a package dpkg has never heard of (dpkg-query exits 1)" {
	printf 'gcc 12\n' >"$STUB_DIR/installed"
	printf 'bats\n' >"$STUB_DIR/available"
	run in_script 'need_packages gcc bats; echo done'
	[ "$status" -eq 0 ]
	[[ $output == *done* ]]
	grep -qx 'apt-get install -y --no-install-recommends bats' "$STUB_DIR/calls"
	grep -q '^bats ' "$STUB_DIR/installed"
}

@test "need_packages installs a package dpkg knows but that is not installed" {
	printf 'flex\n' >"$STUB_DIR/known"
	printf 'flex\n' >"$STUB_DIR/available"
	run in_script 'need_packages flex; echo done'
	[ "$status" -eq 0 ]
	grep -qx 'apt-get install -y --no-install-recommends flex' "$STUB_DIR/calls"
}

@test "need_packages installs only the missing ones, in one apt-get call" {
	printf 'gcc 12\n' >"$STUB_DIR/installed"
	printf 'flex\n' >"$STUB_DIR/known"
	printf 'flex\nbison\n' >"$STUB_DIR/available"
	run in_script 'need_packages gcc flex bison'
	[ "$status" -eq 0 ]
	[ "$(grep -c '^apt-get install' "$STUB_DIR/calls")" -eq 1 ]
	grep -qx 'apt-get install -y --no-install-recommends flex bison' "$STUB_DIR/calls"
}

@test "need_packages runs apt-get update when a fresh machine has no package lists" {
	printf 'bats\n' >"$STUB_DIR/available"
	touch "$STUB_DIR/needs-update"
	run in_script 'need_packages bats; echo done'
	[ "$status" -eq 0 ]
	[[ $output == *done* ]]
	[ "$(grep -c . "$STUB_DIR/calls")" -eq 4 ] # dpkg-query, install, update, install
	grep -qx 'apt-get update' "$STUB_DIR/calls"
}

@test "need_packages fails loudly when a package cannot be installed" {
	run in_script 'need_packages no-such-package; echo notreached'
	[ "$status" -ne 0 ]
	[[ $output != *notreached* ]]
	[[ $output == *"apt-get install no-such-package failed"* ]]
}

@test "need_packages fails loudly when apt-get update fails" {
	printf 'bats\n' >"$STUB_DIR/available"
	touch "$STUB_DIR/needs-update" "$STUB_DIR/update-fails"
	run in_script 'need_packages bats'
	[ "$status" -ne 0 ]
	[[ $output == *"apt-get update failed"* ]]
}

@test "need_packages fails loudly when dpkg-query itself breaks" {
	echo 2 >"$STUB_DIR/dpkg-status"
	run in_script 'need_packages gcc'
	[ "$status" -ne 0 ]
	[[ $output == *"dpkg-query -W gcc failed with status 2"* ]]
}

@test "missing_packages prints the packages not installed, in the order given, and installs nothing" {
	printf 'gcc 12\n' >"$STUB_DIR/installed"
	printf 'flex\n' >"$STUB_DIR/known"
	run in_script 'missing_packages flex gcc bats'
	[ "$status" -eq 0 ]
	[ "$output" = "flex bats" ]
	! grep -q '^apt-get' "$STUB_DIR/calls"
}

@test "missing_packages prints an empty line when everything is installed" {
	printf 'gcc 12\nmake 4.3\n' >"$STUB_DIR/installed"
	run in_script 'printf "[%s]\n" "$(missing_packages gcc make)"'
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "a failing command substitution is named on stderr, not silent" {
	run in_script 'x=$(false); echo notreached'
	[ "$status" -ne 0 ]
	[[ $output != *notreached* ]]
	[[ $output == *'ERROR: `x=$(false)` exited 1'* ]]
}

@test "a failing pipeline is named on stderr with its line" {
	run bash -c "set -euo pipefail; source '$LIB'
grep -q nothing /dev/null | cat"
	[ "$status" -ne 0 ]
	[[ $output == *"ERROR:"*"exited 1"* ]]
}

@test "die prints its message and exits 1" {
	run in_script 'die "the sky fell"'
	[ "$status" -eq 1 ]
	[[ $output == *"ERROR: the sky fell"* ]]
}

@test "pkg_version prints the version of an installed package and nothing for an unknown one" {
	printf 'gcc 12.2.0\n' >"$STUB_DIR/installed"
	run in_script 'echo "[$(pkg_version gcc)] [$(pkg_version never-heard-of)]"'
	[ "$status" -eq 0 ]
	[ "$output" = "[12.2.0] []" ]
}

@test "debian_mirror reads the deb822 sources first, skipping the security archive" {
	printf 'Types: deb\nURIs: http://security.example.invalid/debian-security\n\nTypes: deb\nURIs: http://archive.example.invalid/debian/\n' >"$STUB_DIR/debian.sources"
	printf 'deb http://other.example.invalid/debian bookworm main\n' >"$STUB_DIR/sources.list"
	APT_DEB822_SOURCES=$STUB_DIR/debian.sources APT_SOURCES_LIST=$STUB_DIR/sources.list run in_script debian_mirror
	[ "$status" -eq 0 ]
	[ "$output" = http://archive.example.invalid/debian ]
}

@test "debian_mirror falls back to the one-line sources.list, options and all" {
	printf 'deb [arch=amd64] http://archive.example.invalid/debian bookworm main\n' >"$STUB_DIR/sources.list"
	APT_DEB822_SOURCES=$STUB_DIR/missing APT_SOURCES_LIST=$STUB_DIR/sources.list run in_script debian_mirror
	[ "$status" -eq 0 ]
	[ "$output" = http://archive.example.invalid/debian ]
}

@test "debian_mirror fails loudly when no source names a mirror" {
	APT_DEB822_SOURCES=$STUB_DIR/missing APT_SOURCES_LIST=$STUB_DIR/missing run in_script debian_mirror
	[ "$status" -ne 0 ]
	[[ $output == *"cannot derive the Debian mirror"* ]]
}
