#!/bin/bash
# Run the Ballast guest under chrooted QEMU (microvm, TCG, no ACPI; or q35 with virtio-PCI) with the verified
# command line.
# Every path QEMU opens lies inside QEMU_ROOT, so the run directory (serial log, QMP socket,
# vhost-user socket, pid file) is made under QEMU_ROOT/ballast/run and QEMU is given the in-root
# paths. The script execs `chroot QEMU_ROOT qemu-system-x86_64 ...`, so its PID is QEMU's PID.
#
# Usage: run-qemu.sh [--run-dir DIR] [--machine microvm|q35] [--mem SIZE] [--smp N] [--append WORDS]
#                    [--ko FILE.ko]... [--balloon builtin|vhost-user|none] [-- MORE_QEMU_ARGS...]
#   --run-dir DIR   host path of an existing or new directory inside QEMU_ROOT
#                   (default: a new one under QEMU_ROOT/ballast/run, printed as RUN_DIR=)
#   --machine       microvm: virtio-mmio, no ACPI, direct kernel boot (the default)
#                   q35:     virtio-PCI, SeaBIOS boots the kernel (the guest kernel has no ACPI either)
#   --mem SIZE      guest RAM and memfd size (2G)
#   --smp N         vCPUs (1)
#   --append WORDS  appended to the kernel command line "console=ttyS0 reboot=t panic=-1",
#                   e.g. "ballast.dirty=1600 ballast.report=0.5" (see README.md)
#   --ko FILE.ko    an extra module for the initramfs (ensure.sh FILE.ko); load it with
#                   --append ballast.module=NAME
#   --balloon       builtin:    QEMU's own virtio-balloon-device (q35: virtio-balloon-pci),deflate-on-oom=on
#                               (QMP balloon works)
#                   vhost-user: vhost-user-test-device (q35: vhost-user-test-device-pci) on RUN_DIR/balloon.sock
#                               (the daemon must listen)
#                   none:       no balloon device
# Files in the run directory:
#   serial.log     everything the guest prints on ttyS0 (the console chardev's logfile)
#   console.sock   the same console as a unix socket server (nowait): write `end\n` to end the
#                  guest cleanly, `report\n` for a report now, `hog MIB\n` to start a hog now; a
#                  client that stays connected must read, or the guest's console output stalls
#   qmp.sock       QMP server (nowait)
#   qemu.pid       QEMU's pid (also this script's pid: it execs chroot, which execs QEMU)
#   qemu.cmdline   the exact command, one argument per line
#   balloon.sock   vhost-user only: the socket the balloon daemon listens on
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

run_dir=""
machine=microvm
mem=2G
smp=1
append=""
balloon=builtin
kos=()
while (($# > 0)); do
	case $1 in
	--run-dir) run_dir=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--balloon) balloon=$2; shift 2 ;;
	--ko) kos+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done

case $machine in
microvm)
	machine_args=(-M "microvm,acpi=off,memory-backend=mem" -global virtio-mmio.force-legacy=false)
	builtin_device=virtio-balloon-device
	vhost_device=vhost-user-test-device
	;;
q35)
	machine_args=(-M "q35,memory-backend=mem")
	builtin_device=virtio-balloon-pci
	vhost_device=vhost-user-test-device-pci
	;;
*) die "--machine must be microvm or q35" ;;
esac

declare -A env
while IFS='=' read -r k v; do
	env[$k]=$v
done < <("$here/ensure.sh" "${kos[@]}")
root=${env[QEMU_ROOT]}

if [[ -z $run_dir ]]; then
	run_dir=$(mktemp -d "${env[RUN_DIR]}/run.XXXXXXXX")
	printf 'RUN_DIR=%s\n' "$run_dir"
fi
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
[[ $run_dir == "$root"/* ]] || die "run directory $run_dir is not inside QEMU_ROOT $root"
in_root=${run_dir#"$root"}
((${#run_dir} + 14 < 108)) || die "run directory path too long for a unix socket: $run_dir"

args=(
	qemu-system-x86_64
	"${machine_args[@]}" -accel tcg -m "$mem" -smp "$smp"
	-object "memory-backend-memfd,id=mem,size=$mem,share=on"
	-kernel "${env[KERNEL_IN_ROOT]}" -initrd "${env[INITRD_IN_ROOT]}"
	-append "console=ttyS0 reboot=t panic=-1${append:+ $append}"
	-display none -nodefaults -no-reboot
	-chardev "socket,id=console,path=$in_root/console.sock,server=on,wait=off,logfile=$in_root/serial.log"
	-serial chardev:console
	-qmp "unix:$in_root/qmp.sock,server,nowait"
	-pidfile "$in_root/qemu.pid"
)
case $balloon in
builtin) args+=(-device "$builtin_device,deflate-on-oom=on") ;;
vhost-user)
	args+=(-chardev "socket,id=vb,path=$in_root/balloon.sock"
		-device "$vhost_device,chardev=vb,virtio-id=5,num_vqs=3,config_size=8")
	;;
none) ;;
*) die "--balloon must be builtin, vhost-user or none" ;;
esac
args+=("$@")

printf '%s\n' chroot "$root" "${args[@]}" >"$run_dir/qemu.cmdline"
rm -f "$run_dir/serial.log" "$run_dir/console.sock" "$run_dir/qmp.sock" "$run_dir/qemu.pid"
exec chroot "$root" "${args[@]}"
