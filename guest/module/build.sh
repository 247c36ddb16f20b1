#!/bin/bash
# Build ballast_balloon.ko (the sources in this directory) against a configured and built Linux tree:
#   OUT/ballast_balloon.ko   the module
#   OUT/build.log            `make -C KERNEL_TREE M=... W=1 modules`; any warning fails the build
# The sources are compiled in a scratch copy (OUT/src, removed afterwards) so the repository stays
# clean. guest/ensure.sh calls this and caches OUT by the sources' hash and KERNEL_KEY.
# Usage: build.sh OUT KERNEL_TREE
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$here/../lib.sh"

(($# == 2)) || die "usage: $0 OUT KERNEL_TREE"
out=$1
tree=$2
[[ ! -e $out ]] || die "$out exists; give a fresh directory"
[[ -f $tree/Module.symvers && -f $tree/.config ]] || die "$tree is not a built kernel tree (no Module.symvers or .config)"

mkdir -p "$out/src"
cp "$here/Makefile" "$here"/*.c "$here"/*.h "$out/src/"
if ! make -C "$tree" M="$out/src" W=1 modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "module build failed (log: $out/build.log)"
fi
if grep -i 'warning' "$out/build.log" >&2; then
	die "module build has warnings (log: $out/build.log)"
fi
cp "$out/src/ballast_balloon.ko" "$out/ballast_balloon.ko"
rm -rf "$out/src"
log "ballast_balloon.ko $(du -k "$out/ballast_balloon.ko" | cut -f1) KiB, W=1 clean"
