#!/bin/bash
# Builds OUTDIR/ballastd_<version>_amd64.deb from the native daemon BINARY (packaging/build-native.sh prints its
# path) with Debian's own tools: dpkg-shlibdeps for the shared-library dependencies, dpkg-deb for the archive.
# The package holds:
#   /usr/bin/ballastd                                   BINARY (serve + balloon)
#   /usr/libexec/ballast-balloon                        packaging/libexec/ballast-balloon (QEMU's backend program)
#   /usr/share/qemu/vhost-user/50-ballast-balloon.json  packaging/qemu/50-ballast-balloon.json
#   /usr/lib/systemd/system/ballast-balloon@.{service,socket}   packaging/systemd/
#   /usr/share/man/man1/ballastd.1.gz                   from BINARY's --help texts (make-manpage.sh)
#   /usr/share/man/man1/ballast-balloon.1.gz            .so man1/ballastd.1
#   /usr/share/doc/ballastd/copyright, changelog.gz     from LICENSE and the version
# The version is Directory.Build.props' <Version>; BINARY --version must print the same (a stale binary is refused).
# Missing Debian tools are installed with apt (guest/lib.sh need_packages). Prints the .deb's path on stdout.
# Usage: build-deb.sh BINARY OUTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../guest/lib.sh
source "$repo/guest/lib.sh"

(($# == 2)) || die "usage: $0 BINARY OUTDIR"
binary=$1
[[ -f $binary && -x $binary ]] || die "$binary: not an executable file"
mkdir -p "$2"
outdir=$(cd "$2" && pwd)
package=ballastd
arch=amd64
maintainer='The Ballast authors <ballast@example.org>'

version=$(sed -n 's|^ *<Version>\([^<]*\)</Version>.*|\1|p' "$repo/Directory.Build.props" | head -n 1)
[[ -n $version ]] || die "no <Version> in $repo/Directory.Build.props"
printed=$("$binary" --version) || die "$binary --version failed"
[[ $printed == "$version" ]] || die "$binary --version prints '$printed' but Directory.Build.props says $version: rebuild it"

for f in libexec/ballast-balloon qemu/50-ballast-balloon.json systemd/ballast-balloon@.service systemd/ballast-balloon@.socket; do
	[[ -f $repo/packaging/$f ]] || die "missing packaging/$f"
done

need_packages dpkg-dev

# Files get the time of the last commit (or SOURCE_DATE_EPOCH), so two builds of one commit give the same .deb.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d "${TMPDIR:-/tmp}/ballast-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/$package
doc=$stage/usr/share/doc/$package

install -D -m 0755 "$binary" "$stage/usr/bin/ballastd"
install -D -m 0755 "$repo/packaging/libexec/ballast-balloon" "$stage/usr/libexec/ballast-balloon"
install -D -m 0644 "$repo/packaging/qemu/50-ballast-balloon.json" "$stage/usr/share/qemu/vhost-user/50-ballast-balloon.json"
install -d "$stage/usr/lib/systemd/system" "$stage/usr/share/man/man1" "$doc"
install -m 0644 "$repo/packaging/systemd/ballast-balloon@.service" "$repo/packaging/systemd/ballast-balloon@.socket" \
	"$stage/usr/lib/systemd/system/"

"$here/make-manpage.sh" "$stage/usr/bin/ballastd" ballastd "$epoch" >"$work/ballastd.1"
gzip -9n <"$work/ballastd.1" >"$stage/usr/share/man/man1/ballastd.1.gz"
# ballast-balloon runs `ballastd serve`: its page is ballastd's (a roff .so include, as man-db resolves it).
printf '.so man1/ballastd.1\n' | gzip -9n >"$stage/usr/share/man/man1/ballast-balloon.1.gz"

# debian/copyright in the machine-readable format (DEP-5): the MIT text of LICENSE, up to its "---" line.
{
	printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
	printf 'Upstream-Name: Ballast\n'
	printf 'Comment: This package holds only the daemon and its configuration files. Ballast'"'"'s guest kernel\n'
	printf ' module (guest/module/, GPL-2.0) is not part of it.\n\n'
	printf 'Files: *\nCopyright: 2026 The Ballast authors\nLicense: Expat\n'
	# LICENSE: "MIT License", a blank line, the copyright line, a blank line, then the license text up to "---".
	awk 'NR <= 4 { next } /^---/ { exit } { line[++n] = $0 }
		END { while (n > 0 && line[n] == "") n--; for (i = 1; i <= n; i++) print (line[i] == "" ? " ." : " " line[i]) }' "$repo/LICENSE"
} >"$doc/copyright"

{
	printf '%s (%s) unstable; urgency=medium\n\n' "$package" "$version"
	printf '  * Ballast %s, built from commit %s.\n\n' "$version" "$commit"
	printf ' -- %s  %s\n' "$maintainer" "$(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$doc/changelog.gz"

# Shared-library dependencies: dpkg-shlibdeps wants a debian/control next to it.
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: %s\n' "$package" "$package" "$arch" >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O -e"$stage/usr/bin/ballastd" 2>"$work/shlibdeps.log" |
	sed -n 's/^shlibs:Depends=//p') || { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
[[ -n $depends ]] || die "dpkg-shlibdeps found no dependencies for $binary"

install -d "$stage/DEBIAN"
installed_size=$(du -s -k --apparent-size "$stage" | awk '{ print $1 }')
cat >"$stage/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Suggests: qemu-system-x86
Section: admin
Priority: optional
Description: virtio memory balloon for QEMU as a vhost-user backend
 ballastd is Ballast's daemon: a virtio balloon device served over vhost-user
 next to QEMU (ballastd serve), which really returns ballooned guest memory to
 the host, and a client for its management API (ballastd balloon).
 .
 The package installs QEMU's backend program descriptor for it
 (/usr/share/qemu/vhost-user/50-ballast-balloon.json) and socket-activated
 systemd units (ballast-balloon@.socket, ballast-balloon@.service).
CONTROL
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
find "$stage" -depth -exec touch -h -d "@$epoch" {} +

deb=$outdir/${package}_${version}_${arch}.deb
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
log "built $deb ($(du -k "$deb" | awk '{ print $1 }') KiB)"
printf '%s\n' "$deb"
