// Package binstream helps extractors read executables as streams, never
// whole: a [Window] over the file that keeps only what a parser still
// needs, with file offsets, the format a file's magic number names
// ([FormatOf]), and the facts of an executable's headers that its first
// bytes give ([ParseELF], [ParseLayout]). The Go and Rust binary extractors use
// it to find the build information and audit data of binaries too large
// to hold in memory (see layer.StreamReducer).
package binstream
