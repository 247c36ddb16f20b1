#!/usr/bin/env bash
# footprint.sh: today's `ballast` (framework-dependent build) and the NativeAOT `ballastd`, measured side by side in
# one run by benchmarks/Ballast.Footprint: idle RSS (supervisor + worker; RssAnon/RssFile/RssShmem) and threads of
# `serve` with a connected front-end that set up guest memory and the rings, start-to-listening and `balloon get`
# wall time (medians). Prints a Markdown table on stdout; extra arguments go to the tool (--runs N, --idle SECONDS).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build src/Ballast.Cli -c Release -nologo -v quiet >&2
ballastd=$(packaging/build-native.sh)
dotnet build benchmarks/Ballast.Footprint -c Release -nologo -v quiet >&2
printf '# build sizes: ballast %s (src/Ballast.Cli/bin/Release/net10.0), ballastd %s (one file)\n' \
	"$(du -sh src/Ballast.Cli/bin/Release/net10.0 | cut -f1)" "$(du -sh "$ballastd" | cut -f1)"
exec benchmarks/Ballast.Footprint/bin/Release/net10.0/Ballast.Footprint "$@" \
	ballast=src/Ballast.Cli/bin/Release/net10.0/ballast ballastd="$ballastd"
