package layer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan/layer/tarfast"
)

// Selector chooses the files a [Reader] keeps. Extractors are selectors.
type Selector interface {
	// Wants reports whether the file at path (clean, relative to the image
	// root, no leading "/", e.g. "lib/apk/db/installed") should be kept.
	// It is called for regular files, symbolic links (fi.Mode() has
	// fs.ModeSymlink; wanting one keeps whatever it resolves to, under the
	// link's path) and hard links (fi describes the linked file). It must be
	// fast and must not retain fi: it runs for every entry of every layer.
	Wants(path string, fi fs.FileInfo) bool
}

// Reducer is an optional [Selector] capability: instead of the whole file,
// the reader keeps what Reduce returns, so that large files (binaries,
// archives) never stay in memory. Reduce runs while the layer streams; data
// is valid only during the call and must not be modified. A nil result
// without error means "nothing of interest": the file is not kept for this
// selector. An error is kept as the file's [File.Err].
type Reducer interface {
	Reduce(path string, data []byte) ([]byte, error)
}

// StreamReducer is a Reducer that can also reduce a file it reads as a
// stream: a file of StreamFrom bytes or more that only StreamReducers want
// is then never held whole (a fat jar or a Go binary of 100 MB would
// otherwise be peak memory); when several want it, each reads it as a
// stream of its own ([ReduceStreams]). ReduceStream reads at most size
// bytes of r, stopping where it likes; its result is Reduce's for the same
// bytes.
type StreamReducer interface {
	Reducer
	ReduceStream(path string, r io.Reader, size int64) ([]byte, error)
}

// StreamFrom is the size from which a file that only StreamReducers want
// is streamed to them.
const StreamFrom = 16 << 20

// Desc describes a layer to read.
type Desc struct {
	// Digest identifies the layer blob (as stored, usually compressed). It
	// is only recorded, so that results can name the layer.
	Digest oci.Digest
	// DiffID, when set, is the expected digest (sha256 or sha512) of the
	// uncompressed tar stream; a mismatch fails the layer with
	// ErrDiffIDMismatch.
	DiffID oci.Digest
	// Omitted, when set, says that src is a skeleton of the layer: every
	// entry is there, but some regular files have zeros in place of their
	// contents, and Omitted reports which (by header). When the reader must
	// keep such a file whole for a selector that is not a [Reducer], it
	// fails with an error wrapping ErrOmitted instead of keeping the
	// zeros. Reducers see the stream's bytes as they are.
	Omitted func(hdr *tar.Header) bool
}

// Info describes a layer that was read.
type Info struct {
	Index       int
	Desc        Desc
	Compression Compression
	// Compressed and Uncompressed are the bytes read from the source and
	// produced by decompression.
	Compressed, Uncompressed int64
	// Entries is the number of tar entries.
	Entries int64
}

// Reader reads the layers of one image, in order, each exactly once and
// without writing anything anywhere, and keeps the files its selectors
// want. After the layers, [Reader.FS] gives each selector a view of the
// final filesystem (whiteouts applied, links resolved in the image root).
//
// A Reader is not safe for concurrent use while reading; the views it
// returns may be read concurrently once reading is done.
type Reader struct {
	cfg       Config
	sels      []Selector
	reducers  []Reducer // reducers[i] is sels[i] as a Reducer, or nil
	rawMask   uint64    // selectors that keep whole files
	deadline  time.Time // zero: none
	state     *state
	layers    []Info
	entries   int64
	keptBytes int64
	anomalies []Anomaly
	nAnomaly  int
	err       error

	// dyn maps paths that a wanted symlink resolved to onto the selectors
	// that wanted the link, so that the target is kept when it comes.
	dyn map[string]uint64
	// scratch is reused to read the small files that only reducers want
	// (see ReadWhole).
	scratch []byte
}

// ErrTooManySelectors is returned by [New] for more than 64 selectors.
var ErrTooManySelectors = errors.New("layer: more than 64 selectors")

