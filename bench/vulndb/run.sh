#!/bin/sh
# Benchmark the advisory database: import of the real test data, import of a
# generated 500,000-record OSV corpus (wall time, peak RSS), lookup latency.
# Usage: bench/vulndb/run.sh [flags for main.go, e.g. -records 100000]
# Needs the real data in ../shared/testdata/vulndb (relative to the repo).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
go build -o "$tmp/drydock" ./cmd/drydock
go build -o "$tmp/bench" ./bench/vulndb
"$tmp/bench" -drydock "$tmp/drydock" -testdata "$repo/../shared/testdata/vulndb" -work "$tmp/work" "$@"
