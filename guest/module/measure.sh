#!/bin/bash
# Time inflate and deflate of a real guest against `ballast serve`, per balloon driver:
#   stock    the stock virtio_balloon.ko            daemon --features stats,deflate-on-oom
#   pfn      ballast_balloon.ko without SG (PFN)    daemon --features stats,deflate-on-oom
#   sg       ballast_balloon.ko with SG, order 0    daemon --features stats,deflate-on-oom,sg
#   sg-o9    ballast_balloon.ko with SG, alloc_order=9
#   NAME+A=1,B=2   case NAME with more module parameters (ballast_balloon cases), e.g. sg+step_pages=0
# Each run: a fresh daemon and a 2 GiB TCG guest (guest/run-qemu.sh --balloon vhost-user) with
# ballast.dirty=MIB; at `BALLAST ready` the balloon target goes to TARGET and back to 0, each timed
# from just before the API's PUT /balloon to the first GET /balloon showing actual = target
# (balloon_api.py, 5 ms polls). Host memory: QEMU's RssShmem (the memfd pages it has mapped) and
# the daemon's ballast_balloon_released_bytes_total, before, after inflate, after deflate.
# The serial log (kernel messages forwarded by /init) is checked for WARNING/BUG/Oops/Call Trace.
#
# Usage: measure.sh [--cases "stock sg sg-o9"] [--runs N] [--dirty MIB] [--target SIZE]
#                   [--ballast CMD] [--keep]
#   --ballast CMD  how to run the CLI (default: dotnet src/Ballast.Cli/bin/Release/net10.0/ballast.dll
#                  of this repository; build it first with dotnet build src/Ballast.Cli -c Release)
#   --keep         keep the run directories (default: only failed runs are kept)
#   --defer-release  run the daemon with --defer-release (and must-tell-host, which it needs)
#   --wait-idle S  before each run, wait up to S seconds until no other QEMU runs on this machine
#                  (a TCG guest takes a whole core; on a small machine it skews every figure); the
#                  RESULT line's others= says how many other QEMUs were running during the run, and
#                  cpu_some= the host's CPU pressure (/proc/pressure/cpu some avg10, %) right after it
# Output: one `RESULT case=... run=... inflate_ms=... deflate_ms=... ...` line per run on stdout,
# then `SUMMARY case=... inflate_ms=<median> release_ms=<median> deflate_ms=<median>` per case (release_ms:
# until the host released it too, later than inflate_ms only with --defer-release); logs on stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
guest=$(cd "$here/.." && pwd)
repo=$(cd "$guest/.." && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=lib.sh
source "$guest/lib.sh"

cases="stock sg sg-o9"
runs=3
dirty=1600
target=1536M
ballast="dotnet $repo/src/Ballast.Cli/bin/Release/net10.0/ballast.dll"
keep=0
defer=0
wait_idle=0
while (($# > 0)); do
	case $1 in
	--cases) cases=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--dirty) dirty=$2; shift 2 ;;
	--target) target=$2; shift 2 ;;
	--ballast) ballast=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--defer-release) defer=1; shift ;;
	--wait-idle) wait_idle=$2; shift 2 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done

case $target in
*G) target_bytes=$((${target%G} * 1024 * 1024 * 1024)) ;;
*M) target_bytes=$((${target%M} * 1024 * 1024)) ;;
*) target_bytes=$target ;;
esac
api=$here/balloon_api.py

declare -A env
while IFS='=' read -r k v; do
	env[$k]=$v
done < <("$guest/ensure.sh")

