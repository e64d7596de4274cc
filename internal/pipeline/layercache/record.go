package layercache

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan/layer"
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
	layerBytes, fileBytes, reduceBytes, keptBytes, ratio int64
	maxEntries                                           int
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

// header rebuilds the tar header of e.
func (e *Entry) header() *tar.Header {
	return &tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: e.Type, Mode: e.Mode, Size: e.Size,
		ModTime: time.Unix(e.ModTime, 0)}
}

// complete reports whether a skeleton holds everything the layer reader
// would keep with sels: the contents of every file a whole-file selector
// wants, and each wanting reducer's output (or the contents) for files
// only reducers want. Files over the size limits need nothing: the reader
// does not read them.
func complete(sk *Skeleton, sels []selector, lim limits) bool {
	for i := range sk.Entries {
		e := &sk.Entries[i]
		if !e.isRegular() || e.HasContent {
			continue
		}
		p, ok := cleanPath(e.Name)
		if !ok || isWhiteout(p) {
			continue
		}
		raw, reds := wants(sels, p, e.header().FileInfo())
		switch {
		case raw:
			if e.Size <= lim.fileBytes {
				return false
			}
		case len(reds) > 0 && e.Size <= lim.reduceBytes:
			for _, r := range reds {
				if _, ok := e.Reduced[sels[r].key]; !ok {
					return false
				}
			}
		}
	}
	return true
}

// recordLayer reads one layer blob and returns its skeleton for sels.
// pinned names entries whose contents must be kept whatever the selectors
// want. desc.DiffID, when set, is verified. Any error means the layer
// cannot be recorded; the caller falls back to the ordinary read.
func recordLayer(ctx context.Context, src io.Reader, desc layer.Desc, sels []selector, lim limits, pinned map[string]bool) (*Skeleton, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	head, err := br.Peek(8)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	comp := &countReader{r: br}
	var plain io.Reader
	switch c := layer.Detect(head); c {
	case layer.Uncompressed:
		plain = comp
	case layer.Gzip:
		zr, err := gzip.NewReader(comp)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", errUnsupported, err)
		}
		defer zr.Close()
		plain = zr
	case layer.Zstd:
		zr, err := zstd.NewReader(comp, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20),
			zstd.WithDecoderMaxMemory(128<<20), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", errUnsupported, err)
		}
		defer zr.Close()
		plain = zr
	default:
		return nil, fmt.Errorf("%w: compression %s", errUnsupported, c)
	}
	alg := "sha256"
	if desc.DiffID != "" {
		alg = string(desc.DiffID.Algorithm())
	}
	var h hash.Hash
	switch alg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("%w: diff_id algorithm of %s", errUnsupported, desc.DiffID)
	}
	lr := &limitReader{ctx: ctx, r: plain, comp: comp, lim: lim, compressed: layer.Detect(head) != layer.Uncompressed, h: h}
	tr := tar.NewReader(lr)
	sk := &Skeleton{Selectors: make([]string, len(sels))}
	for i, s := range sels {
		sk.Selectors[i] = s.key
	}
	var kept int64
	var scratch []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: tar: %w", errUnsupported, err)
		}
		if len(sk.Entries) >= lim.maxEntries {
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
		if e.isRegular() {
			p, ok := cleanPath(hdr.Name)
			if ok && !isWhiteout(p) {
				raw, reds := wants(sels, p, e.header().FileInfo())
				pin := pinned[hdr.Name]
				switch {
				case (raw && e.Size <= lim.fileBytes) || (pin && e.Size <= max(lim.fileBytes, lim.reduceBytes)):
					if kept += e.Size; kept > lim.keptBytes {
						return nil, fmt.Errorf("%w: more than %d bytes kept", errUnsupported, lim.keptBytes)
					}
					e.Content = make([]byte, e.Size)
					if _, err := io.ReadFull(tr, e.Content); err != nil {
						return nil, fmt.Errorf("%w: %s: %w", errUnsupported, hdr.Name, err)
					}
					e.HasContent, e.Pinned = true, pin
				case !raw && len(reds) > 0 && e.Size <= lim.reduceBytes:
					if int64(cap(scratch)) < e.Size {
						scratch = make([]byte, e.Size)
					}
					data := scratch[:e.Size]
					if _, err := io.ReadFull(tr, data); err != nil {
						return nil, fmt.Errorf("%w: %s: %w", errUnsupported, hdr.Name, err)
					}
					e.Reduced = make(map[string]Output, len(reds))
					for _, r := range reds {
						out, err := reduce(sels[r].red, p, data)
						o := Output{Data: out}
						if err != nil {
							o = Output{Err: err.Error()}
						}
						if kept += int64(len(o.Data) + len(o.Err)); kept > lim.keptBytes {
							return nil, fmt.Errorf("%w: more than %d bytes kept", errUnsupported, lim.keptBytes)
						}
						e.Reduced[sels[r].key] = o
					}
				}
			}
		}
		sk.Entries = append(sk.Entries, e)
	}
	if err := lr.err; err != nil {
		return nil, err
	}
	// Drain what follows the tar's end, as the layer reader does, so the
	// diff_id covers the whole stream.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnsupported, err)
	}
	got := oci.Digest(alg + ":" + hex.EncodeToString(h.Sum(nil)))
	if desc.DiffID != "" && got != desc.DiffID {
		return nil, fmt.Errorf("%w: diff_id %s, content hashes to %s", errUnsupported, desc.DiffID, got)
	}
	sk.DiffID = string(got)
	return sk, nil
}

// reduce calls a reducer, turning a panic into an error as the layer
// reader does.
func reduce(red layer.Reducer, p string, data []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("%w: reducer panicked: %v", layer.ErrCorrupt, v)
		}
	}()
	out, err = red.Reduce(p, data)
	return append([]byte(nil), out...), err
}

// countReader counts the compressed bytes read.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// limitReader bounds the uncompressed stream (size, ratio, context) and
// hashes it.
type limitReader struct {
	ctx        context.Context
	r          io.Reader
	comp       *countReader
	lim        limits
	compressed bool
	h          hash.Hash
	n          int64
	err        error
}

// ratioSlack mirrors the layer reader: the ratio applies past 64 MiB.
const ratioSlack = 64 << 20

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = err
		return 0, err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	l.h.Write(p[:n])
	switch {
	case l.n > l.lim.layerBytes:
		l.err = fmt.Errorf("%w: uncompressed layer over %d bytes", errUnsupported, l.lim.layerBytes)
	case l.compressed && l.n > ratioSlack && l.n > l.lim.ratio*max(l.comp.n, 1):
		l.err = fmt.Errorf("%w: decompression ratio over %d", errUnsupported, l.lim.ratio)
	}
	if l.err != nil {
		return n, l.err
	}
	return n, err
}
