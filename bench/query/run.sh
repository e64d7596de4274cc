#!/bin/sh
# Benchmark the query engine on generated in-memory tables: where + summarize
# over 1,000,000 findings (target < 1 s), mv-expand + join over 100,000
# sub-assessments (target < 2 s), peak memory.
# Usage: bench/query/run.sh [flags for main.go, e.g. -findings 2000000 -repeat 7]
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
go build -o "$tmp/bench" ./bench/query
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet -- internal/kql bench/query || echo ' (with local changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
"$tmp/bench" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
