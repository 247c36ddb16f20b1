#!/usr/bin/env bash
# build-native.sh: publish `ballastd` (src/Ballastd) with NativeAOT for linux-x64 to artifacts/native/ballastd and print
# the binary's path on stdout (the only thing on stdout; progress goes to stderr).
#
# - Installs what the ILCompiler needs from Debian (clang as the linker driver, lld, zlib1g-dev) with apt, only
#   when missing (guest/lib.sh need_packages).
# - Skips the publish when the hash of its inputs is unchanged: the sources and project files of src/Ballastd and
#   every project it references (transitively), Directory.Build.props, Directory.Packages.props, global.json, this
#   script and the SDK's version. The hash is kept in artifacts/native/ballastd.inputs.
# - Idempotent, and safe to run twice at once (a lock on artifacts/native/.lock).
#
# Usage: packaging/build-native.sh [--dry-run] [--force]
#   --dry-run  say which packages are missing and whether a publish is due; install and publish nothing
#   --force    publish even when the inputs are unchanged
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../guest/lib.sh
source "$root/guest/lib.sh"

dry_run=0 force=0
for arg in "$@"; do
	case $arg in
	--dry-run) dry_run=1 ;;
	--force) force=1 ;;
	*) die "unknown argument '$arg' (usage: build-native.sh [--dry-run] [--force])" ;;
	esac
done

out="$root/artifacts/native"
build="$root/artifacts/native-build"
binary="$out/ballastd"
stamp="$out/ballastd.inputs"
packages=(clang lld zlib1g-dev)
project="src/Ballastd/Ballastd.csproj"

# missing_packages: the names in $packages that dpkg does not have installed.
missing_packages() {
	local installed
	installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
		awk '$NF == "installed" && $(NF - 1) == "ok" { print $1 }' | tr '\n' ' ') " || true
	for pkg in "${packages[@]}"; do
		[[ $installed == *" $pkg "* ]] || printf '%s\n' "$pkg"
	done
}

# project_closure CSPROJ: CSPROJ and every project it references, transitively (paths relative to $root).
project_closure() {
	local -A seen=()
	local queue=("$1") current dir ref
	while ((${#queue[@]} > 0)); do
		current=${queue[0]}
		queue=("${queue[@]:1}")
		[[ -n ${seen[$current]:-} ]] && continue
		seen[$current]=1
		printf '%s\n' "$current"
		dir=$(dirname "$current")
		while IFS= read -r ref; do
			[[ -n $ref ]] || continue
			queue+=("$(realpath --relative-to="$root" -m "$root/$dir/$ref")")
		done < <({ grep -o '<ProjectReference Include="[^"]*"' "$root/$current" || true; } | sed 's/.*Include="//; s/"$//; s#\\#/#g')
	done
}

# inputs_hash: one sha256 over the publish's inputs (file names and contents) and the SDK's version.
inputs_hash() {
	local dirs=() csproj
	while IFS= read -r csproj; do
		dirs+=("$(dirname "$csproj")")
	done < <(project_closure "$project" | sort)
	{
		(cd "$root" && find "${dirs[@]}" \( -name bin -o -name obj \) -prune -o -type f \
			\( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' -o -name '*.xml' \) -print |
			LC_ALL=C sort | xargs sha256sum)
		(cd "$root" && sha256sum Directory.Build.props Directory.Packages.props global.json packaging/build-native.sh)
		printf 'sdk %s\n' "$(cd "$root" && dotnet --version)"
	} | sha256sum | cut -d' ' -f1
}

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

mapfile -t missing < <(missing_packages)
hash=$(inputs_hash)
up_to_date=0
if ((force == 0)) && [[ -x $binary && -r $stamp && $(<"$stamp") == "$hash" ]]; then
	up_to_date=1
fi

if ((dry_run)); then
	if ((${#missing[@]} > 0)); then log "would install: ${missing[*]}"; else log "packages present: ${packages[*]}"; fi
	if ((up_to_date)); then log "inputs unchanged ($hash): no publish"; else log "inputs changed or no binary ($hash): would publish $project"; fi
	printf '%s\n' "$binary"
	exit 0
fi

if ((${#missing[@]} > 0)); then
	need_packages "${packages[@]}"
fi

if ((up_to_date)); then
	log "inputs unchanged: $binary is current"
else
	log "publishing $project with NativeAOT (linux-x64)"
	# A clean folder: nothing of an earlier publish (or another layout) is left beside the new binary.
	find "$out" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
	# Every project of the publish builds into a tree of its own (--artifacts-path), not into src/*/bin and obj: the
	# NativeAOT compiler maps the referenced assemblies while it runs, and a test run builds the same projects at the
	# same time (`dotnet pack` in Packaging.Tests, the solution's own build); one of them rewriting a mapped assembly
	# killed the compiler with SIGBUS. The RID-specific restore stays out of the shared obj folders too.
	(cd "$root" && dotnet publish "$project" -c Release -r linux-x64 -o "$out" --artifacts-path "$build" -nologo) >&2 ||
		die "dotnet publish $project failed"
	[[ -x $binary ]] || die "the publish made no $binary"
	# The referenced projects' portable PDBs describe IL that is not in the binary (ballastd.dbg holds its symbols).
	rm -f "$out"/*.pdb
	printf '%s\n' "$hash" >"$stamp"
	log "published $binary ($(du -h "$binary" | cut -f1))"
fi
printf '%s\n' "$binary"
