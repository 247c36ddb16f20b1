#!/bin/bash
# The entry point real-guest tests call: makes sure the guest kernel, initramfs and QEMU chroot
# exist in the cache, building only what is missing, and prints KEY=VALUE lines on stdout (logs go
# to stderr). Each artifact lives in a directory named after a sha256 of its inputs:
#   $CACHE/kernel/<KERNEL_KEY>/   build-kernel.sh, lib.sh, kernel/ballast.config, linux-source-6.1 and
#                                 gcc versions
#   $CACHE/module/<MODULE_KEY>/   ballast_balloon.ko: module/build.sh, module/Makefile, module/*.c,
#                                 module/*.h, KERNEL_KEY
#   $CACHE/initrd/<INITRD_KEY>/   build-initramfs.sh, lib.sh, initramfs/init, initramfs/hog.c,
#                                 busybox-static and libc6-dev versions, KERNEL_KEY, MODULE_KEY,
#                                 extra modules
#   $CACHE/qemu/<QEMU_KEY>/       setup-qemu.sh, lib.sh (the chroot; its own stamp)
# With --debian-kernel also Debian's prebuilt kernel and an initramfs with its modules:
#   $CACHE/debian-kernel/<DEBIAN_KERNEL_KEY>/  debian-kernel.sh, lib.sh, the image package's name and version
#   $CACHE/initrd/<DEBIAN_INITRD_KEY>/         as INITRD_KEY, with DEBIAN_KERNEL_KEY for KERNEL_KEY and no module
# Kernel and initramfs are built in $CACHE/*/.tmp-* and renamed into place on success, so an
# interrupted run leaves nothing that looks finished. flock on $CACHE/.lock serialises callers.
# The kernel and initramfs are hard-linked into the chroot under /ballast so chrooted QEMU sees them.
#
# Usage: ensure.sh [--prune] [--debian-kernel] [EXTRA.ko...]
#        ensure.sh --plan
#   --plan     change nothing (no root needed): print what a run would do first, as
#              PLAN_PACKAGES=<Debian packages it would install>, PLAN_BUILD=<kernel module initrd qemu: what is
#              not cached> and PLAN_QEMU=<how the QEMU chroot is made> (`ballast guest-bench` says it before its first run)
#   EXTRA.ko   more modules for the initramfs (ballast.module=NAME loads NAME.ko); an EXTRA.ko
#              named ballast_balloon.ko replaces the one built here
#   --prune    delete cached artifacts other than the ones printed
#   --debian-kernel  also Debian's own kernel (the package linux-image-amd64 depends on, downloaded with
#              apt-get download from this machine's apt sources, never installed) with an initramfs
#              carrying its virtio modules; prints the DEBIAN_* lines
# Environment: BALLAST_GUEST_CACHE (default /var/cache/ballast-guest)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

prune=0
debian=0
plan=0
extra=()
for arg in "$@"; do
	case $arg in
	--prune) prune=1 ;;
	--debian-kernel) debian=1 ;;
	--plan) plan=1 ;;
	-*) die "unknown option $arg (usage: $0 [--prune] [--debian-kernel] [EXTRA.ko...] | $0 --plan)" ;;
	*)
		[[ -f $arg ]] || die "no such module: $arg"
		extra+=("$(cd "$(dirname "$arg")" && pwd)/${arg##*/}")
		;;
	esac
done

cache=${BALLAST_GUEST_CACHE:-/var/cache/ballast-guest}
# Everything the builds need, so the keys below can read the installed versions.
build_packages=(linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio gzip xz-utils kmod
	busybox-static gcc libc6-dev make debootstrap)

# key LABEL LINE...: first 16 hex digits of the sha256 of the label and the given lines.
key() {
	printf '%s\n' "$@" | sha256sum | cut -c1-16
}
filehash() {
	sha256sum "$@" | awk '{ print $1 }'
}

qemu_key=$(key qemu "$(filehash "$here/setup-qemu.sh" "$here/lib.sh")")

