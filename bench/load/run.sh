#!/usr/bin/env bash
# bench/load/run.sh — robustness under load (issue 7): 50 concurrent clients
# push and pull through a real `drydock serve` for 5 minutes with zero
# errors and steady memory and goroutine counts.
#
# Usage: bench/load/run.sh [bench/load flags]
#        e.g. bench/load/run.sh -duration 10m -clients 100
# Env:   DRYDOCK_BIN=path   measure this drydock binary instead of building one
#        DRYDOCK_SHARED_TESTDATA=dir   the shared test data (default ../shared/testdata)
#        NO_RESULTS=1       do not append to bench/RESULTS.md
#
# What it does:
#   1. builds drydock (./cmd/drydock) and the driver (./bench/load) into
#      bench/out/bin;
#   2. the driver imports the Alpine secdb into a fresh data directory under
#      bench/out/load, starts drydock serve on a free 127.0.0.1 port with
#      authentication on (log level warn, no advisory updates), pushes a base
#      image (Alpine 3.4.6's package database, so every push scans to
#      findings), and runs -clients clients for -duration
#      (bench/load/loadgen/doc.go lists what they do: token flow, pushes with
#      new and shared layers through every upload flow, tags, referrers,
#      indexes; pulls of manifests, blobs with Range, tag lists, referrers,
#      catalog), sampling the server's VmRSS (/proc/PID/status), goroutines
#      (/metrics go_goroutines) and scan queue every -sample;
#   3. prints the report (throughput, errors, per-operation latency, RSS and
#      goroutine series with first/last/max and the drift check: mean of the
#      last minute vs mean of the second minute within the tolerance),
#      writes bench/out/load/results.{md,json} and appends a dated section
#      with the command, commit and load average to bench/RESULTS.md.
#
# Exits 1 when any operation failed or the drift check failed (the section
# is appended either way). The clients and the server share the machine's
# cores; throughput figures are informational.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
OUT="$REPO/bench/out"
mkdir -p "$OUT/bin" "$OUT/load"
TESTDATA=${DRYDOCK_SHARED_TESTDATA:-$REPO/../shared/testdata}

log() { printf 'bench: %s\n' "$*" >&2; }

if [[ -n "${DRYDOCK_BIN:-}" ]]; then
	log "using drydock binary $DRYDOCK_BIN"
	cp "$DRYDOCK_BIN" "$OUT/bin/drydock"
else
	log "building drydock"
	go build -o "$OUT/bin/drydock" ./cmd/drydock
fi
go build -o "$OUT/bin/load-bench" ./bench/load

commit=$(git rev-parse --short HEAD)
dirty=""
if ! git diff --quiet HEAD -- . ':!bench/RESULTS.md' || [[ -n $(git ls-files --others --exclude-standard -- cmd internal bench) ]]; then
	dirty=" (working tree with uncommitted changes)"
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
rc=0
"$OUT/bin/load-bench" -drydock "$OUT/bin/drydock" -testdata "$TESTDATA" -out "$OUT/load" "$@" || rc=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

if [[ -z "${NO_RESULTS:-}" && -s "$OUT/load/results.md" ]]; then
	section=$(mktemp)
	{
		printf '\n## %s — drydock %s%s\n\n' "$started" "$commit" "$dirty"
		printf 'Command: `%s` on %s cores, %s, loopback.\n' "$(echo bench/load/run.sh "$@")" "$(nproc)" "$(go version | cut -d' ' -f3)"
		printf 'Load average (1, 5, 15 min) before: %s; after: %s.\n\n' "$load_before" "$load_after"
		cat "$OUT/load/results.md"
	} >"$section"
	bash bench/load/results-section.sh "# Load (bench/load/run.sh)" "$section" "$REPO/bench/RESULTS.md"
	rm -f "$section"
	log "results added to bench/RESULTS.md"
fi
exit "$rc"
