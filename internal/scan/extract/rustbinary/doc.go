// Package rustbinary extracts the crates compiled into Rust executables
// built with cargo-auditable, which embeds the dependency graph in a
// section named .dep-v0 (in the __DATA segment on Mach-O): zlib-compressed
// JSON, format and parsing advice in
// https://github.com/rust-secure-code/cargo-auditable (PARSING.md,
// cargo-auditable.schema.json).
//
// # What is reported
//
// The crates reachable from the graph's root package through its
// dependencies (every package when the graph has no single root, as the
// format allows), except:
//
//   - build-time crates ("kind": "build": build scripts, proc-macros and
//     their dependencies), which are not in the executable;
//   - crates whose source is "local" (the workspace's own crates, the root
//     among them) or "git" (forks whose versions are not crates.io
//     releases; cargo-audit does not match them against crates.io
//     advisories either).
//
// Crates from crates.io and from other registries (source "registry",
// usually a mirror of crates.io) are reported as crates.io packages.
//
// # Cost and limits
//
// Candidates are executable regular files of at least 4 KiB with an ELF,
// PE or Mach-O header. Binaries are reduced while the layer streams
// ([Extractor.Reduce]): a binary whose bytes do not contain the section
// name is dropped after one substring search; otherwise the section is
// located with debug/elf, debug/pe or debug/macho on the in-memory file
// (nothing is read past it) and only the crate list is kept. A binary of
// layer.StreamFrom bytes or more is never held whole
// ([Extractor.ReduceStream]): zlib streams that decode as audit data are
// collected as it passes, and the section table (at the start of PE and
// Mach-O files, kept as it passes at the end of ELF files) says which is
// the section's. The
// compressed section is refused over 8 MiB and its decompressed JSON over
// 8 MiB (the limit cargo-auditable's own parser recommends), the graph
// over 100,000 packages.
package rustbinary
