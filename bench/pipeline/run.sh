#!/usr/bin/env bash
# bench/pipeline/run.sh — the scan pipeline through a real `drydock serve`.
#
# Usage: bench/pipeline/run.sh [bench/pipeline flags]
#        e.g. bench/pipeline/run.sh -fleet 2000 -latency 20
# Env:   DRYDOCK_BIN=path   measure this drydock binary instead of building one
#        DRYDOCK_SHARED_TESTDATA=dir   the shared test data (default ../shared/testdata)
#
# What it does:
#   1. builds drydock (./cmd/drydock) into bench/out/bin;
#   2. runs bench/pipeline (main.go), which imports the Alpine secdb into a
#      fresh data directory under bench/out/pipeline, starts drydock serve on
#      a free 127.0.0.1 port (authentication off, log level warn) and takes:
#        - push-to-verdict latency, p50 and p99 of -latency pushes each of the
#          Alpine 3.4.6 and the Debian bookworm test images (each push a new
#          digest: the image plus a small unique layer), from the return of
#          the manifest PUT to the final status visible in
#          GET /api/v1/repositories/{name}/manifests/{digest} (polled every
#          2 ms), while -background pushers push distinct small images;
#        - sustained scans per minute: -fleet distinct small images (Alpine
#          3.20 base + a unique layer) pushed by -pushers clients, counted
#          from the first push until every one has a final status;
#        - re-evaluation of every stored image after two `drydock db import`s
#          run against the live server: an advisory for another Alpine release
#          (nothing changes), then one for the images' busybox (every image
#          becomes unhealthy, with findings and events written); duration as
#          the server reports it in GET /api/v1/db (reevaluation.startedAt ..
#          endedAt);
#        - the server's peak RSS;
#   3. prints a table, writes bench/out/pipeline/results.{json,md} and appends
#      a dated section with the command, commit and load average to
#      bench/RESULTS.md.
#
# Pushing and scanning share the machine's cores. Figures are informational.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
OUT="$REPO/bench/out"
mkdir -p "$OUT/bin" "$OUT/pipeline"
TESTDATA=${DRYDOCK_SHARED_TESTDATA:-$REPO/../shared/testdata}

log() { printf 'bench: %s\n' "$*" >&2; }

if [[ -n "${DRYDOCK_BIN:-}" ]]; then
	log "using drydock binary $DRYDOCK_BIN"
	cp "$DRYDOCK_BIN" "$OUT/bin/drydock"
else
	log "building drydock"
	go build -o "$OUT/bin/drydock" ./cmd/drydock
fi
go build -o "$OUT/bin/pipeline-bench" ./bench/pipeline

commit=$(git rev-parse --short HEAD)
dirty=""
git diff --quiet HEAD -- . ':!bench/RESULTS.md' || dirty=" (working tree with uncommitted changes)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
"$OUT/bin/pipeline-bench" -drydock "$OUT/bin/drydock" -testdata "$TESTDATA" -out "$OUT/pipeline" "$@"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

section="$OUT/pipeline/section.md"
{
	printf '\n## %s — drydock %s%s\n\n' "$started" "$commit" "$dirty"
	printf 'Command: `bench/pipeline/run.sh %s` on %s cores, %s, loopback.\n' "$*" "$(nproc)" "$(go version | cut -d' ' -f3)"
	printf 'Load average (1, 5, 15 min) before: %s; after: %s.\n\n' "$load_before" "$load_after"
	cat "$OUT/pipeline/results.md"
} >"$section"
# The section goes at the end of the "# Scan pipeline" part of RESULTS.md
# (before the next top-level heading), which other benchmarks share.
awk -v section="$section" '
	function flush() { while ((getline line < section) > 0) print line; close(section); print ""; done = 1 }
	/^# / { if (inpart && !done) flush(); inpart = ($0 ~ /^# Scan pipeline/) }
	{ print }
	END { if (!done) flush() }
' "$REPO/bench/RESULTS.md" >"$REPO/bench/RESULTS.md.tmp" && mv "$REPO/bench/RESULTS.md.tmp" "$REPO/bench/RESULTS.md"
log "results appended to bench/RESULTS.md"
