package layercache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/layer/tarfast"
)

// errUnsupported reports a layer the cache does not record; the image is
// then read the ordinary way, which gives the canonical result (or error).
var errUnsupported = errors.New("layercache: layer not recordable")

// selector is one selector of the scan with its cache key.
type selector struct {
	key string // "name@version"
	sel layer.Selector
	red layer.Reducer // nil when the selector keeps whole files
}

// limits are the layer reader limits that decide what a skeleton must
// keep, with defaults applied.
type limits struct {
	fileBytes, reduceBytes, keptBytes int64
	maxEntries                        int
}

// wants returns, for a regular file at the cleaned path p, whether a
// selector keeping whole files wants it and which reducers do.
func wants(sels []selector, p string, fi fs.FileInfo) (raw bool, reducers []int) {
	for i, s := range sels {
		if !s.sel.Wants(p, fi) {
			continue
		}
		if s.red == nil {
			raw = true
		} else {
			reducers = append(reducers, i)
		}
	}
	return raw, reducers
}

// asked reports what sels want of e, a regular file, at its cleaned path p,
// with asked set to the header they are shown; ok is false (nothing
// asked) for other entries, whiteouts and names outside the root, which
// the layer reader never offers to selectors.
func asked(e *Entry, sels []selector, hdr *tar.Header) (p string, raw bool, reducers []int, ok bool) {
	if !e.isRegular() {
		return "", false, nil, false
	}
	p, ok = layer.CleanPath(e.Name)
	if !ok || isWhiteout(p) {
		return "", false, nil, false
	}
	e.fill(hdr)
	raw, reducers = wants(sels, p, hdr.FileInfo())
	return p, raw, reducers, true
}

// fill sets h to the tar header of e.
func (e *Entry) fill(h *tar.Header) {
	*h = tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: e.Type, Mode: e.Mode, Size: e.Size,
		ModTime: time.Unix(e.ModTime, 0)}
}

// complete reports whether a skeleton holds everything the layer reader
// would keep with sels: the contents of every file a whole-file selector
// wants, and each wanting reducer's output (or the contents) for files
// only reducers want. Files over the size limits need nothing: the reader
// does not read them.
func complete(sk *Skeleton, sels []selector, lim limits) bool {
	var hdr tar.Header
	for _, e := range sk.All() {
		if e.HasContent {
			continue
		}
		_, raw, reds, ok := asked(&e, sels, &hdr)
		if !ok {
			continue
		}
		switch {
		case raw:
			if e.Size <= lim.fileBytes {
				return false
			}
		case len(reds) > 0 && (e.Size <= lim.reduceBytes || streams(e.Size, sels, reds) != nil):
			for _, r := range reds {
				if _, ok := e.Reduced[sels[r].key]; !ok {
					return false
				}
			}
		}
	}
	return true
}

// markUnwanted sets the Unwanted marks of sk's entries for sels, as
// recordLayer does.
func markUnwanted(sk *Skeleton, sels []selector) {
	var hdr tar.Header
	sk.setUnwanted(func(e *Entry) bool {
		_, raw, reds, ok := asked(e, sels, &hdr)
		return ok && !raw && len(reds) == 0
	})
}

