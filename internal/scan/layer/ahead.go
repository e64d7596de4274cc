package layer

import (
	"context"
	"fmt"
	"io"
)

// Ahead is a layer whose decompression started before its turn: while the
// [Reader] reads one layer, the next one inflates on another core into a
// bounded buffer. Passed to [Reader.ReadLayer] as its source, it is taken
// over where it got to; every limit applies as if the reader had opened
// the stream itself (the bytes decoded ahead are counted when read, and
// decoding stops once the buffer is full until the reader catches up).
//
// Ahead is an io.Reader only so that ReadLayer accepts it; use it for
// nothing else. Close releases it when it is never read (ReadLayer
// closes it otherwise); closing twice is harmless.
type Ahead struct {
	in   *atomicCounter
	comp Compression
	src  *prefetcher // decompressed bytes
	stop func()
	err  error // detection or decoder setup failed: ReadLayer reports it
	done bool
}

// AheadChunks is how many prefetch chunks (of 256 KiB) a layer read ahead
// may fill before its turn: 16 MiB, the memory read-ahead may cost on top
// of the layer being read.
const AheadChunks = 64

// ReadAhead starts decompressing src (gzip, zstd or plain tar, detected
// as by [Reader.ReadLayer]) in a goroutine, keeping at most chunks chunks
// of 256 KiB (for plain data, as many bytes in chunks of 1 MiB, at least
// prefetchDepth of them). It stops when ctx ends or the Ahead is closed.
func ReadAhead(ctx context.Context, src io.Reader, chunks int) *Ahead {
	a := &Ahead{in: &atomicCounter{r: src}, stop: func() {}}
	br, head, err := peek(a.in)
	if err != nil {
		a.err = fmt.Errorf("read: %w", err)
		return a
	}
	a.comp = Detect(head)
	dec, closeDec, err := decompressor(a.comp, br)
	if err != nil {
		a.err = err
		if a.in.failed(err) {
			a.err = fmt.Errorf("read: %w", *a.in.err.Load()) // not bad data
		}
		return a
	}
	size := prefetchChunk
	if a.comp == Uncompressed {
		// Plain data comes from read calls: fewer, larger ones keep the
		// disk ahead of hashing (7% off a cold scan of a 116 MB layer),
		// for the same bytes ahead. A decoder's output is better handed
		// on in small chunks (larger ones made lang 3% slower).
		size, chunks = plainChunk, max(chunks*prefetchChunk/plainChunk, prefetchDepth)
	}
	pf := startPrefetch(dec, ctx.Done(), chunks, size)
	a.src = pf
	a.stop = func() { pf.close(); closeDec() }
	return a
}

// Read returns decompressed bytes; see the type's documentation.
func (a *Ahead) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	return a.src.Read(p)
}

// Close stops decompression and releases the decoder.
func (a *Ahead) Close() error {
	a.close()
	return nil
}

func (a *Ahead) close() {
	if !a.done {
		a.done = true
		a.stop()
	}
}
