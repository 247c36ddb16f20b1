#!/bin/bash
# Build the Ballast guest initramfs into OUT/initrd.gz:
#   /init                         guest/initramfs/init (busybox sh; orders from the kernel command line)
#   /bin/busybox                  from busybox-static (the init installs the applet links)
#   /bin/ballast-hog              guest/initramfs/hog.c, compiled here with gcc -static
#   /lib/modules/ballast/*.ko     every .ko in MODULE_DIR (virtio_balloon.ko) and each EXTRA.ko, and
#                                 MODULE_DIR/preload if there is one (modules /init loads first);
#                                 the init loads NAME.ko for ballast.module=NAME
#   /dev/console                  so the init has a console before it mounts devtmpfs
# packed with `find . | cpio -o -H newc | gzip`. OUT must not exist.
# Usage: build-initramfs.sh OUT MODULE_DIR [EXTRA.ko...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

(($# >= 2)) || die "usage: $0 OUT MODULE_DIR [EXTRA.ko...]"
out=$1
moddir=$2
shift 2
[[ ! -e $out ]] || die "$out exists; give a fresh directory"
[[ -d $moddir ]] || die "module directory $moddir missing"

need_packages busybox-static cpio gzip gcc libc6-dev
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox missing after installing busybox-static"

root=$out/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,dirty,lib/modules/ballast}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$here/initramfs/init" "$root/init"
gcc -static -Os -s -Wall -Wextra -Werror -o "$root/bin/ballast-hog" "$here/initramfs/hog.c"
mknod -m 0600 "$root/dev/console" c 5 1

shopt -s nullglob
mods=("$moddir"/*.ko "$@")
for ko in "${mods[@]}"; do
	[[ -f $ko && $ko == *.ko ]] || die "not a module: $ko"
	cp "$ko" "$root/lib/modules/ballast/"
done
[[ -f $root/lib/modules/ballast/virtio_balloon.ko ]] || die "virtio_balloon.ko is not among the modules"
# A modular virtio core (debian-kernel.sh): the modules /init loads first, in order.
if [[ -f $moddir/preload ]]; then
	cp "$moddir/preload" "$root/lib/modules/ballast/preload"
fi

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$out/initrd.gz"
rm -rf "$root"
log "initramfs $(du -k "$out/initrd.gz" | cut -f1) KiB with modules: $(cd "$moddir" && echo *.ko) ${*##*/}"
