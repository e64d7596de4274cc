#!/usr/bin/env bash
# bench/scan/ab.sh — two drydock binaries alternating on one image, cold.
#
# Usage: bench/scan/ab.sh OLD NEW IMAGE [RUNS] [DATA]
#   OLD, NEW  drydock binaries (build each commit with go build -ldflags='-s -w' -o,
#             as run.sh and go run do)
#   IMAGE     a docker save archive, e.g. one of bench/scan/run.sh's images
#             under ~/.cache/drydock-bench/images
#   RUNS      runs of each (default 5)
#   DATA      the data directory with the advisory database (default
#             bench/out/scan/data, which bench/scan/run.sh fills)
#
# Before every run the layer cache (DATA/cache) is emptied and the page
# cache dropped (needs root; said so otherwise), as run.sh does for its
# drydock rows. Prints the wall milliseconds of each binary, median (min-max).
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n 2,14p "$0" >&2; exit 2; }
old=$1 new=$2 img=$3 runs=${4:-5}
data=${5:-$(cd "$(dirname "$0")/../.." && pwd)/bench/out/scan/data}
[[ -f $img ]] || { echo "ab.sh: no image $img" >&2; exit 1; }
drop() {
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || { [[ -n ${warned:-} ]] || echo "ab.sh: cannot drop the page cache (not root): runs are warm" >&2; warned=1; }
}
declare -A ms
for _ in $(seq "$runs"); do
	for v in old new; do
		rm -rf "$data/cache"
		drop
		s=$EPOCHREALTIME
		"${!v}" --data "$data" scan --format json "docker-archive:$img" >/dev/null
		e=$EPOCHREALTIME
		ms[$v]+="$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%d", (e - s) * 1000 }') "
	done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{ x[NR] = $1 } END { printf "%d (%d-%d)", x[int((NR + 1) / 2)], x[1], x[NR] }'; }
echo "$(basename "$img" .tar): old $(med <<<"${ms[old]}") new $(med <<<"${ms[new]}") ms, $runs runs each"
