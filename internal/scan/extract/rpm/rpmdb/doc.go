// Package rpmdb reads rpm's package databases without SQLite: rpm header
// blobs ([ParseHeader]), Berkeley DB hash files ([ReadBDB]) and NDB files
// ([ReadNDB]), all from memory, in pure Go; [Detect] tells the three
// formats (SQLite included) apart. Package rpm reads SQLite databases and
// turns headers into packages.
//
// It is a package of its own so that its fuzz tests run in a binary
// without SQLite: coverage-guided fuzzing instruments every linked
// package, and linking modernc.org/sqlite's transpiled C slows the header
// parser's fuzzing from about 22,000 to 9,000 executions a second.
//
// The seeds are kilobytes long, which makes the fuzzer's minimisation of
// each new input slow; run with a bounded minimisation:
//
//	go test -fuzz FuzzParseHeader -fuzztime 60s -fuzzminimizetime 1000x
//
// Every error wraps [ErrInvalid] (corrupt, truncated or foreign data) or
// [ErrUnsupported] (a variant rpm databases do not use); no input makes it
// panic or allocate more than its size and a header's 16 MiB cap.
package rpmdb
