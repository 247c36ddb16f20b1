#!/bin/bash
# Prove the guest works end to end with QEMU's own balloon (no Ballast daemon involved):
#   ensure.sh; boot the guest (run-qemu.sh --balloon builtin, 2 GiB, TCG) with ballast.dirty=1600;
#   check the stock virtio_balloon driver bound to virtio id 5 and 1600 MiB were dirtied;
#   QMP `balloon` to a 512 MiB guest (inflate 1.5 GiB) and time it until query-balloon agrees;
#   check MemFree dropped by about 1.5 GiB in the guest's reports; deflate back to 2 GiB and time it;
#   send `end` on the console and check the guest's reboot makes QEMU (-no-reboot) exit by itself.
# QEMU is killed by its pid on any exit path. Timings go to stdout as KEY=VALUE lines.
# Usage: smoke-test.sh   (env BALLAST_GUEST_CACHE as for ensure.sh; KEEP=1 keeps the run dir)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

mib=$((1024 * 1024))
guest_bytes=$((2048 * mib))
target_bytes=$((512 * mib))

t=$(now_ms)
declare -A env
while IFS='=' read -r k v; do
	env[$k]=$v
done < <("$here/ensure.sh")
ensure_ms=$(($(now_ms) - t))

run=$(mktemp -d "${env[RUN_DIR]}/smoke.XXXXXXXX")
serial=$run/serial.log
qemu_pid=""
cleanup() {
	local rc=$?
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		log "killing QEMU (pid $qemu_pid)"
		kill "$qemu_pid" 2>/dev/null || true
		sleep 1
		kill -9 "$qemu_pid" 2>/dev/null || true
	fi
	if ((rc != 0)); then
		log "FAILED; serial log and QEMU command line kept in $run"
		[[ -f $serial ]] && tail -n 30 "$serial" | tr -d '\r' >&2
	elif [[ ${KEEP:-0} == 1 ]]; then
		log "run directory kept: $run"
	else
		rm -rf "$run"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_line REGEX TIMEOUT_S: wait until a serial line matches; print it.
wait_line() {
	local deadline=$(($(now_ms) + $2 * 1000)) line
	while :; do
		line=$(tr -d '\r' 2>/dev/null <"$serial" | grep -E -m1 -- "$1" || true)
		if [[ -n $line ]]; then
			printf '%s\n' "$line"
			return 0
		fi
		kill -0 "$qemu_pid" 2>/dev/null || die "QEMU exited while waiting for /$1/"
		(($(now_ms) < deadline)) || die "timed out after $2 s waiting for /$1/"
		sleep 0.1
	done
}
# memfree: MemFree (kB) from the latest meminfo report.
memfree() {
	tr -d '\r' <"$serial" | grep -E '^BALLAST meminfo ' | tail -n 1 | sed -E 's/.* MemFree=([0-9]+).*/\1/'
}
# fresh_memfree: MemFree from a report printed after this call.
fresh_memfree() {
	local n
	n=$(tr -d '\r' <"$serial" | grep -c '^BALLAST meminfo ' || true)
	local deadline=$(($(now_ms) + 10000))
	while (($(tr -d '\r' <"$serial" | grep -c '^BALLAST meminfo ') <= n)); do
		(($(now_ms) < deadline)) || die "no fresh meminfo report"
		sleep 0.1
	done
	memfree
}

boot_start=$(now_ms)
"$here/run-qemu.sh" --run-dir "$run" --balloon builtin \
	--append "ballast.dirty=1600 ballast.report=0.5 ballast.wait=forever" >&2 &
qemu_pid=$!
log "QEMU pid $qemu_pid, run directory $run"

ready=$(wait_line '^BALLAST ready ' 300)
boot_ms=$(($(now_ms) - boot_start))
virtio=$(wait_line '^BALLAST virtio ' 1)
[[ $virtio =~ \ id=0x0005\  && $virtio =~ \ driver=virtio_balloon$ ]] ||
	die "the stock driver did not bind to the balloon: $virtio"
log "ok: $virtio"
dirty=$(wait_line '^BALLAST dirty ' 1)
[[ $dirty =~ ^BALLAST\ dirty\ done\ .*\ mib=1600\  ]] || die "dirtying failed: $dirty"
log "ok: $dirty"

python3 "$here/qmp.py" "$run/qmp.sock" wait-socket 10
free_before=$(fresh_memfree)
inflate=$(python3 "$here/qmp.py" "$run/qmp.sock" balloon-wait "$target_bytes" 120)
inflate_ms=${inflate#ms=}
inflate_ms=${inflate_ms%% *}
free_inflated=$(fresh_memfree)
drop_kb=$((free_before - free_inflated))
log "inflate to a 512 MiB guest: $inflate; MemFree $free_before -> $free_inflated kB (-$drop_kb kB)"
# 1.5 GiB is 1572864 kB; allow for the guest's own churn.
((drop_kb > 1468006 && drop_kb < 1677722)) || die "MemFree dropped by $drop_kb kB, not about 1.5 GiB"

deflate=$(python3 "$here/qmp.py" "$run/qmp.sock" balloon-wait "$guest_bytes" 120)
deflate_ms=${deflate#ms=}
deflate_ms=${deflate_ms%% *}
free_deflated=$(fresh_memfree)
log "deflate to 2 GiB: $deflate; MemFree $free_inflated -> $free_deflated kB"
((free_before - free_deflated < 102400)) || die "MemFree did not come back after deflate"
python3 "$here/qmp.py" "$run/qmp.sock" execute query-balloon >&2

# Clean end: `end` on the console; the guest syncs and reboots (reboot=t); -no-reboot makes QEMU exit.
end_start=$(now_ms)
python3 - "$run/console.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"end\n")
time.sleep(0.5)
s.close()
PY
wait_line '^BALLAST end ' 30 >/dev/null
deadline=$(($(now_ms) + 30000))
while kill -0 "$qemu_pid" 2>/dev/null; do
	(($(now_ms) < deadline)) || die "QEMU did not exit after the guest's reboot"
	sleep 0.1
done
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
((qemu_rc == 0)) || die "QEMU exited with status $qemu_rc"
end_ms=$(($(now_ms) - end_start))
log "ok: guest ended and QEMU exited (status 0) $end_ms ms after \`end\`"

cat <<EOT
ENSURE_MS=$ensure_ms
BOOT_TO_READY_MS=$boot_ms
READY_GUEST_MS=$(sed -E 's/.* t=([0-9]+).*/\1/' <<<"$ready")
DIRTY_MS=$(sed -E 's/.* ms=([0-9]+).*/\1/' <<<"$dirty")
INFLATE_MS=$inflate_ms
DEFLATE_MS=$deflate_ms
MEMFREE_BEFORE_KB=$free_before
MEMFREE_INFLATED_KB=$free_inflated
MEMFREE_DEFLATED_KB=$free_deflated
END_TO_EXIT_MS=$end_ms
SMOKE=ok
EOT
