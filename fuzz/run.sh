#!/usr/bin/env bash
# Coverage-guided fuzzing of one Ballast target with afl++ and SharpFuzz (fuzz/README.md).
#
#   fuzz/run.sh TARGET SECONDS [OUTDIR]   fuzz TARGET (vhost-user, ring, balloon) for SECONDS from fuzz/corpus/TARGET;
#                                         OUTDIR defaults to a new folder under /tmp. An OUTDIR that holds an earlier
#                                         run is resumed. Prints one summary line from OUTDIR/default/fuzzer_stats;
#                                         exits 1 (after replaying each saved input) if a crash or a hang was saved.
#   fuzz/run.sh prepare                   only install, build and instrument (what the first run does anyway)
#
# Idempotent and cached: afl++ comes from Debian (guest/lib.sh need_packages), the sharpfuzz tool from the NuGet tool
# manifest beside this script; the harness is published to fuzz/.work/publish with its own artifacts folder (never
# the repository's bin/obj), and the target assemblies are instrumented into fuzz/.work/instrumented only when the
# published copy changed. Environment: FUZZ_TIMEOUT_MS (afl's -t, default 5000), FUZZ_AFL_ARGS (extra afl-fuzz arguments).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=../guest/lib.sh
source "$root/guest/lib.sh"

targets=(vhost-user ring balloon)
# Every assembly with code under test; the harness itself stays uninstrumented so its own branches are no coverage.
instrument=(Ballast.VhostUser.dll Ballast.Balloon.dll Ballast.Virtio.dll Ballast.Bitmap.dll Ballast.Linux.dll)
work="$here/.work"
publish="$work/publish"
instrumented="$work/instrumented"

usage() {
	sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# The dotnet that runs us (the test host sets DOTNET_HOST_PATH); SharpFuzz's fork server starts its worker as plain
# `dotnet`, so that one must come first on PATH.
dotnet_bin=${DOTNET_HOST_PATH:-$(command -v dotnet || true)}
[[ -n $dotnet_bin ]] || die "dotnet not found"
dotnet_bin=$(readlink -f "$dotnet_bin")
export PATH="$(dirname "$dotnet_bin"):$PATH"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

install_afl() {
	command -v afl-fuzz >/dev/null && return 0
	# Not beside the guest scripts' apt-get (the real-guest tests may be installing at this moment, and apt fails
	# rather than waits on dpkg's lock): they install only under guest/ensure.sh's lock, so take it too.
	local guest_cache=${BALLAST_GUEST_CACHE:-/var/cache/ballast-guest}
	mkdir -p "$guest_cache"
	exec 8>"$guest_cache/.lock"
	if ! flock -n 8; then
		log "waiting for guest/ensure.sh (holding $guest_cache/.lock) before apt-get"
		flock 8
	fi
	need_packages afl++
	exec 8>&-
}

prepare() {
	install_afl
	mkdir -p "$work"
	# One preparer at a time (parallel runs share the build).
	exec 9>"$work/lock"
	flock 9
	(cd "$here" && "$dotnet_bin" tool restore >&2) || die "dotnet tool restore (SharpFuzz.CommandLine) failed"
	"$dotnet_bin" publish "$here/Ballast.Fuzz/Ballast.Fuzz.csproj" -c Release --nologo -v quiet \
		--artifacts-path "$work/artifacts" -o "$publish" >&2 || die "building the harness failed"
	mkdir -p "$instrumented"
	local f name dll sum
	for f in "$publish"/*; do
		name=${f##*/}
		[[ " ${instrument[*]} " == *" $name "* ]] || cp -p -u "$f" "$instrumented/"
	done
	for dll in "${instrument[@]}"; do
		sum=$(sha256sum "$publish/$dll" | cut -d' ' -f1)
		if [[ -f $instrumented/$dll && $(cat "$instrumented/$dll.source-sha256" 2>/dev/null) == "$sum" ]]; then
			continue
		fi
		cp "$publish/$dll" "$instrumented/$dll"
		(cd "$here" && "$dotnet_bin" tool run sharpfuzz "$instrumented/$dll" >&2) || die "sharpfuzz could not instrument $dll"
		echo "$sum" >"$instrumented/$dll.source-sha256"
		log "instrumented $dll"
	done
	flock -u 9
}

stat_field() {
	awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$2"
}

fuzz() {
	local target=$1 seconds=$2 out=${3:-}
	[[ " ${targets[*]} " == *" $target "* ]] || die "unknown target '$target' (one of: ${targets[*]})"
	[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "SECONDS must be a positive integer, not '$seconds'"
	prepare
	[[ -n $out ]] || out=$(mktemp -d "/tmp/ballast-fuzz-$target.XXXXXX")
	mkdir -p "$out"
	out=$(cd "$out" && pwd)

	export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_AUTORESUME=1
	# `dotnet` carries no afl instrumentation marker; the coverage comes from the SharpFuzz-instrumented assemblies.
	export AFL_SKIP_BIN_CHECK=1
	# A .NET fork server needs far longer than afl's 10 s default to come up on a loaded machine.
	export AFL_FORKSRV_INIT_TMOUT=60000 AFL_FAST_CAL=1
	# The harness appends each finding's exception here (afl-fuzz keeps only the input).
	export BALLAST_FUZZ_CRASH_LOG="$out/exceptions.log"
	log "fuzzing $target for ${seconds}s into $out"
	local rc=0
	# shellcheck disable=SC2086 # FUZZ_AFL_ARGS is a word list on purpose
	timeout -k 10 $((seconds + 300)) afl-fuzz -i "$here/corpus/$target" -o "$out" -V "$seconds" \
		-t "${FUZZ_TIMEOUT_MS:-5000}" -m none ${FUZZ_AFL_ARGS:-} \
		-- "$dotnet_bin" "$instrumented/Ballast.Fuzz.dll" "$target" >"$out/afl.log" 2>&1 || rc=$?
	local stats="$out/default/fuzzer_stats"
	if ((rc != 0)) || [[ ! -f $stats ]]; then
		tail -n 40 "$out/afl.log" >&2 || true
		die "afl-fuzz exited with status $rc; its log is $out/afl.log"
	fi

	local execs paths crashes hangs rate
	execs=$(stat_field execs_done "$stats")
	paths=$(stat_field corpus_count "$stats")
	crashes=$(stat_field saved_crashes "$stats")
	hangs=$(stat_field saved_hangs "$stats")
	rate=$(stat_field execs_per_sec "$stats")
	echo "fuzz $target: execs_done=$execs corpus_count=$paths saved_crashes=$crashes saved_hangs=$hangs execs_per_sec=$rate seconds=$seconds out=$out"
	if ((crashes + hangs > 0)); then
		local f
		for f in "$out"/default/crashes/id:* "$out"/default/hangs/id:*; do
			[[ -f $f ]] || continue
			log "replaying $f"
			timeout -k 5 60 "$dotnet_bin" "$publish/Ballast.Fuzz.dll" "$target" --replay "$f" >&2 || true
		done
		exit 1
	fi
}

case "${1:-}" in
prepare)
	(($# == 1)) || usage
	prepare
	;;
"" | -h | --help)
	usage
	;;
*)
	(($# == 2 || $# == 3)) || usage
	fuzz "$@"
	;;
esac