if ((plan)); then
	missing=$(missing_packages "${build_packages[@]}")
	echo "PLAN_PACKAGES=$missing"
	echo "PLAN_QEMU=$("$here/setup-qemu.sh" --describe)"
	if [[ -n $missing ]]; then
		# The kernel, module and initramfs keys hold the versions of packages not installed yet: all three are built.
		todo="kernel module initrd"
		[[ -f $cache/qemu/$qemu_key/ok ]] || todo+=" qemu"
		echo "PLAN_BUILD=$todo"
		exit 0
	fi
else
	mkdir -p "$cache/kernel" "$cache/module" "$cache/initrd" "$cache/qemu" "$cache/debian-kernel"
	cache=$(cd "$cache" && pwd)

	exec 9>"$cache/.lock"
	if ! flock -n 9; then
		log "waiting for another ensure.sh holding $cache/.lock"
		flock 9
	fi
	start=$(now_ms)
	need_packages "${build_packages[@]}"
fi

kernel_key=$(key kernel \
	"$(filehash "$here/build-kernel.sh" "$here/lib.sh" "$here/kernel/ballast.config")" \
	"linux-source-6.1=$(pkg_version linux-source-6.1)" "gcc=$(gcc -dumpfullversion)")
module_key=$(key module \
	"$(filehash "$here/module/build.sh" "$here/module/Makefile" "$here"/module/*.c "$here"/module/*.h)" \
	"kernel=$kernel_key")
extra_hashes=""
if ((${#extra[@]} > 0)); then
	extra_hashes=$(filehash "${extra[@]}")
fi
initrd_key=$(key initrd \
	"$(filehash "$here/build-initramfs.sh" "$here/lib.sh" "$here/initramfs/init" "$here/initramfs/hog.c")" \
	"busybox-static=$(pkg_version busybox-static)" "libc6-dev=$(pkg_version libc6-dev)" \
	"kernel=$kernel_key" "module=$module_key" "extra=$extra_hashes")
debian_kernel_key="" debian_initrd_key="" debian_package=""
if ((debian)); then
	# The image package the metapackage points at now, and the version apt would fetch: a new upload is a new key.
	debian_package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" { print $2; exit }')
	[[ -n $debian_package ]] || die "apt knows no linux-image-amd64 (run apt-get update?)"
	debian_version=$(apt-cache show --no-all-versions "$debian_package" | awk '$1 == "Version:" { print $2; exit }')
	debian_kernel_key=$(key debian-kernel "$(filehash "$here/debian-kernel.sh" "$here/lib.sh")" "$debian_package=$debian_version")
	debian_initrd_key=$(key initrd \
		"$(filehash "$here/build-initramfs.sh" "$here/lib.sh" "$here/initramfs/init" "$here/initramfs/hog.c")" \
		"busybox-static=$(pkg_version busybox-static)" "libc6-dev=$(pkg_version libc6-dev)" "debian-kernel=$debian_kernel_key")
fi

if ((plan)); then
	todo=()
	[[ -d $cache/kernel/$kernel_key ]] || todo+=(kernel)
	[[ -d $cache/module/$module_key ]] || todo+=(module)
	[[ -d $cache/initrd/$initrd_key ]] || todo+=(initrd)
	[[ -f $cache/qemu/$qemu_key/ok ]] || todo+=(qemu)
	echo "PLAN_BUILD=${todo[*]}"
	exit 0
fi

# build KIND KEY COMMAND...: run COMMAND with a fresh temp dir appended, rename it to KIND/KEY.
build() {
	local kind=$1 k=$2 final tmp t0
	shift 2
	final=$cache/$kind/$k
	if [[ -d $final ]]; then
		log "$kind $k: cached"
		return 0
	fi
	rm -rf "$cache/$kind"/.tmp-* # leftovers of interrupted runs (we hold the lock)
	tmp=$cache/$kind/.tmp-$k-$$
	t0=$(now_ms)
	log "$kind $k: building"
	"$@" "$tmp"
	mv -T "$tmp" "$final"
	log "$kind $k: built in $((($(now_ms) - t0) / 1000)) s"
}

build_kernel() {
	"$here/build-kernel.sh" "$1"
}
build_module() {
	"$here/module/build.sh" "$1" "$cache/kernel/$kernel_key/tree"
}
build_initrd() {
	"$here/build-initramfs.sh" "$1" "$cache/kernel/$kernel_key/modules" \
		"$cache/module/$module_key/ballast_balloon.ko" "${extra[@]}"
}

build_debian_kernel() {
	"$here/debian-kernel.sh" "$1" "$debian_package"
}
build_debian_initrd() {
	"$here/build-initramfs.sh" "$1" "$cache/debian-kernel/$debian_kernel_key/modules"
}

build kernel "$kernel_key" build_kernel
build module "$module_key" build_module
build initrd "$initrd_key" build_initrd
if ((debian)); then
	build debian-kernel "$debian_kernel_key" build_debian_kernel
	build initrd "$debian_initrd_key" build_debian_initrd
fi
qemu_root=$("$here/setup-qemu.sh" "$cache/qemu/$qemu_key")

# Hard links (same file system; a copy otherwise) into the chroot, named by key.
guest_dir=$qemu_root/ballast
mkdir -p "$guest_dir/run"
link_in() {
	[[ -f $2 ]] && return 0
	ln "$1" "$2.tmp.$$" 2>/dev/null || cp "$1" "$2.tmp.$$"
	mv -f "$2.tmp.$$" "$2"
}
kernel=$guest_dir/bzImage-$kernel_key
initrd=$guest_dir/initrd-$initrd_key.gz
link_in "$cache/kernel/$kernel_key/bzImage" "$kernel"
link_in "$cache/initrd/$initrd_key/initrd.gz" "$initrd"
if ((debian)); then
	debian_kernel=$guest_dir/bzImage-debian-$debian_kernel_key
	debian_initrd=$guest_dir/initrd-$debian_initrd_key.gz
	link_in "$cache/debian-kernel/$debian_kernel_key/bzImage" "$debian_kernel"
	link_in "$cache/initrd/$debian_initrd_key/initrd.gz" "$debian_initrd"
fi

if ((prune)); then
	for d in "$cache"/kernel/* "$cache"/module/* "$cache"/initrd/* "$cache"/qemu/* "$cache"/debian-kernel/*; do
		case ${d##*/} in
		"$kernel_key" | "$module_key" | "$initrd_key" | "$qemu_key" | "$debian_kernel_key" | "$debian_initrd_key") ;;
		*)
			log "pruning $d"
			rm -rf --one-file-system "$d"
			;;
		esac
	done
	for f in "$guest_dir"/bzImage-* "$guest_dir"/initrd-*; do
		[[ $f == "$kernel" || $f == "$initrd" || $f == "${debian_kernel:-}" || $f == "${debian_initrd:-}" ]] || rm -f "$f"
	done