// New returns a Reader keeping the files that sels want. The position of a
// selector in sels is its index for [Reader.FS].
func New(cfg Config, sels ...Selector) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(sels) > 64 {
		return nil, ErrTooManySelectors
	}
	r := &Reader{
		cfg:      cfg.withDefaults(),
		sels:     sels,
		reducers: make([]Reducer, len(sels)),
		state:    newState(),
		dyn:      make(map[string]uint64),
	}
	for i, s := range sels {
		if s == nil {
			return nil, fmt.Errorf("%w: selector %d is nil", ErrInvalidConfig, i)
		}
		if red, ok := s.(Reducer); ok {
			r.reducers[i] = red
		} else {
			r.rawMask |= 1 << i
		}
	}
	if cfg.Timeout > 0 {
		r.deadline = time.Now().Add(cfg.Timeout)
	}
	return r, nil
}

// Layers describes the layers read so far.
func (r *Reader) Layers() []Info { return append([]Info(nil), r.layers...) }

// Anomalies returns the suspicious entries neutralised so far (at most
// MaxAnomalies of them) and how many there were in all.
func (r *Reader) Anomalies() ([]Anomaly, int) {
	return append([]Anomaly(nil), r.anomalies...), r.nAnomaly
}

// ReadLayer reads the next layer (index = number of layers read before)
// from src, which may be gzip- or zstd-compressed or a plain tar. It reads
// src to its end. On error the Reader is spent: later calls return an error
// wrapping ErrReaderFailed. Errors are *LimitError (a limit was hit; also
// errors.Is ErrLimit), or wrap ErrCorrupt, ErrTruncated,
// ErrUnsupportedCompression, ErrDiffIDMismatch, or the context's error.
//
// src should honour ctx itself (a blob store file does, a network body
// whose request carries ctx does): a Read that blocks cannot be interrupted.
func (r *Reader) ReadLayer(ctx context.Context, desc Desc, src io.Reader) error {
	return r.read(ctx, func(ctx context.Context, idx int) (*delta, Info, error) {
		st, err := OpenStream(ctx, r.cfg, idx, desc, src)
		if err != nil {
			return nil, Info{}, err
		}
		defer st.Close()
		d, entries, err := r.readEntries(ctx, idx, desc, tarfast.NewReader(st), st.classify)
		if err != nil {
			return nil, Info{}, err
		}
		if err := st.Finish(); err != nil {
			return nil, Info{}, err
		}
		return d, Info{Index: idx, Desc: desc, Compression: st.comp,
			Compressed: st.in.n.Load(), Uncompressed: st.out, Entries: entries}, nil
	})
}

// read reads the next layer with fn, given the layer's index: refused once
// the Reader is spent, under the Reader's deadline, the first error kept.
// The layer's changes apply only when the whole layer was read.
func (r *Reader) read(ctx context.Context, fn func(ctx context.Context, idx int) (*delta, Info, error)) error {
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrReaderFailed, r.err)
	}
	if !r.deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.deadline)
		defer cancel()
	}
	d, info, err := fn(ctx, len(r.layers))
	if err != nil {
		r.err = err
		return err
	}
	r.apply(d)
	r.layers = append(r.layers, info)
	return nil
}

// Entries is a layer as a sequence of entries instead of a tar stream: a
// *tar.Reader or a *tarfast.Reader is one, and a layer cache replays its
// record of a layer as another, without writing and parsing a tar stream.
type Entries interface {
	// Next advances to the next entry and returns its header; io.EOF
	// after the last one. The reader keeps nothing of a header once it
	// moves on (names and values are copied), so Next may hand out the
	// same *tar.Header again.
	Next() (*tar.Header, error)
	// Read reads the current entry's contents.
	Read(p []byte) (int, error)
}

// Skipper is an optional [Entries] capability, of a layer cache's record
// of a layer: Skipped reports whether the current entry's contents were
// left out (Read gives zeros in their place). The reader then does not
// read them when only [Reducer]s want the file, and hands those nil data:
// a layer cache's reducers give the output they recorded instead.
type Skipper interface {
	Skipped() bool
}

// Unwanter is an optional [Entries] capability, of a layer cache's record
// of a layer made for this reader's own selectors: Unwanted reports that
// none of them wanted the current entry, a regular file, at its own
// (cleaned) name when the record was made. The reader then does not ask
// them again, unless it places the file elsewhere (under a parent that is
// a symbolic link) or a wanted link points at it. (A replay of a layer of
// a million small files no selector wants took 1.26 s of CPU, 0.54 s with
// this and the replay's other per-entry savings.)
type Unwanter interface {
	Unwanted() bool
}

