#!/usr/bin/env bash
# bench/fuzz/run.sh — runs every Go fuzz target of the module for FUZZTIME
# each and summarizes (issue 7: manifest and index parsing, the layer
# reader, every package parser, every version parser, every feed parser
# and the query parser are fuzzed; every crash found becomes a regression
# test).
#
# Usage: bench/fuzz/run.sh [PACKAGE-PATTERN...]   (default ./...)
# Env:   FUZZTIME    per-target fuzzing time (default 60s)
#        FUZZMINIMIZETIME   time spent minimizing each new interesting input or
#                    crasher (default 5s; go test's default of 60s stalls
#                    targets with large seeds, whose executions are dear:
#                    while a worker minimizes, it explores nothing)
#        NO_RESULTS=1   do not add the summary to bench/RESULTS.md
#
# Targets are found, not listed (as scripts/fuzz-short.sh, which CI runs
# with 10 s each): every package whose _test.go files declare a
# `func Fuzz...` is asked for its targets with `go test -list '^Fuzz'`, and
# each target runs alone with
#   go test -run '^$' -fuzz '^NAME$' -fuzztime $FUZZTIME \
#     -fuzzminimizetime $FUZZMINIMIZETIME PACKAGE
# The seed corpus (f.Add and testdata/fuzz/NAME/) runs first, then the
# fuzzer with GOMAXPROCS workers.
#
# A crash fails its target (a bare "context deadline exceeded" without a
# failing input is Go 1.26's coordinator race, go.dev/issue/75804, and is
# reported as a flake): go test minimizes the input and writes it to
# the package's testdata/fuzz/NAME/ directory. Commit that file with the
# fix: it then runs as a regression test in every `go test`. The script
# runs every target, prints a table (target, result, executions, new
# interesting inputs, corpus size, crasher file) into
# bench/out/fuzz/summary.md, adds it with the date, commit and load
# average to bench/RESULTS.md, and exits 1 if any target failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$(pwd)
FUZZTIME=${FUZZTIME:-60s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
OUT="$REPO/bench/out/fuzz"
mkdir -p "$OUT"
patterns=("$@")
((${#patterns[@]})) || patterns=(./...)

log() { printf 'bench/fuzz: %s\n' "$*" >&2; }

commit=$(git rev-parse --short HEAD)
dirty=""
if ! git diff --quiet HEAD -- . ':!bench/RESULTS.md' || [[ -n $(git ls-files --others --exclude-standard -- cmd internal bench) ]]; then
	dirty=" (working tree with uncommitted changes)"
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
start=$(date +%s)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
targets=()
failed=()
pkgs=$(go list -f '{{.ImportPath}} {{.Dir}}' "${patterns[@]}")
while read -r pkg dir; do
	grep -qs '^func Fuzz' "$dir"/*_test.go || continue
	if ! names=$(go test -list '^Fuzz' "$pkg" 2>"$out"); then
		log "FAIL $pkg: cannot list its targets:"
		cat "$out" >&2
		failed+=("$pkg (go test -list)")
		continue
	fi
	for name in $names; do
		[[ $name == Fuzz* ]] && targets+=("$pkg $name")
	done
done <<<"$pkgs"
log "${#targets[@]} targets, $FUZZTIME each"

summary="$OUT/summary.md"
{
	printf '| package | target | result | executions | new interesting | corpus | crasher |\n'
	printf '| --- | --- | --- | ---: | ---: | ---: | --- |\n'
} >"$summary"
total_execs=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$(date +%s)
	result=ok
	if ! go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" >"$out" 2>&1; then
		if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
			# Go 1.26's fuzz coordinator can report its own -fuzztime
			# deadline as a failure, with no failing input, when workers
			# are starved of CPU (go.dev/issue/75804; see
			# scripts/fuzz-short.sh): not a finding about our code.
			result="flake (toolchain deadline race)"
		else
			result=FAIL
			failed+=("$pkg $name")
		fi
	fi
	# The last progress line: "fuzz: elapsed: 1m0s, execs: 123 (2/sec), new interesting: 4 (total: 56)".
	progress=$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -1 || true)
	execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$progress")
	newi=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$progress")
	corpus=$(sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p' <<<"$progress")
	crasher=$(sed -nE 's/.*Failing input written to (testdata\/fuzz\/[^ ]+).*/\1/p' "$out" | head -1)
	total_execs=$((total_execs + ${execs:-0}))
	short=${pkg#github.com/drydock/drydock/}
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$short" "$name" "$result" "${execs:--}" "${newi:--}" "${corpus:--}" "${crasher:-}" >>"$summary"
	if [[ $result != FAIL ]]; then
		log "$result $short $name ($(($(date +%s) - t0))s, ${execs:-?} execs)"
	else
		log "FAIL $short $name ($(($(date +%s) - t0))s):"
		tail -40 "$out" >&2
	fi
done
elapsed=$(($(date +%s) - start))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
printf '\n%d targets, %d failed, %d executions in all, %d s (compilation included).\n' \
	"${#targets[@]}" "${#failed[@]}" "$total_execs" "$elapsed" >>"$summary"
cat "$summary"

if [[ -z "${NO_RESULTS:-}" ]]; then
	section=$(mktemp)
	{
		printf '\n## %s — drydock %s%s\n\n' "$started" "$commit" "$dirty"
		printf 'Command: `%s` on %s cores, %s.\n' "$(echo FUZZTIME="$FUZZTIME" FUZZMINIMIZETIME="$FUZZMINIMIZETIME" bench/fuzz/run.sh "$@")" "$(nproc)" "$(go version | cut -d' ' -f3)"
		printf 'Load average (1, 5, 15 min) before: %s; after: %s.\n\n' "$load_before" "$load_after"
		cat "$summary"
	} >"$section"
	bash bench/load/results-section.sh "# Fuzzing (bench/fuzz/run.sh)" "$section" "$REPO/bench/RESULTS.md"
	rm -f "$section"
	log "summary added to bench/RESULTS.md"
fi
if ((${#failed[@]})); then
	log "${#failed[@]} failed:"
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
