#!/usr/bin/env bats
# Tests for `guest/ensure.sh --plan`, what `ballast guest-bench` shows before a first run: it reads the same
# package list and cache keys as a real run and changes nothing. dpkg-query is the stand-in of stubs/.

setup() {
	STUB_DIR=$(mktemp -d)
	export STUB_DIR
	: >"$STUB_DIR/installed"
	: >"$STUB_DIR/known"
	: >"$STUB_DIR/available"
	: >"$STUB_DIR/calls"
	export PATH="$BATS_TEST_DIRNAME/stubs:$PATH"
	export BALLAST_GUEST_CACHE="$STUB_DIR/cache"
	ENSURE="$BATS_TEST_DIRNAME/../ensure.sh"
}

teardown() {
	rm -rf "$STUB_DIR"
}

@test "ensure.sh --plan on a fresh machine lists every build package and every artifact, and creates nothing" {
	run "$ENSURE" --plan
	[ "$status" -eq 0 ]
	[[ $output == *"PLAN_PACKAGES=linux-source-6.1 bc bison flex"*"debootstrap"* ]]
	[[ $output == *"PLAN_BUILD=kernel module initrd qemu"* ]]
	[[ $output == *"PLAN_QEMU=debootstrap --variant=minbase trixie"*"qemu-system-x86 from trixie-backports"* ]]
	[ ! -e "$BALLAST_GUEST_CACHE" ]
	! grep -q '^apt-get' "$STUB_DIR/calls"
}

@test "ensure.sh --plan lists only the packages not installed" {
	for p in linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio gzip xz-utils kmod busybox-static gcc libc6-dev make; do
		echo "$p 1" >>"$STUB_DIR/installed"
	done
	run "$ENSURE" --plan
	[ "$status" -eq 0 ]
	[[ $output == *"PLAN_PACKAGES=debootstrap"$'\n'* ]]
}
