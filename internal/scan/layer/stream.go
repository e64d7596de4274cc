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
	src   *prefetcher    // decompressed bytes, read ahead
	stop  func()         // stops prefetching and releases the decoder
	hash  hash.Hash      // nil unless verifying; written by a tap of src
	out   int64
	err   error
}

// atomicCounter counts bytes read from the compressed source, and keeps
// its first error other than io.EOF; both are read from the consumer
// while the decompressor's goroutines read the source.
type atomicCounter struct {
	r   io.Reader
	n   atomic.Int64
	err atomic.Pointer[error]
}

func (c *atomicCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF { // a short source is a truncated layer
		c.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

// failed reports whether err is (or wraps) the source's own error: a
// failed read, not bad data.
func (c *atomicCounter) failed(err error) bool {
	src := c.err.Load()
	return src != nil && errors.Is(err, *src)
}

// OpenStream detects the compression of src (or takes over an [Ahead])
// and opens its decompressed stream; layer is the layer's index, for
// errors. Zero limits in cfg take their defaults; desc.DiffID, when set,
// is verified by [Stream.Finish]. Close releases the stream.
func OpenStream(ctx context.Context, cfg Config, layer int, desc Desc, src io.Reader) (*Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st := &Stream{ctx: ctx, cfg: cfg.withDefaults(), layer: layer, desc: desc}
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
	a, ok := src.(*Ahead)
	if !ok {
		// Decompress (or, for a plain tar, read) in a goroutine so that it
		// overlaps with hashing and tar parsing: two cores do the work of
		// one layer, and waiting for the disk or the network is hidden.
		a = ReadAhead(ctx, src, prefetchDepth)
	}
	// Take over the decompression (started before this layer's turn when
	// src was an Ahead).
	st.in, st.comp = a.in, a.comp
	if a.err != nil {
		a.close()
		return nil, fmt.Errorf("layer %d: %w", layer, a.err)
	}
	st.src, st.stop = a.src, a.close
	st.hashAhead()
	return st, nil
}

// hashAhead hashes the decompressed bytes in a goroutine of their own,
// between the source and the consumer: hashing is the largest cost after
// decompression, and on its own core it is off the critical path.
func (s *Stream) hashAhead() {
	if s.hash != nil {
		s.src.tap(func(b []byte) { s.hash.Write(b) })
	}
}

// Read implements io.Reader for the tar reader.
func (s *Stream) Read(p []byte) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	n, err := s.src.Read(p)
	return n, s.account(int64(n), err)
}

// Seek skips forward (offset >= 0 from io.SeekCurrent; offset 0 gives the
// position): tar.Reader skips the contents of entries it is not asked
// for this way, so they are never copied out of the chunks that hold
// them. The bytes skipped are counted, checked and hashed as if read.
func (s *Stream) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return s.out, fmt.Errorf("layer %d: stream seeks forward only", s.layer)
	}
	if err := s.check(); err != nil {
		return s.out, err
	}
	n, err := s.src.skip(offset)
	if err == io.EOF {
		// Asked to skip past the end: tar reports a truncated archive.
		if err := s.account(n, nil); err != nil {
			return s.out, err
		}
		return s.out, io.ErrUnexpectedEOF
	}
	err = s.account(n, err)
	return s.out, err
}

// check returns the stream's error, or the context's.
func (s *Stream) check() error {
	if s.err != nil {
		return s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = s.ctxError(err)
		return s.err
	}
	return nil
}