// ReadEntries reads the next layer from es, as [Reader.ReadLayer] reads a
// tar stream, with the same limits except those on a stream's bytes (layer
// size, ratio) and no diff_id to verify: es comes from a source already
// checked. Errors and the Reader's state afterwards are as for ReadLayer,
// except that an error of es is reported as a read error, never as a
// corrupt or truncated layer.
func (r *Reader) ReadEntries(ctx context.Context, desc Desc, es Entries) error {
	return r.read(ctx, func(ctx context.Context, idx int) (*delta, Info, error) {
		classify := func(err error, what string) error {
			if cerr := ctx.Err(); cerr != nil {
				return ctxError(&r.cfg, idx, cerr)
			}
			// es is not a stream to decode: its errors are its source's
			// (a directory's file unreadable), not bad layer data.
			return fmt.Errorf("layer %d: read: %s: %w", idx, what, err)
		}
		d, entries, err := r.readEntries(ctx, idx, desc, es, classify)
		if err != nil {
			return nil, Info{}, err
		}
		return d, Info{Index: idx, Desc: desc, Compression: Uncompressed, Entries: entries}, nil
	})
}

// readEntries reads one layer's entries into a delta. classify turns an
// error from es into the error to report.
func (r *Reader) readEntries(ctx context.Context, idx int, desc Desc, es Entries, classify func(error, string) error) (*delta, int64, error) {
	d := &delta{layer: idx, adds: make(map[string]*node), omitted: desc.Omitted,
		whiteouts: make(map[string]struct{}), opaques: make(map[string]struct{})}
	d.unwanted, _ = es.(Unwanter)
	var entries int64
	for {
		hdr, err := es.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, classify(err, "tar header")
		}
		entries++
		r.entries++
		if r.entries > r.cfg.MaxEntries {
			return nil, 0, &LimitError{Limit: LimitEntries, Max: r.cfg.MaxEntries, Layer: idx, Path: hdr.Name}
		}
		if entries%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, classify(err, "tar header")
			}
		}
		if err := r.entry(ctx, d, es, hdr, classify); err != nil {
			return nil, 0, err
		}
	}
	return d, entries, nil
}

// delta is what one layer changes, applied once the layer is fully read:
// deletions (whiteouts, opaque directories) act on lower layers only, as the
// OCI image spec says, whatever their position in the tar.
type delta struct {
	layer     int
	omitted   func(*tar.Header) bool
	unwanted  Unwanter // of the entries read, when they say
	adds      map[string]*node
	whiteouts map[string]struct{}
	opaques   map[string]struct{}
	// linkCache caches the resolution of the last parent directory.
	cacheDir, cacheResolved string
	cacheOK                 bool
}

// add records n as the layer's entry at p. Any addition may change how a
// path resolves (a link replaced by a directory, say), so the resolution
// cache is dropped.
func (d *delta) add(p string, n *node) {
	d.adds[p] = n
	d.cacheOK = false
}

// lookup returns the node at p as the layer being read sees it.
func (r *Reader) lookup(d *delta) lookupFunc {
	return func(p string) *node {
		if n, ok := d.adds[p]; ok {
			return n
		}
		if len(d.whiteouts) > 0 || len(d.opaques) > 0 {
			// Hidden from lower layers by this layer's whiteouts?
			for q := p; ; q = parent(q) {
				if _, ok := d.whiteouts[q]; ok {
					return nil
				}
				if _, ok := d.opaques[q]; ok && q != p {
					return nil
				}
				if q == "" {
					break
				}
			}
		}
		return r.state.live(p)
	}
}

// resolveDir resolves the symbolic links in a directory path of the layer
// being read.
func (r *Reader) resolveDir(d *delta, dir string) (string, bool) {
	if dir == "" || r.state.links == 0 {
		return dir, true
	}
	if d.cacheOK && d.cacheDir == dir {
		return d.cacheResolved, true
	}
	res, _, ok := resolve(dir, r.lookup(d), true, r.cfg.MaxLinkHops)
	if ok {
		d.cacheDir, d.cacheResolved, d.cacheOK = dir, res, true
	}
	return res, ok
}