// recordLayer reads one layer blob and returns its skeleton for sels.
// pinned names entries whose contents must be kept whatever the selectors
// want. desc.DiffID, when set, is verified. An error wrapping
// errUnsupported means the layer cannot be recorded and the caller falls
// back to the ordinary read; any other (a limit crossed, compressed data
// that does not decode, a diff_id mismatch) means the layer fails, as the
// ordinary read of layer i would.
func recordLayer(ctx context.Context, i int, src io.Reader, desc layer.Desc, cfg layer.Config, sels []selector, lim limits, pinned map[string]bool) (*Skeleton, error) {
	st, err := layer.OpenStream(ctx, cfg, i, desc, src)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnsupported, err)
	}
	defer st.Close()
	// unrecordable is the error for err from the tar reader or the
	// stream: the stream's own failure when it has one (the layer fails),
	// else errUnsupported (the ordinary read decides).
	unrecordable := func(err error) error {
		if serr := st.Err(); serr != nil {
			return serr
		}
		return fmt.Errorf("%w: %w", errUnsupported, err)
	}
	tr := tarfast.NewReader(st)
	sk := &Skeleton{Selectors: make([]string, len(sels))}
	for i, s := range sels {
		sk.Selectors[i] = s.key
	}
	var kept int64
	var scratch []byte
	var shown tar.Header // what the selectors are shown; they keep nothing of it
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, unrecordable(fmt.Errorf("tar: %w", err))
		}
		if sk.Len() >= lim.maxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", errUnsupported, lim.maxEntries)
		}
		e := Entry{Name: hdr.Name, Link: hdr.Linkname, Type: hdr.Typeflag, Mode: hdr.Mode, Size: hdr.Size, ModTime: hdr.ModTime.Unix()}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
			e.Type = tar.TypeReg
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		default:
			return nil, fmt.Errorf("%w: entry %q of type %q", errUnsupported, hdr.Name, hdr.Typeflag)
		}
		if p, raw, reds, ok := asked(&e, sels, &shown); ok {
			e.Unwanted = !raw && len(reds) == 0
			pin := pinned[hdr.Name]
			var srs []layer.StreamReducer
			if !raw {
				srs = streams(e.Size, sels, reds)
			}
			switch {
			case (raw && e.Size <= lim.fileBytes) || (pin && e.Size <= max(lim.fileBytes, lim.reduceBytes)):
				if kept += e.Size; kept > lim.keptBytes {
					return nil, fmt.Errorf("%w: more than %d bytes kept", errUnsupported, lim.keptBytes)
				}
				e.Content = make([]byte, e.Size)
				if _, err := io.ReadFull(tr, e.Content); err != nil {
					return nil, unrecordable(fmt.Errorf("%s: %w", hdr.Name, err))
				}
				e.HasContent, e.Pinned = true, pin
			case srs != nil:
				// Read as a stream, never whole (a fat jar, a large
				// binary), as the layer reader does.
				src := layer.Track(io.LimitReader(tr, e.Size))
				outs, errs := layer.ReduceStreams(srs, p, src, e.Size)
				if src.Err() != nil {
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					return nil, unrecordable(fmt.Errorf("%s: %w", hdr.Name, src.Err()))
				}
				e.Reduced = make(map[string]Output, len(reds))
				for j, r := range reds {
					o := Output{Data: append([]byte(nil), outs[j]...)}
					if errs[j] != nil {
						o = Output{Err: errs[j].Error()}
					}
					if kept += int64(len(o.Data) + len(o.Err)); kept > lim.keptBytes {
						return nil, fmt.Errorf("%w: more than %d bytes kept", errUnsupported, lim.keptBytes)
					}
					e.Reduced[sels[r].key] = o
				}
			case !raw && len(reds) > 0 && e.Size <= lim.reduceBytes:
				data, done, err := layer.ReadWhole(ctx, tr, e.Size, &scratch)
				if err != nil {
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					return nil, unrecordable(fmt.Errorf("%s: %w", hdr.Name, err))
				}
				e.Reduced, err = reduceAll(sels, reds, p, data, &kept, lim.keptBytes)
				done()
				if err != nil {
					return nil, err
				}
			}
		}
		sk.add(e)
	}
	// Drain what follows the tar's end and verify the diff_id, as the
	// layer reader does.
	if err := st.Finish(); err != nil {
		if errors.Is(err, layer.ErrDiffIDMismatch) {
			return nil, err
		}
		return nil, unrecordable(err)
	}
	sk.DiffID = string(desc.DiffID)
	return sk, nil
}

// streams returns the reducers reds of sels as StreamReducers when they
// read a file of size bytes as a stream, as the layer reader decides
// (layer.Streams); nil when it is read whole.
func streams(size int64, sels []selector, reds []int) []layer.StreamReducer {
	return layer.Streams(size, len(reds), func(i int) layer.Reducer { return sels[reds[i]].red })
}

// reduceAll runs the reducers reds of sels on the file at p, adding what
// they keep to *kept (at most limit).
func reduceAll(sels []selector, reds []int, p string, data []byte, kept *int64, limit int64) (map[string]Output, error) {
	outs := make(map[string]Output, len(reds))
	for _, r := range reds {
		out, err := reduce(sels[r].red, p, data)
		o := Output{Data: out}
		if err != nil {
			o = Output{Err: err.Error()}
		}
		if *kept += int64(len(o.Data) + len(o.Err)); *kept > limit {
			return nil, fmt.Errorf("%w: more than %d bytes kept", errUnsupported, limit)
		}
		outs[sels[r].key] = o
	}
	return outs, nil
}

// reduce calls a reducer as the layer reader does (layer.Reduce: a panic
// becomes an error) and copies its output, which may point into data.
func reduce(red layer.Reducer, p string, data []byte) ([]byte, error) {
	out, err := layer.Reduce(red, p, data)
	return append([]byte(nil), out...), err
}
