#!/bin/bash
# Fetch Debian's own prebuilt kernel (the image package linux-image-amd64 depends on, from this
# machine's apt sources) and take what a guest needs from it into OUT:
#   OUT/bzImage           the kernel (/boot/vmlinuz-<release>)
#   OUT/config            its config
#   OUT/kernelrelease     <release>, e.g. 6.1.0-57-amd64
#   OUT/package           <package>=<version> it came from
#   OUT/modules/*.ko      virtio_balloon.ko and what it and virtio_pci need, for this kernel
#   OUT/modules/preload   the modules /init loads before the balloon module, one per line, in order
# Debian builds VIRTIO, VIRTIO_PCI and VIRTIO_BALLOON as modules (PAGE_REPORTING, 8250 console,
# devtmpfs and initrd are built in): the order comes from depmod/modprobe run on the extracted tree.
# Nothing is installed on the host: the .deb is downloaded (apt-get download) and unpacked with
# dpkg-deb -x. OUT must not exist (ensure.sh passes a temp dir it renames on success).
# Usage: debian-kernel.sh OUT PACKAGE
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

(($# == 2)) || die "usage: $0 OUT PACKAGE"
out=$1
package=$2
[[ ! -e $out ]] || die "$out exists; give a fresh directory"
need_packages kmod dpkg

mkdir -p "$out/modules" "$out/deb"
# apt-get download writes into the working directory; as root it warns that _apt cannot reach it.
(cd "$out/deb" && apt-get download "$package" >&2) || die "apt-get download $package failed"
deb=$(echo "$out"/deb/*.deb)
[[ -f $deb ]] || die "no .deb for $package in $out/deb"
dpkg-deb -x "$deb" "$out/deb/root"
version=$(dpkg-deb -f "$deb" Version)

root=$out/deb/root
release=$(cd "$root/lib/modules" && echo *)
[[ -d $root/lib/modules/$release && -f $root/boot/vmlinuz-$release ]] || die "$package holds no kernel and modules for one release (found: $release)"
cp "$root/boot/vmlinuz-$release" "$out/bzImage"
cp "$root/boot/config-$release" "$out/config"
for option in CONFIG_PAGE_REPORTING=y CONFIG_SERIAL_8250_CONSOLE=y CONFIG_DEVTMPFS=y CONFIG_BLK_DEV_INITRD=y CONFIG_RD_GZIP=y \
	CONFIG_MODULE_COMPRESS_NONE=y; do
	grep -qx "$option" "$out/config" || die "$package's kernel lacks $option"
done

depmod -b "$root" "$release"
# modprobe --show-depends prints "insmod PATH" per module, dependencies first ("builtin NAME" for built-in ones).
modprobe -d "$root" -S "$release" --show-depends -a virtio_pci virtio_balloon >"$out/deb/order"
: >"$out/modules/preload"
while read -r kind path _; do
	[[ $kind == insmod ]] || continue
	name=$(basename "$path" .ko)
	[[ -f $out/modules/$name.ko ]] && continue
	cp "$path" "$out/modules/"
	[[ $name == virtio_balloon ]] || echo "$name" >>"$out/modules/preload"
done <"$out/deb/order"
[[ -f $out/modules/virtio_balloon.ko ]] || die "virtio_balloon.ko is not a module of $package"

echo "$release" >"$out/kernelrelease"
echo "$package=$version" >"$out/package"
rm -rf "$out/deb"
log "Debian kernel $release ($package=$version), modules: $(cd "$out/modules" && echo *.ko)"
