// Package layer reads the layers of a container image, in order, each
// exactly once, as streams: nothing is unpacked, nothing is written to disk,
// and only the files that [Selector]s want are kept in memory.
//
// # What it implements
//
//   - Compression detected from the stream's first bytes: gzip (klauspost's
//     decoder, measured 1.25x faster than compress/gzip), zstd (including a
//     leading skippable frame, as zstd:chunked writes), or a plain tar. xz,
//     bzip2 and lz4 are refused with ErrUnsupportedCompression.
//     Decompression (or, for a plain tar, reading) runs in its own
//     goroutine, ahead of tar parsing; the diff_id hash in another, on the
//     same chunks; contents no selector wants are skipped without being
//     copied ([Stream], also used by the pipeline's layer cache).
//   - Tar headers parsed by package tarfast: archive/tar's results, about
//     five times faster on the plain and PAX headers layers are made of
//     (archive/tar reads the rest).
//   - OCI whiteouts (https://github.com/opencontainers/image-spec/blob/v1.1.1/layer.md#whiteouts):
//     ".wh.<name>" deletes name, ".wh..wh..opq" hides a directory's lower
//     contents; both act on lower layers only, wherever they appear in the
//     tar. aufs metadata (".wh..wh.plnk" etc.) is ignored. A non-directory
//     replacing a directory hides its lower contents.
//   - Symbolic links resolved inside the image root only, as in a chroot:
//     absolute targets start at the root, ".." stops at the root, chains are
//     bounded (MaxLinkHops); parent directories that are links are followed
//     when entries are placed, as container runtimes do. Hard links share
//     their target's kept contents.
//   - Attribution: every file records the index of the layer that last
//     changed what its path shows, and the history of its versions
//     ([FS.History]) for finer per-package attribution by the extractors.
//   - Optional diff_id verification (sha256 or sha512 of the uncompressed
//     stream).
//   - Limits ([Config]): uncompressed layer size, tar entries, bytes per
//     kept file, bytes kept overall, decompression ratio, path length and
//     depth, time. Crossing one fails the layer with a *LimitError (except
//     MaxFileBytes, which marks just that file).
//   - Hostile entries are neutralised and recorded as [Anomaly] values:
//     absolute paths, "../" traversal, link escapes, device files, empty
//     link targets, link loops, duplicate entries.
//
// # Usage
//
//	r, err := layer.New(layer.Config{}, selectorA, selectorB)
//	for _, l := range image.Layers {
//		err = r.ReadLayer(ctx, layer.Desc{Digest: l.Digest, DiffID: l.DiffID}, l.Blob)
//	}
//	for _, f := range r.FS(0).Files() { ... } // selectorA's view
//
// A layer already reduced to its entries (a layer cache's record of it) is
// read with [Reader.ReadEntries] instead, through the same code.
//
// A [Selector] that also implements [Reducer] keeps a reduced form of each
// file (a Go binary's build information, a jar's artifact list) computed
// while the layer streams, so memory stays proportional to what matters.
//
// # Memory
//
// Kept: the wanted files (or their reductions, including superseded
// versions), one node per symbolic link, and per layer a small delta. Not
// kept: anything about the other regular files and directories; a
// million-entry layer of unwanted files grows the heap by nothing
// measurable. Duplicate entries are therefore detected only for paths that
// are kept or are links.
package layer
