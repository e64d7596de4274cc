#!/usr/bin/env bash
# bench/registry/run.sh — drydock's registry next to the CNCF Distribution
# registry, measured in the same run on loopback.
#
# Usage: bench/registry/run.sh [registry-bench flags]
#        e.g. bench/registry/run.sh -big-reps 3 -only drydock
# Env:   DRYDOCK_BIN=path   measure this drydock binary instead of building one
#        DISTRIBUTION_VERSION=v3.x.y   (default v3.1.2)
#
# What it does:
#   1. builds drydock (./cmd/drydock) and Distribution
#      (github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION,
#      from the Go module proxy) into bench/out/bin;
#   2. runs bench/registry (main.go), which starts both servers on free
#      127.0.0.1 ports with fresh data directories under bench/out and takes
#      each figure for one server, then the other (alternating within each
#      repetition, so a change of machine load touches both alike):
#        - push and pull of a 500 MiB image (5 layers x 100 MiB of random,
#          incompressible data, uncompressed tar layers), fresh content in each
#          of 5 repetitions, median; sync(2) before each push; 4 concurrent
#          blob transfers like crane; pulls check sizes (and digests once,
#          outside the timing);
#        - push and pull of a small image (3 layers of 2-8 KiB), median of 50;
#        - requests/s for manifest HEAD, manifest GET and tag listing,
#          20,000 requests each from 16 keep-alive clients;
#        - creation of 10,000 repositories (a tiny manifest each, config blob
#          mounted across repositories) and the latency of listing them all
#          with GET /v2/_catalog?n=10000 (Link pages followed), median of 10;
#        - the server's peak RSS (VmHWM from /proc/PID/status) right after the
#          big-image pushes, and at the end;
#   3. prints a table (drydock, distribution, ratio where >= 1.00 means drydock
#      is as good or better), writes bench/out/results-<time>.{json,md}, and
#      appends a dated section with the command to bench/RESULTS.md.
#
# Timings are informational: nothing here fails on a slow figure. It needs
# about 3 GB of free disk in bench/out and takes a few minutes on 2 cores.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
DISTRIBUTION_VERSION=${DISTRIBUTION_VERSION:-v3.1.2}
OUT="$REPO/bench/out"
BIN="$OUT/bin"
mkdir -p "$BIN"

log() { printf 'bench: %s\n' "$*" >&2; }

if [[ -n "${DRYDOCK_BIN:-}" ]]; then
	log "using drydock binary $DRYDOCK_BIN"
	cp "$DRYDOCK_BIN" "$BIN/drydock"
else
	log "building drydock"
	go build -o "$BIN/drydock" ./cmd/drydock
fi

have=$( { go version -m "$BIN/registry" 2>/dev/null || true; } | awk '$1 == "mod" { print $3; exit }')
if [[ "$have" != "$DISTRIBUTION_VERSION" ]]; then
	log "building distribution $DISTRIBUTION_VERSION"
	GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
		go install "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION"
else
	log "distribution $DISTRIBUTION_VERSION already built"
fi

log "building the load generator"
go build -o "$BIN/registry-bench" ./bench/registry

cmdline="bench/registry/run.sh${*:+ $*}"
log "running: $cmdline"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$BIN/registry-bench" -drydock "$BIN/drydock" -distribution "$BIN/registry" -out "$OUT" "$@"

if [[ -n "${DRYDOCK_BIN:-}" ]]; then
	what="drydock binary $DRYDOCK_BIN"
else
	what="drydock $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	git status --porcelain 2>/dev/null | grep -qv '^??' && what+=" (uncommitted changes)"
fi
{
	echo
	echo "## $(date -u +%Y-%m-%d\ %H:%M) UTC — $what vs Distribution $DISTRIBUTION_VERSION"
	echo
	echo "Command: \`$cmdline\` on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | awk '{print $3}'), loopback."
	echo "Load average (1/5/15 min) before: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg). A load above the core count means other work shared the machine and timings are noisy."
	echo
	cat "$OUT/results-latest.md"
} >> "$REPO/bench/RESULTS.md"
log "appended to bench/RESULTS.md; raw results in $OUT"
