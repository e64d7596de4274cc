package layer

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/drydock/drydock/internal/oci"
)

// Stream is the uncompressed tar stream of one layer, as [Reader.ReadLayer]
// reads it: the compression detected from the first bytes, decompression
// on another goroutine (so that it overlaps with the consumer's tar
// parsing and hashing), the size, ratio and time limits of a [Config]
// enforced, the bytes hashed when a diff_id is to be verified, and the
// first error kept so that it wins over whatever a tar reader makes of it.
// Callers that read layers their own way (the pipeline's layer cache) use
// it through [OpenStream] so that both read a layer alike.
type Stream struct {
	ctx   context.Context
	cfg   Config
	layer int
	desc  Desc
	comp  Compression
	in    *atomicCounter // compressed bytes read
	src   io.Reader      // decompressed bytes
	stop  func()         // stops prefetching and releases the decoder
	hash  hash.Hash      // nil unless verifying
	// hashed: a goroutine of src's hashes (done with hash once src has
	// returned io.EOF); otherwise Read does.
	hashed bool
	out    int64
	err    error
}

// atomicCounter counts bytes read from the compressed source; it is read
// from the consumer while the prefetcher writes it.
type atomicCounter struct {
	r io.Reader
	n atomic.Int64
}

func (c *atomicCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// OpenStream detects the compression of src (or takes over an [Ahead])
// and opens its decompressed stream; layer is the layer's index, for
// errors. Zero limits in cfg take their defaults; desc.DiffID, when set,
// is verified by [Stream.Finish]. Close releases the stream.
func OpenStream(ctx context.Context, cfg Config, layer int, desc Desc, src io.Reader) (*Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st := &Stream{ctx: ctx, cfg: cfg.withDefaults(), layer: layer, desc: desc, in: &atomicCounter{r: src}}
	if desc.DiffID != "" {
		if err := desc.DiffID.Validate(); err != nil {
			return nil, fmt.Errorf("layer %d: diff_id %q: %w", layer, desc.DiffID, err)
		}
		h, ok := oci.HashFor(desc.DiffID.Algorithm())
		if !ok {
			return nil, fmt.Errorf("layer %d: diff_id %q: %w", layer, desc.DiffID, oci.ErrUnsupportedAlgo)
		}
		st.hash = crypto.Hash(h).New()
	}
	if a, ok := src.(*Ahead); ok {
		// Decompression started before this layer's turn: take it over.
		st.in, st.comp = a.in, a.comp
		if a.err != nil {
			a.close()
			return nil, fmt.Errorf("layer %d: %w", layer, a.err)
		}
		st.src, st.stop = a.src, a.close
		st.hashAhead()
		return st, nil
	}
	br, head, err := peek(st.in)
	if err != nil {
		return nil, fmt.Errorf("layer %d: read: %w", layer, err)
	}
	st.comp = Detect(head)
	dec, closeDec, err := decompressor(st.comp, br)
	if err != nil {
		return nil, fmt.Errorf("layer %d: %w", layer, err)
	}
	if st.comp == Uncompressed {
		// Read in a goroutine, so that waiting for the disk or the
		// network overlaps with hashing and tar parsing.
		pf := startPrefetch(br, ctx.Done(), prefetchDepth)
		st.src, st.stop = pf, pf.close
		st.hashAhead()
		return st, nil
	}
	// Decompress in a goroutine so that decompression overlaps with
	// hashing and tar parsing (two cores do the work of one layer).
	pf := startPrefetch(dec, ctx.Done(), prefetchDepth)
	st.src = pf
	st.stop = func() { pf.close(); closeDec() }
	st.hashAhead()
	return st, nil
}

// hashAhead hashes the decompressed bytes in a goroutine of their own,
// between the source and the consumer: hashing is the largest cost after
// decompression, and on its own core it is off the critical path.
func (s *Stream) hashAhead() {
	if s.hash == nil {
		return
	}
	src, stop := s.src, s.stop
	hs := startPrefetch(io.TeeReader(src, s.hash), s.ctx.Done(), prefetchDepth)
	s.src, s.stop, s.hashed = hs, func() { hs.close(); stop() }, true
}

// Read implements io.Reader for the tar reader.
func (s *Stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = s.ctxError(err)
		return 0, s.err
	}
	n, err := s.src.Read(p)
	if n > 0 {
		s.out += int64(n)
		if s.hash != nil && !s.hashed {
			s.hash.Write(p[:n])
		}
		if s.out > s.cfg.MaxLayerBytes {
			s.err = &LimitError{Limit: LimitLayerBytes, Max: s.cfg.MaxLayerBytes, Layer: s.layer}
			return n, s.err
		}
		if s.comp != Uncompressed && s.out > ratioSlack && s.out > s.cfg.MaxRatio*max(s.in.n.Load(), 1) {
			s.err = &LimitError{Limit: LimitRatio, Max: s.cfg.MaxRatio, Layer: s.layer}
			return n, s.err
		}
	}
	if err == errStopped {
		s.err = s.ctxError(s.ctx.Err())
		return n, s.err
	}
	if err != nil && err != io.EOF {
		if s.comp == Uncompressed {
			s.err = fmt.Errorf("layer %d: read: %w", s.layer, err)
		} else {
			s.err = fmt.Errorf("layer %d: %w", s.layer, decodeError(s.comp, err))
		}
		return n, s.err
	}
	return n, err
}