// entry handles one tar entry.
func (r *Reader) entry(ctx context.Context, d *delta, es Entries, hdr *tar.Header, classify func(error, string) error) error {
	if len(hdr.Name) > r.cfg.MaxPathLength {
		return &LimitError{Limit: LimitPathLength, Max: int64(r.cfg.MaxPathLength), Layer: d.layer, Path: truncate(hdr.Name)}
	}
	name, abs, escapes := cleanName(hdr.Name)
	if escapes {
		r.anomaly(d.layer, PathTraversal, hdr.Name, "entry ignored")
		return nil
	}
	if abs {
		r.anomaly(d.layer, AbsolutePath, hdr.Name, "read relative to the image root")
	}
	if name == "" {
		return nil
	}
	if dp := depth(name); dp > r.cfg.MaxPathDepth {
		return &LimitError{Limit: LimitPathDepth, Max: int64(r.cfg.MaxPathDepth), Layer: d.layer, Path: truncate(name)}
	}
	dir, base := parent(name), path.Base(name)

	if strings.HasPrefix(base, ".wh.") {
		rdir, ok := r.resolveDir(d, dir)
		if !ok {
			r.anomaly(d.layer, LinkLoop, hdr.Name, "whiteout ignored")
			return nil
		}
		switch {
		case base == ".wh..wh..opq":
			d.opaques[rdir] = struct{}{}
		case strings.HasPrefix(base, ".wh..wh."):
			// aufs metadata (.wh..wh.plnk, .wh..wh.aufs): not content.
		default:
			d.whiteouts[join(rdir, base[len(".wh."):])] = struct{}{}
		}
		d.cacheOK = false
		return nil
	}

	rdir, ok := r.resolveDir(d, dir)
	if !ok {
		r.anomaly(d.layer, LinkLoop, hdr.Name, "entry ignored")
		return nil
	}
	p := name // where no parent is a link, without building it again
	if rdir != dir {
		p = join(rdir, base)
	}

	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		asked := rdir != dir || d.unwanted == nil || !d.unwanted.Unwanted()
		return r.regular(ctx, d, es, hdr, p, asked, classify)
	case tar.TypeSymlink:
		return r.symlink(d, hdr, p)
	case tar.TypeLink:
		return r.hardlink(d, hdr, p)
	case tar.TypeDir:
		r.replace(d, hdr, p, typeDir)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		r.anomaly(d.layer, DeviceFile, hdr.Name, "ignored")
		r.replace(d, hdr, p, typeOther)
	default:
		r.replace(d, hdr, p, typeOther)
	}
	return nil
}

// replace records an entry no selector keeps, if it replaces a tracked path.
func (r *Reader) replace(d *delta, hdr *tar.Header, p string, typ nodeType) {
	if old, dup := d.adds[p]; dup {
		if old.typ == typeDir && typ == typeDir {
			return
		}
		r.anomaly(d.layer, Duplicate, hdr.Name, "last entry wins")
	} else if r.state.live(p) == nil {
		return
	}
	d.add(p, &node{typ: typ, layer: d.layer, mode: hdr.FileInfo().Mode()})
}

// wants returns the selectors that want p.
func (r *Reader) wants(p string, fi fs.FileInfo) uint64 {
	var m uint64
	for i, s := range r.sels {
		if s.Wants(p, fi) {
			m |= 1 << i
		}
	}
	return m
}

