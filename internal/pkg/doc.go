// Package pkg holds the domain types of an image inventory: [Package] (one
// installed package found in an image), its [Type] (the package ecosystem)
// and [Distro] (the operating system release the image is built on).
//
// It is a leaf: no I/O, and of drydock's packages it imports only oci. The
// scanner's extractors (scan/extract/...) produce these values; matchers,
// findings, reports and stores consume them without depending on the
// scanner.
//
// # Versions
//
// Versions are kept as the ecosystem's database spells them (dpkg and apk
// versions verbatim, Go module versions without the leading "v", the Go
// toolchain without "go"), which is the form OSV advisories use; the purl
// carries the form the purl spec asks for.
package pkg
