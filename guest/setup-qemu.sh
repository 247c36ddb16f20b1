#!/bin/bash
# Set up QEMU >= 10.2 (vhost-user-test-device) in a Debian trixie chroot:
#   DIR/root/        debootstrap --variant=minbase trixie, plus qemu-system-x86 from trixie-backports
#   DIR/ok           stamp, written last and only on success (holds the QEMU version)
# Idempotent: with the stamp present it only prints the root. Without it, whatever is in DIR is a
# half-done run: mounts under DIR/root are unmounted, DIR/root is removed and the setup redone.
# The Debian mirror comes from this machine's apt sources at run time.
# QEMU then runs as `chroot DIR/root qemu-system-x86_64 ...` and every path it opens (kernel, initrd,
# sockets, serial log) must lie inside DIR/root (ensure.sh puts the guest under DIR/root/ballast).
# Prints the chroot path (DIR/root) on stdout. Usage: setup-qemu.sh DIR
#        setup-qemu.sh --describe   prints, on one line, what a setup does (ensure.sh --plan shows it)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

suite=trixie
qemu_package=qemu-system-x86
if [[ ${1:-} == --describe ]]; then
	echo "debootstrap --variant=minbase $suite into a chroot, then $qemu_package from $suite-backports (apt in the chroot)"
	exit 0
fi
(($# == 1)) || die "usage: $0 DIR | $0 --describe"
mkdir -p "$1"
dir=$(cd "$1" && pwd)
root=$dir/root
stamp=$dir/ok
min_version=10.2

if [[ -f $stamp && -x $root/usr/bin/qemu-system-x86_64 ]]; then
	printf '%s\n' "$root"
	exit 0
fi

# Half-done (interrupted) run: debootstrap mounts /proc and /sys inside the target, so unmount
# everything below the root, deepest first, before removing it.
unmount_below() {
	local m
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | while IFS= read -r m; do
		umount -l "$m" || true
	done
}
rm -f "$stamp"
if [[ -e $root ]]; then
	log "removing the half-done chroot $root"
	unmount_below "$root"
	rm -rf --one-file-system "$root"
fi

need_packages debootstrap
mirror=$(debian_mirror)
start=$(now_ms)
log "debootstrap --variant=minbase $suite $root $mirror"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$dir/debootstrap.log" 2>&1; then
	tail -n 20 "$dir/debootstrap.log" >&2
	unmount_below "$root"
	die "debootstrap failed (log: $dir/debootstrap.log)"
fi
echo "deb $mirror $suite-backports main" >"$root/etc/apt/sources.list.d/backports.list"
log "installing $qemu_package from $suite-backports"
{
	chroot "$root" apt-get update
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-t "$suite-backports" "$qemu_package"
	chroot "$root" apt-get clean
} >"$dir/apt.log" 2>&1 || {
	tail -n 20 "$dir/apt.log" >&2
	unmount_below "$root"
	die "installing QEMU in the chroot failed (log: $dir/apt.log)"
}
unmount_below "$root"

version=$(chroot "$root" qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }')
if [[ $(printf '%s\n%s\n' "$min_version" "$version" | sort -V | head -n 1) != "$min_version" ]]; then
	die "QEMU $version in the chroot is older than $min_version (no vhost-user-test-device)"
fi
mkdir -p "$root/ballast/run"
printf '%s\n' "$version" >"$stamp"
log "QEMU $version ready in $root in $((($(now_ms) - start) / 1000)) s"
printf '%s\n' "$root"
