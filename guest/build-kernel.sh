#!/bin/bash
# Build the Ballast guest kernel from Debian's linux-source-6.1 into OUT:
#   OUT/bzImage                 the kernel QEMU boots
#   OUT/modules/*.ko            loadable modules (virtio_balloon.ko)
#   OUT/config                  the final .config
#   OUT/kernelrelease           `make kernelrelease`
#   OUT/tree/                   the configured, built tree: out-of-tree modules build with
#                               make -C OUT/tree M=DIR modules
# Steps: tinyconfig, merge kernel/ballast.config (merge_config.sh -m), olddefconfig, check that every
# fragment line survived, make bzImage modules. OUT must not exist (ensure.sh passes a temp dir it
# renames on success). Usage: build-kernel.sh OUT
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

(($# == 1)) || die "usage: $0 OUT"
out=$1
fragment=$here/kernel/ballast.config
[[ ! -e $out ]] || die "$out exists; give a fresh directory"

need_packages linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio gcc make xz-utils kmod
tarball=/usr/src/linux-source-6.1.tar.xz
[[ -r $tarball ]] || die "$tarball missing after installing linux-source-6.1"

start=$(now_ms)
mkdir -p "$out/modules"
log "extracting $tarball"
tar -C "$out" -xJf "$tarball"
mv "$out/linux-source-6.1" "$out/tree"
tree=$out/tree

log "configuring (tinyconfig + ${fragment#"$here"/})"
make -C "$tree" -s tinyconfig >"$out/config.log" 2>&1
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$fragment") >>"$out/config.log" 2>&1
make -C "$tree" -s olddefconfig >>"$out/config.log" 2>&1

# Every fragment line must be in the final .config exactly as written: Kconfig silently drops
# values whose dependencies are unmet, and a guest without (say) VIRTIO_MMIO_CMDLINE_DEVICES
# boots fine but never sees the balloon.
bad=0
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		name=${BASH_REMATCH[1]}
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		name=${BASH_REMATCH[1]}
	else
		continue
	fi
	if ! grep -qxF -- "$line" "$tree/.config"; then
		got=$(grep -E "^(# )?${name}[= ]" "$tree/.config" || true)
		log "config mismatch: wanted '$line', got '${got:-<absent>}'"
		bad=1
	fi
done <"$fragment"
((bad == 0)) || die "the fragment did not survive olddefconfig (see above and $out/config.log)"
cp "$tree/.config" "$out/config"
log "config verified: every line of ${fragment#"$here"/} is in .config"

jobs=$(nproc)
log "make -j$jobs bzImage modules (log: $out/build.log; about 5 minutes on 2 cores)"
if ! make -C "$tree" -j"$jobs" bzImage modules >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	die "kernel build failed (full log: $out/build.log)"
fi

cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"
make -C "$tree" -s kernelrelease >"$out/kernelrelease"
find "$tree" -name '*.ko' -exec cp {} "$out/modules/" \;
[[ -f $out/modules/virtio_balloon.ko ]] || die "virtio_balloon.ko was not built"
echo $((($(now_ms) - start) / 1000)) >"$out/build-seconds"
log "kernel $(cat "$out/kernelrelease") built in $(cat "$out/build-seconds") s"
