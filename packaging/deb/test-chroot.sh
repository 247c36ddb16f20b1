#!/bin/bash
# A pristine minimal Debian 12 (bookworm) root for the package install tests (tests/Ballast.Packaging.Tests):
#   $CACHE/deb-chroot/<KEY>/root/   debootstrap --variant=minbase bookworm, plus man-db (for `man -l`)
#   $CACHE/deb-chroot/<KEY>/ok      stamp, written last and only on success
# KEY is a hash of this script, so changing it builds a new root (older keys are removed). The root is never
# changed after it is made: every test mounts an overlay on it (or copies it) and installs into that.
# Idempotent: with the stamp present it only prints the root. Without it, whatever is there is a half-done
# run and is removed first. flock serialises callers. The Debian mirror comes from this machine's apt sources
# (guest/lib.sh debian_mirror). Prints the root's path on stdout; logs go to stderr.
# Usage: test-chroot.sh        Environment: BALLAST_GUEST_CACHE (default /var/cache/ballast-guest)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../guest/lib.sh
source "$here/../../guest/lib.sh"

(($# == 0)) || die "usage: $0"
((EUID == 0)) || die "debootstrap and chroot need root"
suite=bookworm
base=${BALLAST_GUEST_CACHE:-/var/cache/ballast-guest}/deb-chroot
mkdir -p "$base"
base=$(cd "$base" && pwd)
key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
dir=$base/$key
root=$dir/root
stamp=$dir/ok

exec 9>"$base/.lock"
flock 9

if [[ -f $stamp && -x $root/usr/bin/dpkg ]]; then
	printf '%s\n' "$root"
	exit 0
fi

# debootstrap mounts /proc and /sys inside the target: unmount everything below a root, deepest first.
unmount_below() {
	local m
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | while IFS= read -r m; do
		umount -l "$m" || true
	done
}
for old in "$base"/*/; do
	old=${old%/}
	[[ -d $old && $old != "$dir" ]] || continue
	log "removing $old (made by another version of this script)"
	unmount_below "$old"
	rm -rf --one-file-system "$old"
done
if [[ -e $dir ]]; then
	log "removing the half-done root $dir"
	unmount_below "$dir"
	rm -rf --one-file-system "$dir"
fi
mkdir -p "$dir"

need_packages debootstrap
mirror=$(debian_mirror)
start=$(now_ms)
log "debootstrap --variant=minbase --include=man-db $suite $root $mirror"
if ! debootstrap --variant=minbase --include=man-db "$suite" "$root" "$mirror" >"$dir/debootstrap.log" 2>&1; then
	tail -n 20 "$dir/debootstrap.log" >&2
	unmount_below "$root"
	die "debootstrap failed (log: $dir/debootstrap.log)"
fi
unmount_below "$root"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*
touch "$stamp"
log "Debian $suite root ready in $root in $((($(now_ms) - start) / 1000)) s"
printf '%s\n' "$root"
