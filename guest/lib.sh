# shellcheck shell=bash
# Helpers shared by the guest/ scripts (sourced, not run). Everything logs to stderr so that
# ensure.sh's stdout carries only its KEY=VALUE lines.

# Every script that sources this runs under `set -euo pipefail`. A failing command substitution or pipeline
# then ends the script with nothing on stderr, so the C# side (GuestEnvironment) had an empty message to show.
# The ERR trap (inherited by functions and subshells through errtrace) names the command, its status and where.
set -o errtrace
trap 'on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]:-?}" "$LINENO"' ERR

on_error() {
	printf '[%s %s] ERROR: `%s` exited %s (%s:%s)\n' "$(date +%H:%M:%S)" "${0##*/}" "$2" "$1" "${3##*/}" "$4" >&2
}

log() {
	printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "${0##*/}" "$*" >&2
}

die() {
	log "ERROR: $*"
	exit 1
}

# missing_packages PKG...: prints, on one line and space-separated, the Debian packages not installed yet
# (an empty line when none is missing). ensure.sh --plan says these before a first run installs them.
missing_packages() {
	local missing=() pkg installed status
	# One dpkg-query for all (a warm ensure.sh should cost milliseconds, not one process per package).
	# dpkg-query exits 1 when any name is unknown to dpkg (never installed, or no lists yet): that is the
	# normal case on a fresh machine and must not end the script, so its status is looked at, not trusted.
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null) && status=0 || status=$?
	if ((status > 1)); then
		die "dpkg-query -W $* failed with status $status"
	fi
	installed=" $(awk '$NF == "installed" && $(NF - 1) == "ok" { print $1 }' <<<"$installed" | tr '\n' ' ')"
	for pkg in "$@"; do
		[[ $installed == *" $pkg "* ]] || missing+=("$pkg")
	done
	printf '%s\n' "${missing[*]}"
}

# need_packages PKG...: install the Debian packages that are not installed yet.
# Runs `apt-get update` only when a plain install fails (a fresh machine has no lists).
need_packages() {
	local missing=() line
	line=$(missing_packages "$@")
	read -ra missing <<<"$line"
	((${#missing[@]} == 0)) && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		log "apt-get install failed; running apt-get update and trying again"
		apt-get update >&2 || die "apt-get update failed"
		apt-get install -y --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
	fi
}

# debian_mirror: the Debian archive URI this machine's apt uses, derived at run time
# (deb822 sources first, then the one-line format). Never hard-code a mirror host.
# APT_DEB822_SOURCES and APT_SOURCES_LIST name the two files (tests point them elsewhere).
debian_mirror() {
	local m="" deb822=${APT_DEB822_SOURCES:-/etc/apt/sources.list.d/debian.sources} list=${APT_SOURCES_LIST:-/etc/apt/sources.list}
	if [[ -r $deb822 ]]; then
		m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$deb822")
	fi
	if [[ -z $m && -r $list ]]; then
		m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' "$list")
	fi
	[[ -n $m ]] || die "cannot derive the Debian mirror from $deb822 or $list"
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