// regular handles a regular file. Unless ask is false (the entries said
// no selector wants it at p), the selectors are asked whether they want it.
func (r *Reader) regular(ctx context.Context, d *delta, es Entries, hdr *tar.Header, p string, ask bool, classify func(error, string) error) error {
	fi := hdr.FileInfo()
	var listed uint64
	if ask {
		listed = r.wants(p, fi)
	}
	mask := listed
	if len(r.dyn) > 0 {
		mask |= r.dyn[p]
	}
	if mask == 0 {
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	if _, dup := d.adds[p]; dup {
		r.anomaly(d.layer, Duplicate, hdr.Name, "last entry wins")
	}
	n := &node{typ: typeFile, layer: d.layer, mode: fi.Mode(), size: hdr.Size, kept: make([]kept, len(r.sels))}
	limit, max := LimitFileBytes, r.cfg.MaxFileBytes
	if mask&r.rawMask == 0 {
		limit, max = LimitReduce, r.cfg.MaxReduceBytes
	}
	// A file read as a stream is never held, so MaxReduceBytes (which
	// bounds memory) does not apply to it: the layer's bytes pass
	// through the decompressor whether or not anyone looks at them.
	srs := r.streamReducers(mask, hdr.Size)
	if hdr.Size > max && srs == nil {
		leaveOut(d, n, p, mask, listed, &LimitError{Limit: limit, Max: max, Layer: d.layer, Path: p})
		return nil
	}
	if mask&r.rawMask != 0 && d.omitted != nil && d.omitted(hdr) {
		return fmt.Errorf("%w: layer %d: %s", ErrOmitted, d.layer, p)
	}
	if srs != nil {
		if sk, ok := es.(Skipper); !ok || !sk.Skipped() {
			src := Track(io.LimitReader(es, hdr.Size))
			outs, errs := ReduceStreams(srs, p, src, hdr.Size)
			if src.Err() != nil {
				return classify(src.Err(), "file "+p)
			}
			for j, m := 0, mask; m != 0; j, m = j+1, m&(m-1) {
				if err := r.keep(d, n, bits.TrailingZeros64(m), p, outs[j], errs[j]); err != nil {
					return err
				}
			}
			return r.added(d, hdr, p, n, listed)
		}
	}
	var buf []byte
	done := func() {}
	var err error
	if mask&r.rawMask != 0 {
		buf = make([]byte, hdr.Size)
		_, err = io.ReadFull(es, buf)
	} else if sk, ok := es.(Skipper); ok && sk.Skipped() {
		buf = nil // only reducers want it, and there is nothing to read
	} else {
		buf, done, err = ReadWhole(ctx, es, hdr.Size, &r.scratch)
	}
	if err != nil {
		if !errors.Is(err, ErrUnreadable) {
			return classify(err, "file "+p)
		}
		leaveOut(d, n, p, mask, listed, fmt.Errorf("layer %d: %s: %w", d.layer, p, err))
		return nil
	}
	defer done()
	if mask&r.rawMask != 0 {
		if err := r.account(d.layer, p, int64(len(buf))); err != nil {
			return err
		}
	}
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		red := r.reducers[i]
		if red == nil {
			n.kept[i].data = buf
			n.has |= 1 << i
			continue
		}
		out, err := Reduce(red, p, buf)
		if err := r.keep(d, n, i, p, out, err); err != nil {
			return err
		}
	}
	return r.added(d, hdr, p, n, listed)
}

// streamReducers returns the StreamReducers that want a file of size
// bytes in mask, in mask's bit order; nil when the file is to be read
// whole (it is small, or a selector in mask cannot read streams).
func (r *Reader) streamReducers(mask uint64, size int64) []StreamReducer {
	if mask&r.rawMask != 0 {
		return nil
	}
	m := mask
	return Streams(size, bits.OnesCount64(mask), func(int) Reducer {
		i := bits.TrailingZeros64(m)
		m &= m - 1
		return r.reducers[i]
	})
}

// Streams returns the n reducers red(0) ... red(n-1), asked in that order,
// as StreamReducers when a file of size bytes that only they want is read
// as a stream: it is StreamFrom bytes or more and every one of them can
// read streams; nil when it is read whole. The layer reader and the layer
// cache's recorder both decide by it.
func Streams(size int64, n int, red func(i int) Reducer) []StreamReducer {
	if size < StreamFrom || n == 0 {
		return nil
	}
	out := make([]StreamReducer, n)
	for i := range n {
		sr, ok := red(i).(StreamReducer)
		if !ok {
			return nil
		}
		out[i] = sr
	}
	return out
}

// keep records what reducer i made of file p (out, err) in n.
func (r *Reader) keep(d *delta, n *node, i int, p string, out []byte, err error) error {
	switch {
	case err != nil:
		n.kept[i].err = fmt.Errorf("layer %d: %s: %w", d.layer, p, err)
	case out == nil:
		return nil
	default:
		if err := r.account(d.layer, p, int64(len(out))); err != nil {
			return err
		}
		n.kept[i].data = out
	}
	n.has |= 1 << i
	return nil
}

