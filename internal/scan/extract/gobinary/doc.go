// Package gobinary extracts the Go modules and the Go standard library
// version compiled into Go executables, from the build information the Go
// linker embeds (debug/buildinfo; Go 1.13 and later, stripped binaries
// included).
//
// Binaries are reduced while the layer streams ([Extractor.Reduce]): only
// the build information text is kept. A binary of layer.StreamFrom bytes
// or more is never held whole ([Extractor.ReduceStream]): it is searched
// for the build information as it passes, which for Go 1.18 and later
// lies inline after a header in the data segment; before Go 1.18 the
// header points back into read-only data, whose candidate strings are
// kept as they pass, and the segments at the start of the file (ELF
// program headers, PE sections, Mach-O load commands) map its pointers; an
// older fat Mach-O file of that size is reported as unreadable, with a
// warning.
//
// Each module also carries the packages of it that have code in the
// binary, with their functions ([pkg.Package.GoPackages]), read from the
// function name table the linker writes for the runtime (pclntab, Go 1.16
// and later; inlined functions included), whole (an ELF file's
// .gopclntab section, else a search for its header) or as the stream
// passes it: the matcher exempts Go advisories about packages or
// functions the binary has no code of.
//
// Reported: every dependency module (its replacement when replaced by a
// versioned module), the main module, and the standard library as module
// "stdlib". Modules built from a directory, with version "(devel)" (the
// main module of a plain `go build`, a local-path replacement, a go.work
// module such as kubectl's k8s.io/apimachinery), are skipped: there is no
// version to judge advisories against, and judging them anyway would
// report every advisory the module ever had. Versions are in OSV form:
// module versions without "v" ("3.2.0+incompatible"), the toolchain as a
// semantic version ("go1.21rc2" -> "1.21.0-rc.2"), without the GOEXPERIMENT
// list a toolchain may append ("go1.26.8-X:jsonv2" -> "1.26.8").
package gobinary