qemu_pid=""
daemon_pid=""
cleanup() {
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		sleep 1
		kill -9 "$qemu_pid" 2>/dev/null || true
	fi
	if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	qemu_pid=""
	daemon_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# other_qemus: QEMU processes on this machine that this script did not start (comm is cut to 15 chars).
other_qemus() {
	local n=0 p
	for p in $(pgrep -x qemu-system-x86 || true); do
		[[ $p == "$qemu_pid" ]] || n=$((n + 1))
	done
	echo "$n"
}
rss_shmem_kb() {
	awk '/^RssShmem:/ { print $2 }' "/proc/$1/status"
}
released() {
	python3 "$api" metrics "$1" | awk -F= '$1 == "released_bytes_total" { print $2 }'
}
wait_line() { # FILE PATTERN TIMEOUT_S
	local deadline=$(($(now_ms) + $3 * 1000))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		(($(now_ms) < deadline)) || return 1
		sleep 0.1
	done
}

# one_run CASE N: prints the RESULT line (also into $results), returns non-zero on failure.
one_run() {
	local name=$1 n=$2 module features modargs dir more=""
	[[ $name == *+* ]] && more=${name#*+}
	case ${name%%+*} in
	stock) module=virtio_balloon features=stats,deflate-on-oom modargs= ;;
	pfn) module=ballast_balloon features=stats,deflate-on-oom modargs=dyndbg=+p ;;
	sg) module=ballast_balloon features=stats,deflate-on-oom,sg modargs=dyndbg=+p ;;
	sg-o9) module=ballast_balloon features=stats,deflate-on-oom,sg modargs=dyndbg=+p,alloc_order=9 ;;
	*) die "unknown case $name" ;;
	esac
	[[ -z $more ]] || modargs=$modargs,$more
	local serve_args=()
	if ((defer)); then
		features=$features,must-tell-host
		serve_args=(--defer-release)
	fi
	local deadline=$(($(now_ms) + wait_idle * 1000))
	while (($(other_qemus) > 0 && $(now_ms) < deadline)); do
		sleep 2
	done
	dir=$(mktemp -d "${env[RUN_DIR]}/m.XXXXXX")
	log "$name run $n in $dir"

	# shellcheck disable=SC2086 # $ballast is a command with arguments
	$ballast serve --socket "$dir/balloon.sock" --api "$dir/api.sock" --features "$features" "${serve_args[@]}" \
		>"$dir/daemon.out" 2>"$dir/daemon.log" &
	daemon_pid=$!
	wait_line "$dir/daemon.out" -device 30 || { log "daemon did not start"; return 1; }

	"$guest/run-qemu.sh" --run-dir "$dir" --balloon vhost-user \
		--append "ballast.module=$module ballast.modargs=$modargs ballast.dirty=$dirty ballast.report=0" \
		>"$dir/qemu.out" 2>&1 &
	qemu_pid=$!
	wait_line "$dir/serial.log" "BALLAST ready" 180 || { log "guest not ready"; return 1; }
	local negotiated
	negotiated=$(python3 "$api" wait-connected "$dir/api.sock" 30)

	local rss0 rel0 rss1 rel1 rss2 rel2 inflate deflate others
	others=$(other_qemus)
	rss0=$(rss_shmem_kb "$qemu_pid")
	rel0=$(released "$dir/api.sock")
	local times release
	times=$(python3 "$api" set-wait "$dir/api.sock" "$target_bytes" 120) || { log "inflate: $times"; return 1; }
	read -r inflate release <<<"$times"
	rss1=$(rss_shmem_kb "$qemu_pid")
	rel1=$(released "$dir/api.sock")
	sleep 1
	times=$(python3 "$api" set-wait "$dir/api.sock" 0 120) || { log "deflate: $times"; return 1; }
	read -r deflate _ <<<"$times"
	rss2=$(rss_shmem_kb "$qemu_pid")
	rel2=$(released "$dir/api.sock")
	others=$((others > $(other_qemus) ? others : $(other_qemus)))
	local psi
	psi=$(awk '/^some/ { sub("avg10=", "", $2); print $2 }' /proc/pressure/cpu 2>/dev/null || echo unknown)

	# End the guest (its /init flushes kernel messages into the serial log first), then the daemon.
	printf 'end\n' | socat -t 1 - "UNIX-CONNECT:$dir/console.sock" >/dev/null 2>&1 || true
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	cleanup
	python3 "$api" metrics "$dir/api.sock" >/dev/null 2>&1 || true

	local bad
	bad=$(grep -cE 'WARNING|(^|[^A-Z])BUG|Oops|Call Trace' "$dir/serial.log" || true)
	printf 'RESULT case=%s run=%s inflate_ms=%s release_ms=%s deflate_ms=%s rss_before_kb=%s rss_inflated_kb=%s rss_deflated_kb=%s released_inflate_bytes=%s released_total_bytes=%s kernel_bad_lines=%s others=%s cpu_some=%s features=%s dir=%s\n' \
		"$name" "$n" "$inflate" "$release" "$deflate" "$rss0" "$rss1" "$rss2" "$((rel1 - rel0))" "$rel2" "$bad" "$others" "$psi" "$negotiated" "$dir" |
		tee -a "$results"
	grep -E 'ballast_balloon|virtio_balloon|inflate pages|deflate pages' "$dir/serial.log" | sed 's/^/  serial: /' >&2 || true
	((bad == 0)) || { log "kernel problems in $dir/serial.log"; return 1; }
	((keep)) || rm -rf "$dir"
}

results=$(mktemp)
# Cases interleaved (run 1 of each, then run 2, ...), so drift on a shared machine hits them alike.
for ((n = 1; n <= runs; n++)); do
	for name in $cases; do
		one_run "$name" "$n" || die "$name run $n failed (kept its run directory)"
	done
done
median() {
	sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}
for name in $cases; do
	inf=$(grep " case=$name " "$results" | sed 's/.* inflate_ms=\([0-9]*\).*/\1/' | median)
	rel=$(grep " case=$name " "$results" | sed 's/.* release_ms=\([0-9]*\).*/\1/' | median)
	def=$(grep " case=$name " "$results" | sed 's/.* deflate_ms=\([0-9]*\).*/\1/' | median)
	printf 'SUMMARY case=%s runs=%s inflate_ms=%s release_ms=%s deflate_ms=%s\n' "$name" "$runs" "$inf" "$rel" "$def"
done
rm -f "$results"
