// Package layercache makes image inventories from per-layer results, so
// that a layer shared by many images (a base image) is read once, and a
// new extractor version re-reads only the layers it affects.
//
// # What is cached
//
// A layer's result cannot be its packages: what an image holds depends on
// how its layers stack (whiteouts, opaque directories, files replaced by
// later layers, symbolic links and hard links across layers, packages
// attributed to the layer that introduced them). So the cache keeps, per
// layer blob digest, a [Skeleton]: every tar entry's header (name, type,
// link, mode, size) in order, and only the contents the scan's selectors
// need:
//
//   - the whole contents of regular files a selector that keeps whole
//     files wants (package databases, release files);
//   - for files only reducers want (binaries, archives, manifests), each
//     reducer's output instead of the file;
//   - nothing of any other file.
//
// An image's inventory is then made by replaying its layers' skeletons, as
// entries (layer.Entries: each header with its kept contents, zeros where
// contents were left out; no tar stream is written or parsed), through the
// very extraction session an ordinary read uses (extract.Session over the
// layer reader). Whiteouts, overrides, link resolution and layer
// attribution are therefore computed by the same code on the same entries,
// and the inventory is the one an ordinary read gives.
//
// The layers an image needs recorded are recorded side by side, largest
// first, up to Config.Parallel at once over the whole cache; each
// recording reads its layer through layer.OpenStream, as the ordinary read
// does (decompression and hashing on goroutines of their own, the same
// limits, the diff_id verified).
//
// # Why a replay is exact, or refuses
//
// A skeleton records what selectors want at each entry's own path. The
// reader decides on the path after resolving the symbolic links of lower
// layers, and also keeps files a wanted symbolic link leads to. When that
// makes it need contents a skeleton left out:
//
//   - a selector keeping whole files: the layer reader calls
//     layer.Desc.Omitted for the entry and fails with layer.ErrOmitted
//     instead of keeping zeros;
//   - a reducer: the cache's wrapper around it finds no output recorded for
//     that entry (or the path differs from the recorded one).
//
// The record also marks the files no selector wanted at their own path
// (Entry.Unwanted); the reader skips asking the selectors about those only
// where it places the file at that same path and no wanted link leads to
// it, so the marks never hide a file the ordinary read would keep.
//
// Either way the replay is abandoned, the entries it needed are pinned
// (their contents kept from then on) and the layer recorded again; if the
// second replay also fails, the image is read the ordinary way. A layer
// the recorder cannot handle (unsupported compression, a tar entry type
// or a tar error it does not know, more kept contents than it may hold)
// is read the ordinary way too, which gives the canonical result or
// failure. A layer whose stream fails (a limit crossed: size, ratio, time;
// compressed data that does not decode; a diff_id mismatch) fails the
// image at once with the layer reader's error, as the ordinary read would
// after reading as much again; with several such layers it may name
// another one than the ordinary read, which reads them in order.
//
// # Versions
//
// A skeleton lists the selectors (name@version) it was recorded for. When
// the scan's extractors change, a stored skeleton is checked against the
// new list from its headers alone: if it already holds what every
// selector wants (an apk extractor at a new version still wants the same
// database file, whose contents are kept) it is reused and relabelled; only
// layers with files a new reducer version wants are read again.
//
// # Storage
//
// Skeletons are objects (package objects) named layers/<alg>/<xx>/<hex>.skeleton,
// zstd-compressed; a bounded in-memory LRU keeps decoded ones. They are a
// cache: losing one costs a re-read.
package layercache