// added records file p with what its selectors kept (n), or as a file no
// one kept anything of.
func (r *Reader) added(d *delta, hdr *tar.Header, p string, n *node, listed uint64) error {
	n.wanted = listed & n.has
	if n.has == 0 {
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	d.add(p, n)
	return nil
}

// Tracked is a reader that remembers its source's first error other than
// io.EOF: a StreamReducer reports its own errors, and those of the stream
// (the layer failed) must not pass for them.
type Tracked struct {
	r   io.Reader
	err error
}

// Track returns r, tracked.
func Track(r io.Reader) *Tracked { return &Tracked{r: r} }

// Err is the first error r returned other than io.EOF.
func (t *Tracked) Err() error { return t.err }

func (t *Tracked) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// leaveOut records file p without its contents: every selector in mask
// that wanted it sees err (a limit, an unreadable file) instead.
func leaveOut(d *delta, n *node, p string, mask, listed uint64, err error) {
	for m := mask; m != 0; m &= m - 1 {
		n.kept[bits.TrailingZeros64(m)].err = err
	}
	n.has, n.wanted = mask, listed
	d.add(p, n)
}

// ReduceStreams runs every reducer of reds on the file at p, read once as
// r (size bytes): each reads the same bytes as a stream of its own, and
// each may stop where it likes; r is read until the last one stops. out[i]
// and errs[i] are reds[i]'s result. An error of r reaches the reducers
// still reading as their stream's error; callers tell it apart with
// [Track].
func ReduceStreams(reds []StreamReducer, p string, r io.Reader, size int64) (outs [][]byte, errs []error) {
	outs, errs = make([][]byte, len(reds)), make([]error, len(reds))
	if len(reds) == 1 {
		outs[0], errs[0] = ReduceStream(reds[0], p, r, size)
		return outs, errs
	}
	// One pipe per reducer, each fed the same chunks in turn: the
	// reducers run one at a time, on at most one chunk of the file.
	lanes := make([]*io.PipeWriter, len(reds))
	var wg sync.WaitGroup
	for i, red := range reds {
		pr, pw := io.Pipe()
		lanes[i] = pw
		wg.Go(func() {
			outs[i], errs[i] = ReduceStream(red, p, pr, size)
			pr.CloseWithError(errReducerDone) // later writes fail: the lane is dropped
		})
	}
	buf := make([]byte, fanChunk)
	live := len(lanes)
	var rerr error
	for live > 0 && rerr == nil {
		n, err := r.Read(buf)
		for i, w := range lanes {
			if w == nil || n == 0 {
				continue
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				lanes[i], live = nil, live-1
			}
		}
		if err != nil {
			rerr = err
		}
	}
	if rerr == io.EOF {
		rerr = nil
	}
	for _, w := range lanes {
		if w != nil {
			w.CloseWithError(rerr) // nil: the reducer sees io.EOF
		}
	}
	wg.Wait()
	return outs, errs
}

// fanChunk is how much of a file ReduceStreams hands its reducers at a
// time.
const fanChunk = 256 << 10

// errReducerDone fails writes to a reducer that has returned.
var errReducerDone = errors.New("reducer stopped reading")

// ReduceStream is Reduce for a StreamReducer reading the file as r.
func ReduceStream(red StreamReducer, p string, r io.Reader, size int64) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("%w: reducer panicked: %v", ErrCorrupt, v)
		}
	}()
	return red.ReduceStream(p, r, size)
}

// Reduce calls red on the file at p, turning a panic (a bug in a parser
// fed hostile bytes) into an error wrapping ErrCorrupt, so that one image
// cannot take the process down. Every caller of a Reducer goes through it.
func Reduce(red Reducer, p string, data []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("%w: reducer panicked: %v", ErrCorrupt, v)
		}
	}()
	return red.Reduce(p, data)
}

// account adds n kept bytes against MaxKeptBytes.
func (r *Reader) account(layer int, p string, n int64) error {
	r.keptBytes += n
	if r.keptBytes > r.cfg.MaxKeptBytes {
		return &LimitError{Limit: LimitKeptBytes, Max: r.cfg.MaxKeptBytes, Layer: layer, Path: p}
	}
	return nil
}