fi
log "ready in $(($(now_ms) - start)) ms"

cat <<EOT
CACHE=$cache
QEMU_ROOT=$qemu_root
QEMU=/usr/bin/qemu-system-x86_64
QEMU_VERSION=$(cat "$cache/qemu/$qemu_key/ok")
KERNEL=$kernel
KERNEL_IN_ROOT=${kernel#"$qemu_root"}
INITRD=$initrd
INITRD_IN_ROOT=${initrd#"$qemu_root"}
RUN_DIR=$guest_dir/run
KERNEL_TREE=$cache/kernel/$kernel_key/tree
KERNEL_RELEASE=$(cat "$cache/kernel/$kernel_key/kernelrelease")
MODULES_DIR=$cache/kernel/$kernel_key/modules
BALLAST_MODULE=$cache/module/$module_key/ballast_balloon.ko
KERNEL_KEY=$kernel_key
MODULE_KEY=$module_key
INITRD_KEY=$initrd_key
QEMU_KEY=$qemu_key
EOT
if ((debian)); then
	cat <<EOT
DEBIAN_KERNEL=$debian_kernel
DEBIAN_KERNEL_IN_ROOT=${debian_kernel#"$qemu_root"}
DEBIAN_INITRD=$debian_initrd
DEBIAN_INITRD_IN_ROOT=${debian_initrd#"$qemu_root"}
DEBIAN_KERNEL_RELEASE=$(cat "$cache/debian-kernel/$debian_kernel_key/kernelrelease")
DEBIAN_KERNEL_PACKAGE=$(cat "$cache/debian-kernel/$debian_kernel_key/package")
DEBIAN_KERNEL_KEY=$debian_kernel_key
DEBIAN_INITRD_KEY=$debian_initrd_key
EOT
fi
