#!/usr/bin/env bash
# results-section.sh HEADING SECTION-FILE RESULTS-FILE
#
# Adds the text of SECTION-FILE at the end of the part of RESULTS-FILE
# under the top-level heading HEADING (a line "# ..."), that is just before
# the next top-level heading, so that dated sections stay under their
# benchmark's heading whatever other scripts append. Without the heading,
# the heading and the section are appended at the end of the file.
# Used by bench/load/run.sh and bench/fuzz/run.sh.
set -euo pipefail
heading=$1 section=$2 results=$3
if ! grep -qxF -- "$heading" "$results"; then
	printf '\n%s\n' "$heading" >>"$results"
	cat "$section" >>"$results"
	exit 0
fi
tmp=$(mktemp)
awk -v heading="$heading" -v section="$section" '
	function flush() { while ((getline line < section) > 0) print line; close(section) }
	inside && /^# / { flush(); print ""; inside = 0; done = 1; blanks = 0 }
	inside && /^$/ { blanks++; next }
	{ for (; blanks > 0; blanks--) print ""; print }
	$0 == heading { inside = 1 }
	END { if (inside && !done) flush() }
' "$results" >"$tmp"
cat "$tmp" >"$results"
rm -f "$tmp"
