# shellcheck shell=bash
# Helpers shared by the guest/ scripts (sourced, not run). Everything logs to stderr so that
# ensure.sh's stdout carries only its KEY=VALUE lines.

log() {
	printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "${0##*/}" "$*" >&2
}

die() {
	log "ERROR: $*"
	exit 1
}

# need_packages PKG...: install the Debian packages that are not installed yet.
# Runs `apt-get update` only when a plain install fails (a fresh machine has no lists).
need_packages() {
	local missing=() pkg installed
	# One dpkg-query for all (a warm ensure.sh should cost milliseconds, not one process per package).
	installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
		awk '$NF == "installed" && $(NF - 1) == "ok" { print $1 }' | tr '\n' ' ')"
	for pkg in "$@"; do
		[[ $installed == *" $pkg "* ]] || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
}

# debian_mirror: the Debian archive URI this machine's apt uses, derived at run time
# (deb822 sources first, then the one-line format). Never hard-code a mirror host.
debian_mirror() {
	local m=""
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z $m && -r /etc/apt/sources.list ]]; then
		m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[[ -n $m ]] || die "cannot derive the Debian mirror from /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	printf '%s\n' "${m%/}"
}

# pkg_version PKG: installed version of a Debian package (empty if not installed).
pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

# now_ms: wall clock in milliseconds.
now_ms() {
	date +%s%3N
}
