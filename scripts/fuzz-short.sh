#!/usr/bin/env bash
# fuzz-short.sh — runs every Go fuzz target of the module for a short time
# (issue 4: the layer reader and each parser are fuzzed in CI).
#
# Targets are found, not listed: every package whose _test.go files declare
# a `func Fuzz...` is asked for its targets with `go test -list '^Fuzz'`, and
# each target runs alone with
#   go test -run '^$' -fuzz '^NAME$' -fuzztime $FUZZTIME PACKAGE
# (go test -fuzz takes one package and one target at a time). The seed
# corpus (f.Add and testdata/fuzz/NAME) runs first, then the fuzzer.
#
# A crash fails the target (a bare "context deadline exceeded" with no
# failing input is Go 1.26's fuzz coordinator race, go.dev/issue/75804, and
# is reported as a flake instead, as is a saved input that passes when run
# again — a worker that died for another reason; a crash that reproduces
# fails, and so does a worker dying while minimizing in two runs in a row): go test prints the input and writes it to the
# package's testdata/fuzz/NAME/ directory, where it becomes a regression seed
# once committed. The script runs every target, then exits 1 if any failed,
# naming them.
#
# Usage: scripts/fuzz-short.sh [PACKAGE-PATTERN...]   (default ./...)
# Env:   FUZZTIME      per-target fuzzing time (default: 10s, or less when
#                      there are so many targets that fuzzing would take
#                      longer than FUZZ_BUDGET; never under 3s)
#        FUZZ_BUDGET   seconds of fuzzing in all when FUZZTIME is not set
#                      (default 480); building each target adds ~2s, listing
#                      them ~30s
#
# Measured on 2 cores with 48 targets at 10s: 616s in all (583s for the
# targets, 33s to list them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZ_BUDGET=${FUZZ_BUDGET:-480}
patterns=("$@")
((${#patterns[@]})) || patterns=(./...)

log() { printf 'fuzz-short: %s\n' "$*" >&2; }

start=$(date +%s)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
targets=()
failed=()
flaked=()
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
if [[ -z "${FUZZTIME:-}" ]]; then
	per=10
	if ((${#targets[@]} > 0 && FUZZ_BUDGET / ${#targets[@]} < per)); then
		per=$((FUZZ_BUDGET / ${#targets[@]}))
		((per >= 3)) || per=3
	fi
	FUZZTIME=${per}s
fi
log "${#targets[@]} targets, $FUZZTIME each"

for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	t0=$(date +%s)
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg" >"$out" 2>&1; then
		log "ok   $pkg $name ($(($(date +%s) - t0))s)"
	elif grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
		# Go's fuzz coordinator can report its own -fuzztime deadline as a
		# failure, with no failing input, when workers are starved of CPU
		# (go.dev/issue/75804, fixed in Go 1.27, not in 1.26.x). That is
		# not a finding about our code: warn and go on.
		log "FLAKE $pkg $name ($(($(date +%s) - t0))s): fuzztime deadline race in the Go toolchain, no failing input"
		flaked+=("$pkg $name")
	elif grep -q 'terminated unexpectedly while minimizing' "$out" &&
		! go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg" >"$out.rerun" 2>&1 &&
		grep -q 'terminated unexpectedly while minimizing' "$out.rerun"; then
		# A worker that dies while minimizing leaves an input that is not
		# the one that killed it (a stack overflow or runaway memory in a
		# candidate). Once may be a starved machine; twice in a row is a
		# crash (kql's FuzzRun hid a stack overflow this way).
		log "FAIL $pkg $name ($(($(date +%s) - t0))s): a fuzz worker died while minimizing, in two runs in a row;" \
			"the saved input is not the crasher: log the fuzz function's inputs to a file to find it"
		cat "$out" "$out.rerun" >&2
		failed+=("$pkg $name")
	elif rerun=$(grep -o "go test -run=$name/[0-9a-f]*" "$out" | head -1) && [[ -n $rerun ]] &&
		go test "${rerun#go test }" "$pkg" >"$out.rerun" 2>&1; then
		# The fuzzer saved an input, but running that input again passes:
		# the worker died for another reason (e.g. starved or killed while
		# minimizing on a loaded machine). Keep the input (it is now a seed
		# in testdata/fuzz) and report it; a crash that reproduces fails.
		log "FLAKE $pkg $name ($(($(date +%s) - t0))s): the saved input passes when run again (${rerun#go test }); kept as a seed:"
		cat "$out" >&2
		flaked+=("$pkg $name (unreproducible)")
	else
		log "FAIL $pkg $name ($(($(date +%s) - t0))s):"
		cat "$out" >&2
		[[ -f "$out.rerun" ]] && cat "$out.rerun" >&2
		failed+=("$pkg $name")
	fi
	rm -f "$out.rerun"
done
if ((${#flaked[@]})); then
	log "${#flaked[@]} ended on the toolchain's deadline race (not failures):"
	printf '  %s\n' "${flaked[@]}" >&2
fi
log "${#targets[@]} targets in $(($(date +%s) - start))s"
if ((${#failed[@]})); then
	log "${#failed[@]} failed:"
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
