// Package gunzip decompresses gzip layers faster than a sequential decoder
// can: a deflate decoder of its own (inflate.go, table-driven with a
// 64-bit bit buffer, the next symbol looked up before each refill; on one
// core about 1.7x klauspost/compress's speed here) that can start at any
// bit offset, and a [Reader] that decodes chunks of one
// stream on several cores at once before the data each chunk refers back
// to is known (the approach of rapidgzip, Knespel and Brunst 2023).
//
// On the 2-core bench machine the Debian minbase layer (51 MB) inflates in
// 0.28-0.35 s on both cores against klauspost's 0.78-0.85 s (2026-11-29,
// a slow day of that host); bench/RESULTS.md has the figures.
// Output is checked against the members' CRC-32 and sizes like any gzip
// reader; a stream of several members (eStargz: one per file) is decoded
// member after member by the same decoder. FuzzReader and
// FuzzReaderMembers compare it with klauspost's on valid and broken
// streams.
package gunzip