// account counts n more bytes out of the source, enforces the limits and
// turns the source's error err into the stream's.
func (s *Stream) account(n int64, err error) error {
	if n > 0 {
		s.out += n
		if s.out > s.cfg.MaxLayerBytes {
			s.err = &LimitError{Limit: LimitLayerBytes, Max: s.cfg.MaxLayerBytes, Layer: s.layer}
			return s.err
		}
		if s.comp != Uncompressed && s.out > ratioSlack && s.out > s.cfg.MaxRatio*max(s.in.n.Load(), 1) {
			s.err = &LimitError{Limit: LimitRatio, Max: s.cfg.MaxRatio, Layer: s.layer}
			return s.err
		}
	}
	switch {
	case err == nil, err == io.EOF:
		return err
	case err == errStopped:
		s.err = s.ctxError(s.ctx.Err())
	case s.comp == Uncompressed, s.in.failed(err):
		s.err = fmt.Errorf("layer %d: read: %w", s.layer, err)
	default:
		s.err = fmt.Errorf("layer %d: %w", s.layer, decodeError(s.comp, err))
	}
	return s.err
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

// Err returns the stream's own failure: a limit crossed, a decompression
// error, the context's end; nil while it has none. An error from the tar
// reader over the stream is this one when it is set.
func (s *Stream) Err() error { return s.err }

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
	raw     chan []byte // chunks from the producer
	out     chan []byte // chunks for the consumer: raw, or the tap's output
	free    chan []byte
	done    chan struct{}
	wg      sync.WaitGroup
	depth   int    // chunks at most
	size    int    // bytes per chunk
	alloc   int    // chunks allocated (by run only)
	err     error  // set before raw is closed
	buf     []byte // chunk being consumed (to recycle)
	cur     []byte // its unread part
	once    sync.Once
}

// errStopped is returned by a prefetcher whose context is done; the
// stream replaces it with the context's error.
var errStopped = errors.New("stopped")

const (
	prefetchChunk = 256 << 10
	plainChunk    = 1 << 20 // chunks of uncompressed layers (see ReadAhead)
	prefetchDepth = 4
)

// startPrefetch reads r ahead in at most depth chunks of size bytes,
// allocated as the reader gets ahead (a consumer that keeps up needs few).
func startPrefetch(r io.Reader, ctxDone <-chan struct{}, depth, size int) *prefetcher {
	depth = max(depth, 1)
	p := &prefetcher{
		size:    size,
		ctxDone: ctxDone,
		raw:     make(chan []byte, depth),
		free:    make(chan []byte, depth),
		done:    make(chan struct{}),
		depth:   depth,
	}
	p.out = p.raw
	p.wg.Add(1)
	go p.run(r)
	return p
}

func (p *prefetcher) run(r io.Reader) {
	defer p.wg.Done()
	defer close(p.raw)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			if p.alloc < p.depth {
				p.alloc++
				buf = make([]byte, p.size)
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
			case p.raw <- buf[:n]:
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

// tap runs fn on every chunk, in order, in a goroutine between the
// producer and the consumer (the chunk itself is passed on: nothing is
// copied). Call it before the first Read.
func (p *prefetcher) tap(fn func([]byte)) {
	in, out := p.out, make(chan []byte, p.depth)
	p.out = out
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(out)
		for {
			select {
			case buf, ok := <-in:
				if !ok {
					return
				}
				fn(buf)
				select {
				case out <- buf:
				case <-p.done:
					return
				}
			case <-p.done:
				return
			}
		}
	}()
}

// next makes p.cur the next non-empty chunk; at the end it returns the
// source's error (io.EOF when it ended cleanly).
func (p *prefetcher) next() error {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf
			p.buf = nil
		}
		var buf []byte
		var ok bool
		select {
		case buf, ok = <-p.out:
		case <-p.ctxDone:
			return errStopped
		}
		if !ok {
			return p.err
		}
		p.buf, p.cur = buf, buf
	}
	return nil
}

// Read returns prefetched bytes; at the end it returns the source's error
// (io.EOF when it ended cleanly).
func (p *prefetcher) Read(b []byte) (int, error) {
	if err := p.next(); err != nil {
		return 0, err
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// skip passes over up to n bytes without copying them and returns how
// many it passed (fewer only with an error).
func (p *prefetcher) skip(n int64) (int64, error) {
	var done int64
	for done < n {
		if err := p.next(); err != nil {
			return done, err
		}
		k := min(int64(len(p.cur)), n-done)
		p.cur = p.cur[k:]
		done += k
	}
	return done, nil
}

// close stops the goroutines and waits for them, so that the decoder is
// no longer in use when it is released.
func (p *prefetcher) close() {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
	})
}
