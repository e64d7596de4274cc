package binstream

import (
	"bytes"
	"errors"
	"io"
)

// chunk is how much a Window reads at a time.
const chunk = 256 << 10

// Window is a sliding window over a stream: it holds the stream's bytes
// from offset Base on, reading more on demand, and forgets bytes its user
// has passed ([Window.Drop]). Offsets are the stream's (the file's).
type Window struct {
	r    io.Reader
	buf  []byte // bytes [base, base+len(buf)) of the stream
	base int64
	end  bool  // the stream ended (at base+len(buf))
	err  error // why, when not io.EOF
	max  int   // most bytes held at once
}

// NewWindow returns a Window over r that holds at most max bytes at once.
func NewWindow(r io.Reader, max int) *Window {
	return &Window{r: r, max: max}
}

// Err is the stream's error, other than io.EOF.
func (w *Window) Err() error { return w.err }

// Base is the offset of the first byte held.
func (w *Window) Base() int64 { return w.base }

// End is the offset just past the last byte held.
func (w *Window) End() int64 { return w.base + int64(len(w.buf)) }

// Done reports whether the stream has ended and every byte of it is held
// up to End.
func (w *Window) Done() bool { return w.end }

// Need reads until the window holds the stream up to offset end, and
// reports whether it does: false when the stream ends (or fails) first,
// or when holding it would take more than the window's maximum.
func (w *Window) Need(end int64) bool {
	for w.End() < end {
		if w.end || end-w.base > int64(w.max) {
			return false
		}
		w.more()
	}
	return true
}

// More reads at least one more chunk if the stream has one, and reports
// whether it did.
func (w *Window) More() bool {
	if w.end || len(w.buf)+chunk > w.max {
		return false
	}
	before := len(w.buf)
	for len(w.buf) == before && !w.end {
		w.more()
	}
	return len(w.buf) > before
}

func (w *Window) more() {
	if cap(w.buf)-len(w.buf) < chunk {
		grown := make([]byte, len(w.buf), max(min(2*cap(w.buf), w.max), len(w.buf)+chunk))
		copy(grown, w.buf)
		w.buf = grown
	}
	n, err := w.r.Read(w.buf[len(w.buf):cap(w.buf)])
	w.buf = w.buf[:len(w.buf)+n]
	if err != nil {
		w.end = true
		if err != io.EOF {
			w.err = err
		}
	}
}

// Bytes returns the n bytes at offset off, which the window must hold
// (after Need(off+n)); valid until the window next reads or drops.
func (w *Window) Bytes(off int64, n int) []byte {
	i := off - w.base
	return w.buf[i : i+int64(n)]
}

// From returns every byte held from offset off on (off >= Base).
func (w *Window) From(off int64) []byte { return w.buf[off-w.base:] }

// Drop forgets the bytes before offset off.
func (w *Window) Drop(off int64) {
	k := off - w.base
	if k <= 0 {
		return
	}
	if k >= int64(len(w.buf)) {
		w.base += int64(len(w.buf))
		w.buf = w.buf[:0]
		return
	}
	n := copy(w.buf, w.buf[k:])
	w.buf = w.buf[:n]
	w.base = off
}

// Index returns the offset of the first occurrence of sep at or after
// offset from among the bytes held, or -1.
func (w *Window) Index(from int64, sep []byte) int64 {
	if from < w.base {
		from = w.base
	}
	if from >= w.End() {
		return -1
	}
	i := bytes.Index(w.From(from), sep)
	if i < 0 {
		return -1
	}
	return from + int64(i)
}

// Reader returns a reader of the stream from offset off (which the
// window must hold), growing the window as it is read: for a decoder that
// does not know how much it needs. It is an io.ByteReader, so that
// decoders read no further than they need, and says how far they read.
func (w *Window) Reader(off int64) *Reader { return &Reader{w: w, off: off} }

// Reader reads a Window's stream; see [Window.Reader].
type Reader struct {
	w   *Window
	off int64
}

// Offset is the offset of the next byte to read.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) fill() error {
	for r.off >= r.w.End() {
		if r.w.More() {
			continue
		}
		switch {
		case r.w.err != nil:
			return r.w.err
		case r.w.end:
			return io.EOF
		}
		return ErrWindowFull
	}
	return nil
}

func (r *Reader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.w.From(r.off))
	r.off += int64(n)
	return n, nil
}

// ReadByte implements io.ByteReader.
func (r *Reader) ReadByte() (byte, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	b := r.w.From(r.off)[0]
	r.off++
	return b, nil
}

// ErrWindowFull ends a Reader that would take its window past its
// maximum.
var ErrWindowFull = errors.New("stream window full")