// symlink handles a symbolic link; every link is tracked because paths may
// be resolved through it.
func (r *Reader) symlink(d *delta, hdr *tar.Header, p string) error {
	if len(hdr.Linkname) > r.cfg.MaxPathLength {
		return &LimitError{Limit: LimitPathLength, Max: int64(r.cfg.MaxPathLength), Layer: d.layer, Path: p}
	}
	if hdr.Linkname == "" {
		r.anomaly(d.layer, EmptyLink, hdr.Name, "ignored")
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	if escapesRoot(parent(p), hdr.Linkname) {
		r.anomaly(d.layer, LinkEscape, hdr.Name, "target "+truncate(hdr.Linkname)+" resolved inside the image root")
	}
	if _, dup := d.adds[p]; dup {
		r.anomaly(d.layer, Duplicate, hdr.Name, "last entry wins")
	}
	mask := r.wants(p, hdr.FileInfo())
	n := &node{typ: typeSymlink, layer: d.layer, mode: fs.ModeSymlink | 0o777, target: hdr.Linkname, wanted: mask}
	d.add(p, n)
	r.state.links++
	if mask != 0 {
		if t, _, ok := resolve(p, r.lookup(d), true, r.cfg.MaxLinkHops); ok && t != "" {
			r.dyn[t] |= mask
		}
	}
	return nil
}

// hardlink handles a hard link: it gets what the reader kept of its target
// (a file of this layer or of a lower one), for the selectors that want the
// link's path too.
func (r *Reader) hardlink(d *delta, hdr *tar.Header, p string) error {
	tname, _, escapes := cleanName(hdr.Linkname)
	if escapes || tname == "" {
		r.anomaly(d.layer, LinkEscape, hdr.Name, "hard link to "+truncate(hdr.Linkname)+" ignored")
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	tdir, ok := r.resolveDir(d, parent(tname))
	if !ok {
		r.anomaly(d.layer, LinkLoop, hdr.Name, "hard link ignored")
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	t := r.lookup(d)(join(tdir, path.Base(tname)))
	if t == nil || (t.typ != typeFile && t.typ != typeSymlink) {
		// Not tracked: nobody wanted the target, so nobody gets the link.
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	if _, dup := d.adds[p]; dup {
		r.anomaly(d.layer, Duplicate, hdr.Name, "last entry wins")
	}
	fi := nodeInfo{name: path.Base(p), n: t}
	mask := r.wants(p, fi)
	if t.typ == typeSymlink {
		d.add(p, &node{typ: typeSymlink, layer: d.layer, mode: t.mode, target: t.target, wanted: mask})
		r.state.links++
		return nil
	}
	mask &= t.has
	if mask == 0 {
		r.replace(d, hdr, p, typeOther)
		return nil
	}
	n := &node{typ: typeFile, layer: d.layer, mode: t.mode, size: t.size, wanted: mask, has: mask, kept: make([]kept, len(r.sels))}
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		n.kept[i] = t.kept[i] // shared, not copied
	}
	d.add(p, n)
	return nil
}

// apply makes the layer's changes part of the chained state. Deletions
// first (they act on lower layers only), then additions.
func (r *Reader) apply(d *delta) {
	s := r.state
	// under holds the directories whose lower contents go away: whited-out
	// paths, opaque directories, and directories replaced by a non-directory.
	// One pass over the tracked paths handles them all, however many.
	under := make(map[string]struct{})
	for w := range d.whiteouts {
		s.remove(w, d.layer)
		if _, ok := s.dirs[w]; ok {
			under[w] = struct{}{}
		}
	}
	for o := range d.opaques {
		if _, ok := s.dirs[o]; ok {
			under[o] = struct{}{}
		}
	}
	for p, n := range d.adds {
		if _, ok := s.dirs[p]; ok && n.typ != typeDir {
			under[p] = struct{}{}
		}
	}
	if len(under) > 0 {
		for p := range s.paths {
			for q := parent(p); ; q = parent(q) {
				if _, ok := under[q]; ok {
					s.remove(p, d.layer)
					break
				}
				if q == "" {
					break
				}
			}
		}
	}
	for p, n := range d.adds {
		s.set(p, d.layer, n)
	}
}

// anomaly records a neutralised entry.
func (r *Reader) anomaly(layer int, kind AnomalyKind, name, detail string) {
	r.nAnomaly++
	if len(r.anomalies) < r.cfg.MaxAnomalies {
		r.anomalies = append(r.anomalies, Anomaly{Layer: layer, Kind: kind, Path: truncate(name), Detail: detail})
	}
}

// truncate shortens a name for messages.
func truncate(s string) string {
	const max = 256
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// nodeInfo is the fs.FileInfo of a tracked node.
type nodeInfo struct {
	name string
	n    *node
}

func (fi nodeInfo) Name() string       { return fi.name }
func (fi nodeInfo) Size() int64        { return fi.n.size }
func (fi nodeInfo) Mode() fs.FileMode  { return fi.n.mode }
func (fi nodeInfo) ModTime() time.Time { return time.Time{} }
func (fi nodeInfo) IsDir() bool        { return fi.n.typ == typeDir }
func (fi nodeInfo) Sys() any           { return nil }