// ctxError turns the context's error into the reader's error.
func (s *Stream) ctxError(err error) error { return ctxError(&s.cfg, s.layer, err) }

// ctxError turns a context's error while reading layer into the reader's
// error: a time limit for a deadline.
func ctxError(cfg *Config, layer int, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		var max int64
		if cfg.Timeout > 0 {
			max = int64(cfg.Timeout)
		}
		return &LimitError{Limit: LimitTime, Max: max, Layer: layer, Err: err}
	}
	return fmt.Errorf("layer %d: %w", layer, err)
}

// classify returns the error to report for an error from the tar reader
// (or from reading an entry): the stream's own error if it had one,
// otherwise a corrupt/truncated tar error.
func (s *Stream) classify(err error, what string) error {
	if s.err != nil {
		return s.err
	}
	return classifyError(s.layer, err, what)
}

// classifyError reports an error reading layer's entries as truncated or
// corrupt.
func classifyError(layer int, err error, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("layer %d: %w: %s: %w", layer, ErrTruncated, what, err)
	}
	return fmt.Errorf("layer %d: %w: %s: %w", layer, ErrCorrupt, what, err)
}

// Finish reads what the tar reader left (end-of-archive padding) so that
// the whole stream is decompressed, checked and hashed, then verifies the
// diff_id. Its error wraps ErrDiffIDMismatch on a mismatch.
func (s *Stream) Finish() error {
	if _, err := io.Copy(io.Discard, s); err != nil {
		return s.classify(err, "after end of archive")
	}
	if s.hash == nil {
		return nil
	}
	got := oci.Digest(string(s.desc.DiffID.Algorithm()) + ":" + hex.EncodeToString(s.hash.Sum(nil)))
	if got != s.desc.DiffID {
		return fmt.Errorf("layer %d: %w: want %s, got %s", s.layer, ErrDiffIDMismatch, s.desc.DiffID, got)
	}
	return nil
}

// Close stops decompression and releases the decoder; closing twice is
// harmless.
func (s *Stream) Close() { s.stop() }

// Compression is the compression detected.
func (s *Stream) Compression() Compression { return s.comp }

// Compressed is the number of bytes read from the source so far.
func (s *Stream) Compressed() int64 { return s.in.n.Load() }

// Uncompressed is the number of decompressed bytes read so far.
func (s *Stream) Uncompressed() int64 { return s.out }

// prefetcher reads a stream ahead in a goroutine, in chunks.
type prefetcher struct {
	ctxDone <-chan struct{}
	full    chan []byte
	free    chan []byte
	done    chan struct{}
	wg      sync.WaitGroup
	depth   int    // chunks at most
	alloc   int    // chunks allocated (by run only)
	err     error  // set before full is closed
	buf     []byte // chunk being consumed (to recycle)
	cur     []byte // its unread part
	once    sync.Once
}

// errStopped is returned by a prefetcher whose context is done; the
// stream replaces it with the context's error.
var errStopped = errors.New("stopped")

const (
	prefetchChunk = 256 << 10
	prefetchDepth = 4
)

// startPrefetch reads r ahead in at most depth chunks, allocated as the
// reader gets ahead (a consumer that keeps up needs few).
func startPrefetch(r io.Reader, ctxDone <-chan struct{}, depth int) *prefetcher {
	depth = max(depth, 1)
	p := &prefetcher{
		ctxDone: ctxDone,
		full:    make(chan []byte, depth),
		free:    make(chan []byte, depth),
		done:    make(chan struct{}),
		depth:   depth,
	}
	p.wg.Add(1)
	go p.run(r)
	return p
}

func (p *prefetcher) run(r io.Reader) {
	defer p.wg.Done()
	defer close(p.full)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			if p.alloc < p.depth {
				p.alloc++
				buf = make([]byte, prefetchChunk)
				break
			}
			select {
			case buf = <-p.free:
			case <-p.done:
				return
			}
		}
		buf = buf[:cap(buf)]
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
			select {
			case <-p.done:
				return
			case <-p.ctxDone:
				err = errStopped // the consumer reports the context's error
			default:
			}
		}
		if n > 0 {
			select {
			case p.full <- buf[:n]:
			case <-p.done:
				return
			}
		}
		if err != nil {
			p.err = err
			return
		}
	}
}

// Read returns prefetched bytes; at the end it returns the source's error
// (io.EOF when it ended cleanly).
func (p *prefetcher) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf
			p.buf = nil
		}
		var buf []byte
		var ok bool
		select {
		case buf, ok = <-p.full:
		case <-p.ctxDone:
			return 0, errStopped
		}
		if !ok {
			return 0, p.err
		}
		p.buf, p.cur = buf, buf
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// close stops the goroutine and waits for it, so that the decoder is no
// longer in use when it is released.
func (p *prefetcher) close() {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
	})
}
