package gunzip

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	kgzip "github.com/klauspost/compress/gzip"
)

// chunkSize is how much compressed data one job decodes (a variable for
// the tests).
var chunkSize = 1 << 20

// maxJobOut bounds the memory of one job's output, in bytes. A chunk that
// inflates to more (a highly compressible or malicious stream) is decoded
// again when its turn comes, in a bounded buffer. (A variable for the
// tests; a Reader reads it once, as chunkSize.)
var maxJobOut = 24 << 20

// afterTooLarge is how many jobs a Reader leaves to Read, without decoding
// them ahead, after a job whose output went past maxJobOut. Such a stream
// inflates more than 24 times (a million files of a few bytes, a bomb):
// decoding ahead there is work thrown away, and each job in flight holds
// up to maxJobOut of buffers (two held 52 MB, over a scan's 64 MiB memory
// limit, and the collector ran 700 times in 3 s). The jobs after these are
// tried again, for a stream that becomes ordinary data.
const afterTooLarge = 8

var (
	errSkipped    = errors.New("left to the reader: every core is busy")
	errNoBoundary = errors.New("no block boundary found")
	errTooLarge   = errors.New("chunk output over the limit")
	// ErrChecksum is a member whose trailer does not match its data.
	ErrChecksum = errors.New("gzip checksum or size mismatch")
)

// Reader decompresses a gzip stream using several goroutines. Its input is
// cut into chunks of [chunkSize]; a job per chunk finds the first deflate
// block that starts in it (a dynamic block's header, or a stored block's
// length) and decodes from there, before the data before it is known:
// bytes a match copies from before the job's start are kept as markers,
// 16-bit values standing for a byte of the 32 KiB window, until the window
// holds no marker (after 250-450 KB of a Debian layer's output) and the
// job goes on in plain bytes. Read takes the jobs
// in order: a job that starts where the one before it stopped has its
// markers replaced by the bytes before it; any other job (it found no
// boundary, a false one, failed, or its output grew too large) is decoded
// again, sequentially, from where the one before stopped. Output is the
// same as a sequential decoder's, checked against each member's CRC-32
// and size. A second and later members (eStargz layers have one per file)
// are decoded in turn by the same decoder, each from an empty window.
//
// Decoding ahead costs more CPU than decoding in turn (the markers, the
// search for a block), so it is done only when it can use idle cores: a
// Reader opened while another is open decodes everything in turn, with no
// goroutines and 256 KiB buffers, and a worker leaves its job to Read
// while as many goroutines as cores decode, or while the output decoded
// ahead over all readers passes 32 MiB.
type Reader struct {
	src   io.Reader
	chunk int // chunkSize when it was opened

	quit    chan struct{}
	order   chan *job // to Read, in stream order
	jobs    chan *job // to the workers
	wg      sync.WaitGroup
	dispEnd chan struct{} // closed when dispatch returns

	mu      sync.Mutex
	chunks  []span // compressed input not yet passed by Read
	readErr error  // src failed (not at its end)

	pos   int64 // stream bit offset of the next block to output
	hist  [windowSize]byte
	hn    int // hist[windowSize-hn:] is the output's last bytes
	crc   uint32
	size  uint32
	out   []byte   // handed out by Read next
	queue [][]byte // then these
	held  *job     // the job out and queue point into

	seq    bool // decoding sequentially
	serial bool // for the rest of the member: the jobs are stopped
	cur    *job // the job being decoded again
	sd     decoder
	sbuf   []byte
	first  []byte // the first chunk, when decoding in turn from the start
	sop    int

	tail     io.Reader // members after the first
	err      error
	closed   bool
	released bool

	taken, again int // jobs taken as decoded ahead, decoded again
	jobOut       int // maxJobOut when the Reader was made

	// skipAhead counts the jobs still to leave to Read after one whose
	// output went past maxJobOut (see afterTooLarge).
	skipAhead atomic.Int32
	tooLarge  atomic.Int32 // jobs whose output went past maxJobOut, for tests
}

// Segment sizes: a job's output is a list of segments, each starting with
// a copy of the window before it, so that output grows without copying.
const (
	segBytes = 1 << 20
	segU16   = 256 << 10
)

// seqBytes is the output buffer, and the first read, of decoding in turn.
const seqBytes = 256 << 10

// Buffers are reused: a layer's jobs would otherwise allocate (and the
// kernel zero) several times the layer's size. The free lists are bounded
// (unlike a sync.Pool, which a collection empties, and a scan under its
// memory limit collects often).
var (
	chunkFree = newFreeList[byte](3)
	byteFree  = newFreeList[byte](3)
	u16Free   = newFreeList[uint16](2)
	seqFree   = newFreeList[byte](4)
)

type freeList[T any] chan []T

func newFreeList[T any](n int) freeList[T] { return make(chan []T, n) }

// get returns a buffer of length n, its contents undefined.
func (f freeList[T]) get(n int) []T {
	select {
	case b := <-f:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]T, n)
}

func (f freeList[T]) put(b []T) {
	if cap(b) == 0 {
		return
	}
	select {
	case f <- b:
	default:
	}
}

// decoding counts the goroutines decoding, over all readers: workers
// decoding a job and readers decoding in turn. readers counts the open
// readers.
var decoding, readers atomic.Int32

// jobBytes is the memory of the output of jobs decoded ahead and not yet
// read, over all readers; past jobBudget, workers leave their jobs to Read.
// With maxWorkers, it bounds a Reader's memory on any number of cores.
var jobBytes atomic.Int64

const (
	jobBudget  = 32 << 20
	maxWorkers = 8
)

// busyAt is how many decoding goroutines make every core busy (a variable
// for the tests).
var busyAt = func() int32 { return int32(runtime.GOMAXPROCS(0)) }

// segment is output: buf[windowSize:n], after a copy of the window.
type segment[T uint8 | uint16] struct {
	buf []T
	n   int
}

// release returns j's buffers; j is not used after.
func (j *job) release() {
	jobBytes.Add(-j.mem)
	j.mem = 0
	for _, s := range j.u16 {
		u16Free.put(s.buf)
	}
	for _, s := range j.b {
		byteFree.put(s.buf)
	}
	for _, b := range j.res {
		byteFree.put(b)
	}
	j.u16, j.b, j.res = nil, nil, nil
}

// held is the memory of j's output buffers.
func (j *job) held() int64 {
	var n int64
	for _, s := range j.u16 {
		n += 2 * int64(cap(s.buf))
	}
	for _, s := range j.b {
		n += int64(cap(s.buf))
	}
	return n
}

type span struct {
	off int64
	b   []byte
}

type job struct {
	off   int64  // stream offset of data[0]
	data  []byte // the job's chunk
	next  []byte // the chunk after it, nil at the end
	from  int64  // bit offset: the first block, or where to look for one
	end   int64  // stop at the first block starting at or past this bit
	known bool   // from is the first block: nothing before it
	done  chan struct{}

	cand        int64             // bit offset being tried
	headerOK    bool              // its block header is valid
	mem         int64             // its output's memory, counted in jobBytes
	stored      bool              // it is the length of a stored block
	start, stop int64             // bit offsets of the first block and where it stopped
	final       bool              // it decoded the member's final block
	u16         []segment[uint16] // output with markers
	b           []segment[byte]   // then output without
	size        int               // bytes of output
	res         [][]byte          // u16 resolved, by Read
	err         error
}

// MaxReadAhead is the most compressed input a Reader with workers
// goroutines reads ahead of its output: a chunk for each job queued or
// being decoded, the one being read out, and the next one being read.
func MaxReadAhead(workers int) int64 {
	return int64(min(max(workers, 1), maxWorkers)+3) * int64(chunkSize)
}

// NewReader reads the gzip header at the start of src and starts decoding
// with workers goroutines (at least 1).
func NewReader(src io.Reader, workers int) (*Reader, error) {
	workers = min(max(workers, 1), maxWorkers)
	// Other streams decode (on the other cores): decode in turn, with
	// small buffers.
	serial := workers == 1 || readers.Load() > 0
	chunk := chunkSize // read once: a reader's goroutines may outlive a test's setting
	var first []byte
	if serial {
		first = make([]byte, seqBytes)
	} else {
		first = chunkFree.get(chunk)
	}
	n, err := io.ReadFull(src, first)
	first = first[:n]
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	more := err == nil
	r := &Reader{
		src:     src,
		chunk:   chunk,
		jobOut:  maxJobOut,
		quit:    make(chan struct{}),
		order:   make(chan *job, workers),
		jobs:    make(chan *job),
		dispEnd: make(chan struct{}),
	}
	h, err := headerLen(first)
	if err == io.ErrUnexpectedEOF && more {
		// A header longer than a chunk (a file name or comment of
		// megabytes): not worth a parallel decoder.
		zr, err := kgzip.NewReader(io.MultiReader(bytes.NewReader(first), src))
		if err != nil {
			return nil, err
		}
		r.tail, r.released = zr, true
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	r.pos = int64(h) * 8
	readers.Add(1)
	if serial || !more {
		// Decoding in turn, also when the stream is one chunk.
		r.seq, r.serial = true, true
		if !serial {
			r.first = first // from chunkFree
		}
		r.useSeqBuf()
		r.sop = windowSize
		if err := r.sd.reset(first, 0, r.pos, src); err != nil {
			return nil, err
		}
		r.sd.minOut = windowSize
		return r, nil
	}
	r.chunks = append(r.chunks, span{0, first})
	for range workers {
		r.wg.Add(1)
		go r.work()
	}
	go r.dispatch(first, more)
	return r, nil
}

// dispatch reads src chunk by chunk and hands out a job per chunk.
func (r *Reader) dispatch(cur []byte, more bool) {
	defer close(r.dispEnd)
	defer close(r.jobs)
	defer close(r.order)
	var off int64
	for i := 0; ; i++ {
		var next []byte
		if more {
			next = chunkFree.get(r.chunk)
			n, err := io.ReadFull(r.src, next)
			next = next[:n]
			if err != nil {
				more = false
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					r.mu.Lock()
					r.readErr = err
					r.mu.Unlock()
				}
			}
			if n > 0 {
				r.mu.Lock()
				r.chunks = append(r.chunks, span{off + int64(len(cur)), next})
				r.mu.Unlock()
			}
		}
		j := &job{off: off, data: cur, next: next, from: off * 8, end: (off + int64(len(cur))) * 8, done: make(chan struct{})}
		if i == 0 {
			j.from, j.known = r.pos, true
		}
		select {
		case r.order <- j:
		case <-r.quit:
			return
		}
		select {
		case r.jobs <- j:
		case <-r.quit:
			close(j.done)
			return
		}
		if len(next) == 0 {
			return
		}
		off += int64(len(cur))
		cur = next
	}
}

func (r *Reader) work() {
	defer r.wg.Done()
	d := new(decoder)
	for {
		select {
		case j, ok := <-r.jobs:
			if !ok {
				return
			}
			// Decoding ahead costs more than decoding in turn (markers, and
			// the search for a block): worth it only on an idle core, and
			// not while other streams decode (they use the other cores).
			if readers.Load() > 1 || decoding.Load() >= busyAt() || jobBytes.Load() >= jobBudget || r.skip() {
				j.err = errSkipped
				close(j.done)
				continue
			}
			decoding.Add(1)
			r.decodeJob(d, j)
			decoding.Add(-1)
			if j.err == errTooLarge {
				r.tooLarge.Add(1)
				r.skipAhead.Store(afterTooLarge)
			}
			j.mem = j.held()
			jobBytes.Add(j.mem)
			close(j.done)
		case <-r.quit:
			return
		}
	}
}

// skip reports whether a job is to be left to Read, counting it against
// skipAhead.
func (r *Reader) skip() bool {
	for {
		n := r.skipAhead.Load()
		if n <= 0 {
			return false
		}
		if r.skipAhead.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (r *Reader) stopped() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

// decodeJob decodes j: from its known first block, or from the first
// position in its chunk where a block decodes.
func (r *Reader) decodeJob(d *decoder, j *job) {
	if j.known {
		j.err = r.decodeFrom(d, j, j.from, false)
		return
	}
	// Candidates in stream order: dynamic block headers, found by their
	// bits, and stored blocks, found by their byte-aligned length and its
	// complement.
	dyn := nextCandidate(j.data, j.off, j.from, j.end)
	sto := nextStored(j.data, j.off, j.from/8+1, j.end/8)
	for tries := 0; tries < maxCandidates && !r.stopped(); {
		var c int64
		stored := sto >= 0 && (dyn < 0 || sto*8 < dyn)
		switch {
		case stored:
			c = sto * 8
			sto = nextStored(j.data, j.off, sto+1, j.end/8)
		case dyn >= 0:
			c = dyn
			dyn = nextCandidate(j.data, j.off, dyn+1, j.end)
		default:
			j.err = errNoBoundary
			return
		}
		// An error once the first block decoded is the stream's, except
		// after a stored candidate: a false one passes its checks easily.
		err := r.decodeFrom(d, j, c, stored)
		if err == nil || j.start == c && !stored {
			j.err = err
			return
		}
		if j.headerOK {
			tries++
		}
	}
	j.err = errNoBoundary
}

// decodeFrom decodes j from bit offset c: a block header, or, if stored,
// the length of a stored block (its header is before, unaligned). It sets
// j.start once the first block has decoded (and, after a stored one, the
// next block's header), so that a failure before that means c was no
// block.
func (r *Reader) decodeFrom(d *decoder, j *job, c int64, stored bool) error {
	j.release()
	j.cand, j.start, j.size, j.headerOK, j.stored = c, -1, 0, false, stored
	if err := d.reset(j.data, j.off, c, bytes.NewReader(j.next)); err != nil {
		return err
	}
	if j.known {
		j.start = c
		buf := byteFree.get(windowSize + segBytes)
		d.minOut = windowSize // nothing before the stream
		return decodeSegments(r, d, j, &j.b, byteFree, buf, j.end, nil)
	}
	// The header first: most candidates fail it.
	if stored {
		if err := d.storedHeader(); err != nil {
			return err
		}
	} else if err := d.header(); err != nil {
		return err
	}
	j.headerOK = true
	// With markers until the window holds none.
	buf := u16Free.get(windowSize + segU16)
	for k := range windowSize {
		buf[k] = uint16(256 + k)
	}
	d.minOut = 0
	switched := false
	err := decodeSegments(r, d, j, &j.u16, u16Free, buf, c+1, func(w []uint16) bool {
		switched = j.start >= 0 && !hasMarker(w)
		return switched
	})
	if err != nil || !switched {
		return err
	}
	last := j.u16[len(j.u16)-1]
	bbuf := byteFree.get(windowSize + segBytes)
	for i, v := range last.buf[last.n-windowSize : last.n] {
		bbuf[i] = byte(v)
	}
	d.minOut = 0
	return decodeSegments(r, d, j, &j.b, byteFree, bbuf, j.end, nil)
}

// decodeSegments decodes into segments of free's buffers, the first buf
// (its window filled), appending them to segs, until the block boundary at
// or past stop, the final block or, if done is not nil, until done reports
// that decoding should go on differently (it sees the window before the
// output so far, every 64 KiB). A stop before j.end is the first block's
// end: j.start is set there and decoding goes on to j.end.
func decodeSegments[T uint8 | uint16](r *Reader, d *decoder, j *job, segs *[]segment[T], free freeList[T], buf []T, stop int64, done func([]T) bool) error {
	op := windowSize
	for {
		lim := len(buf) - maxMatch - slack
		if done != nil {
			lim = min(lim, op+64<<10)
		}
		var st status
		var err error
		op, st, err = run(d, buf, op, lim, stop)
		if err != nil {
			free.put(buf)
			return err
		}
		if st == stStop && j.start < 0 {
			// Past a stored candidate's block, whose bytes prove nothing,
			// the next block's header must be valid too.
			j.start, stop = j.cand, j.end
			if j.stored {
				at := d.bitPos()
				if err := d.header(); err != nil {
					j.start = -1
					free.put(buf)
					return err
				}
				if at >= j.end { // that block is the next job's
					*segs = append(*segs, segment[T]{buf, op})
					j.size += op - windowSize
					j.stop, j.final = at, false
					return nil
				}
			}
			continue
		}
		if st != stFull {
			if j.start < 0 {
				j.start = j.cand // the first block was the last
			}
			*segs = append(*segs, segment[T]{buf, op})
			j.size += op - windowSize
			j.stop, j.final = d.bitPos(), st == stFinal
			return nil
		}
		if done != nil && done(buf[op-windowSize:op]) {
			*segs = append(*segs, segment[T]{buf, op})
			j.size += op - windowSize
			return nil
		}
		if j.start < 0 && j.size+op > maxFirstBlock {
			free.put(buf)
			return errFirstBlock
		}
		if op >= len(buf)-maxMatch-slack {
			if (j.size+op)*int(unsafe.Sizeof(buf[0])) > r.jobOut || r.stopped() {
				free.put(buf)
				return errTooLarge
			}
			next := free.get(len(buf))
			copy(next, buf[op-windowSize:op])
			*segs = append(*segs, segment[T]{buf, op})
			j.size += op - windowSize
			d.minOut = max(0, d.minOut-(op-windowSize))
			buf, op = next, windowSize
		}
	}
}

// hasMarker reports whether w holds a marker.
func hasMarker(w []uint16) bool {
	for _, v := range w {
		if v >= 256 {
			return true
		}
	}
	return false
}

// maxCandidates and maxFirstBlock bound the work a job spends on offsets
// whose block header is valid but which are no block (a crafted stream
// could hold many): a real header is nearly always the first valid one,
// and a first block that inflates to more than maxFirstBlock is taken for
// garbage.
const (
	maxCandidates = 16
	maxFirstBlock = 4 << 20
)

var errFirstBlock = errors.New("first block too long")

// searchBytes bounds the search for a block in a chunk: dynamic blocks
// are far shorter, so a chunk without one in that much is stored data or
// a giant block, better decoded in turn.
const searchBytes = 256 << 10

// nextCandidate returns the first bit offset in [from, end) of data (whose
// first byte is at stream offset off) where a dynamic, non-final block
// header could start, judged by its field ranges and a complete code
// length code; -1 if there is none.
func nextCandidate(data []byte, off, from, end int64) int64 {
	lastBit := (off + int64(len(data)) - 16) * 8
	end = min(end, lastBit, (off+searchBytes)*8)
	// 48 offsets at a time: those where the header bits read "not final,
	// dynamic" (0, 0, 1), one in eight, are looked at closer.
	for c := from; c < end; c += 48 {
		w := binary.LittleEndian.Uint64(data[c/8-off:]) >> uint(c&7)
		m := ^w & ^(w >> 1) & (w >> 2) & (1<<48 - 1)
		for ; m != 0; m &= m - 1 {
			p := c + int64(bits.TrailingZeros64(m))
			if p >= end {
				return -1
			}
			if dynamicHeaderAt(data, off, p) {
				return p
			}
		}
	}
	return -1
}

// nextStored returns the first byte offset in [from, end) of data (whose
// first byte is at stream offset off) that holds a stored block's length
// and its complement after a byte whose last three bits are zero (the end
// of the block header, or its padding: encoders pad with zeros), -1 if
// there is none. An empty stored block (a sync flush, as pgzip and others
// write between their blocks) qualifies.
func nextStored(data []byte, off, from, end int64) int64 {
	end = min(end, off+int64(len(data))-4, off+searchBytes)
	for k := max(from, off+1); k < end; k++ {
		i := k - off
		if data[i] == ^data[i+2] && data[i+1] == ^data[i+3] && data[i-1]&0xe0 == 0 {
			return k
		}
	}
	return -1
}

// dynamicHeaderAt reports whether a non-final dynamic block header with
// valid counts and a complete code length code starts at bit offset c.
func dynamicHeaderAt(data []byte, off, c int64) bool {
	w := binary.LittleEndian.Uint64(data[c/8-off:]) >> uint(c&7)
	if w&7 != 4 || w>>3&31 > 29 || w>>8&31 > 29 {
		return false
	}
	nclen := int(w>>13&15) + 4
	c2 := c + 17
	w2 := binary.LittleEndian.Uint64(data[c2/8-off:]) >> uint(c2&7)
	kraft := 0
	for k := range nclen {
		if l := w2 >> (3 * k) & 7; l != 0 {
			kraft += 128 >> l
		}
	}
	return kraft == 128
}

// Read reads decompressed bytes.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if len(r.queue) > 0 {
			r.out, r.queue = r.queue[0], r.queue[1:]
			continue
		}
		if r.err != nil {
			r.leave()
			return 0, r.err
		}
		if r.tail != nil {
			n, err := r.tail.Read(p)
			if err != nil {
				r.leave()
			}
			return n, err
		}
		if r.held != nil {
			r.held.release()
			r.held = nil
		}
		if err := r.next(); err != nil {
			r.err = err
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next makes the next output ready.
func (r *Reader) next() error {
	if r.seq {
		return r.nextSequential()
	}
	var j *job
	var ok bool
	select {
	case j, ok = <-r.order:
	case <-r.quit:
	}
	if !ok {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.readErr != nil {
			return r.readErr
		}
		return io.ErrUnexpectedEOF
	}
	<-j.done
	if r.pos >= j.end {
		j.release()
		return nil // the job before reached past this one's chunk
	}
	if j.err != nil || !r.linesUp(j) {
		return r.decodeAgain(j)
	}
	r.taken++
	if err := r.take(j); err != nil {
		j.release()
		return err
	}
	r.pos = j.stop
	r.forget(r.pos / 8)
	if j.final {
		return r.endMember(r.restOfChunks((j.stop + 7) / 8))
	}
	return nil
}

// linesUp reports whether j starts where the output stopped: at the block
// boundary r.pos, or, for a stored block, at the length that the stored
// block header at r.pos leads to.
func (r *Reader) linesUp(j *job) bool {
	if !j.stored {
		return j.start == r.pos
	}
	i := r.pos/8 - j.off
	at := func(i int64) uint {
		switch {
		case i < int64(len(j.data)):
			return uint(j.data[i])
		case i-int64(len(j.data)) < int64(len(j.next)):
			return uint(j.next[i-int64(len(j.data))])
		}
		return 0xff
	}
	h := (at(i) | at(i+1)<<8) >> uint(r.pos&7)
	return h&7 == 0 && (r.pos+3+7)/8*8 == j.start
}

// take queues j's output, replacing its markers by the bytes before it.
func (r *Reader) take(j *job) error {
	minK := windowSize - r.hn
	hist := &r.hist // emitted only once all is resolved
	for _, sg := range j.u16 {
		out := byteFree.get(sg.n - windowSize)
		j.res = append(j.res, out)
		for i, v := range sg.buf[windowSize:sg.n] {
			if v < 256 {
				out[i] = byte(v)
				continue
			}
			k := int(v) - 256
			if k < minK {
				return errTooFar
			}
			out[i] = hist[k]
		}
	}
	for _, out := range j.res {
		r.emit(out)
	}
	for _, sg := range j.b {
		r.emit(sg.buf[windowSize:sg.n])
	}
	r.held = j
	return nil
}

// emit queues output p and accounts for it.
func (r *Reader) emit(p []byte) {
	if len(p) == 0 {
		return
	}
	r.queue = append(r.queue, p)
	r.crc = crc32.Update(r.crc, crc32.IEEETable, p)
	r.size += uint32(len(p))
	if k := len(p); k >= windowSize {
		copy(r.hist[:], p[k-windowSize:])
		r.hn = windowSize
	} else {
		copy(r.hist[:], r.hist[k:])
		copy(r.hist[windowSize-k:], p)
		r.hn = min(windowSize, r.hn+k)
	}
}

// forget drops the compressed chunks before stream offset off.
func (r *Reader) forget(off int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := 0
	for i < len(r.chunks) && r.chunks[i].off+int64(len(r.chunks[i].b)) <= off {
		chunkFree.put(r.chunks[i].b)
		i++
	}
	r.chunks = r.chunks[i:]
}

// useSeqBuf gives r the output buffer of decoding in turn, if it has none
// yet (leave returns it).
func (r *Reader) useSeqBuf() {
	if r.sbuf == nil {
		r.sbuf = seqFree.get(windowSize + seqBytes + maxMatch + slack)
	}
}

// decodeAgain decodes j's chunk sequentially from r.pos, with the bytes
// before it known.
func (r *Reader) decodeAgain(j *job) error {
	j.release() // its chunks are all that is needed
	r.again++
	r.seq, r.cur = true, j
	r.useSeqBuf()
	copy(r.sbuf[windowSize-r.hn:windowSize], r.hist[windowSize-r.hn:])
	r.sop = windowSize
	src := io.MultiReader(bytes.NewReader(j.next), &lazyRest{r: r, off: j.off + int64(len(j.data)+len(j.next))})
	if err := r.sd.reset(j.data, j.off, r.pos, src); err != nil {
		return err
	}
	r.sd.minOut = windowSize - r.hn
	return nil
}

// nextSequential decodes the next piece in sequential mode: until the
// current job's end (then jobs again) or, once the jobs are stopped, the
// member's end.
func (r *Reader) nextSequential() error {
	d := &r.sd
	if r.sop > windowSize+seqBytes/2 {
		copy(r.sbuf, r.sbuf[r.sop-windowSize:r.sop])
		d.minOut = max(0, d.minOut-(r.sop-windowSize))
		r.sop = windowSize
	}
	stop := int64(math.MaxInt64)
	if !r.serial {
		stop = r.cur.end
	}
	decoding.Add(1)
	op, st, err := run(d, r.sbuf, r.sop, len(r.sbuf)-maxMatch-slack, stop)
	decoding.Add(-1)
	if err != nil {
		// The decoder's own errors wrap ErrCorrupt or are
		// io.ErrUnexpectedEOF; the source's pass through as they are, so
		// that a dropped connection is not taken for bad data.
		return err
	}
	if op > r.sop {
		r.emit(r.sbuf[r.sop:op])
		r.sop = op
	}
	switch {
	case st == stFinal:
		return r.nextMember()
	case st == stStop && !r.serial:
		r.cur.release()
		r.seq, r.cur = false, nil
		r.pos = d.bitPos()
		r.forget(r.pos / 8)
	}
	return nil
}

// lazyRest is the input after a job's data, for a sequential decode that
// runs past it: the first read stops the jobs (the rest of the member is
// decoded sequentially) and goes on with the chunks read and then src.
type lazyRest struct {
	r   *Reader
	off int64
	rd  io.Reader
}

func (l *lazyRest) Read(p []byte) (int, error) {
	if l.rd == nil {
		l.r.serial = true
		l.rd = l.r.restOfChunks(l.off)
	}
	return l.rd.Read(p)
}

// restOfChunks stops the jobs and returns the stream from offset off on:
// the chunks read so far, then the rest of src.
func (r *Reader) restOfChunks(off int64) io.Reader {
	r.stop()
	<-r.dispEnd
	r.wg.Wait()
	r.drain()
	var parts []io.Reader
	for _, c := range r.chunks {
		if end := c.off + int64(len(c.b)); end > off {
			parts = append(parts, bytes.NewReader(c.b[max(0, off-c.off):]))
		}
	}
	if r.readErr != nil {
		parts = append(parts, errReader{r.readErr})
	} else {
		parts = append(parts, r.src)
	}
	return io.MultiReader(parts...)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// endMember goes on after a job's final block, rest being the stream
// after it (the chunks read ahead, then src; never the decoder's own
// buffer): the sequential decoder takes it from there (see nextMember).
func (r *Reader) endMember(rest io.Reader) error {
	r.useSeqBuf()
	if err := r.sd.reset(nil, 0, 0, rest); err != nil {
		return err
	}
	return r.nextMember()
}

// maxHeader bounds the gzip header of a second or later member, which is
// not buffered without bound: a file name of megabytes is refused (Go's
// and klauspost's readers refuse names over 512 bytes).
const maxHeader = 1 << 20

var errLongHeader = fmt.Errorf("%w: member header over %d bytes", ErrHeader, maxHeader)

// nextMember follows a member's final block, with the sequential decoder
// at the bits after it: it checks the member's trailer and, when another
// member follows, reads its header and sets the decoder on its first
// block, from an empty window. Later members (eStargz layers have one per
// file) are all decoded in turn, reading on from the decoder's input:
// nothing is copied, wrapped or read twice.
func (r *Reader) nextMember() error {
	d := &r.sd
	r.seq, r.serial = true, true
	d.alignByte()
	var t [8]byte
	for i := range t {
		b, ok, err := d.nextByte()
		if err != nil {
			return err
		}
		if !ok {
			return io.ErrUnexpectedEOF
		}
		t[i] = b
	}
	if binary.LittleEndian.Uint32(t[:4]) != r.crc || binary.LittleEndian.Uint32(t[4:]) != r.size {
		return ErrChecksum
	}
	hb, err := readHeader(d)
	if err != nil {
		return err
	}
	if hb == nil {
		return io.EOF // no more members
	}
	d.inBlock, d.final, d.stored, d.storedBlock = false, false, 0, false
	r.sop = windowSize // what was decoded before is read out: Read calls next only then
	d.minOut = windowSize
	r.crc, r.size, r.hn = 0, 0, 0
	return nil
}

// readHeader consumes a gzip member header from d, byte by byte, and
// returns it (checked by headerLen); nil at the end of the input.
func readHeader(d *decoder) ([]byte, error) {
	hb := make([]byte, 0, 64)
	read := func(k int) error {
		for range k {
			if len(hb) >= maxHeader {
				return errLongHeader
			}
			b, ok, err := d.nextByte()
			if err != nil {
				return err
			}
			if !ok {
				return io.ErrUnexpectedEOF
			}
			hb = append(hb, b)
		}
		return nil
	}
	// untilZero reads a zero-terminated field.
	untilZero := func() error {
		for {
			if err := read(1); err != nil {
				return err
			}
			if hb[len(hb)-1] == 0 {
				return nil
			}
		}
	}
	if ok, err := d.more(); err != nil || !ok {
		return nil, err
	}
	if err := read(10); err != nil {
		return nil, err
	}
	if _, err := headerLen(hb); err != nil && err != io.ErrUnexpectedEOF {
		return nil, err // not a gzip header
	}
	flg := hb[3]
	if flg&0x04 != 0 { // FEXTRA
		if err := read(2); err != nil {
			return nil, err
		}
		if err := read(int(hb[10]) | int(hb[11])<<8); err != nil {
			return nil, err
		}
	}
	for _, f := range []byte{0x08, 0x10} { // FNAME, FCOMMENT
		if flg&f != 0 {
			if err := untilZero(); err != nil {
				return nil, err
			}
		}
	}
	if flg&0x02 != 0 { // FHCRC
		if err := read(2); err != nil {
			return nil, err
		}
	}
	if h, err := headerLen(hb); err != nil || h != len(hb) {
		return nil, cmp.Or(err, ErrHeader)
	}
	return hb, nil
}

func (r *Reader) stop() {
	if !r.closed {
		r.closed = true
		close(r.quit)
	}
}

// Close stops the workers and waits for them. It does not close src.
func (r *Reader) Close() error {
	r.stop()
	r.wg.Wait()
	r.drain()
	for _, j := range []*job{r.held, r.cur} {
		if j != nil {
			j.release()
		}
	}
	r.leave()
	return nil
}

// drain releases the output of the jobs decoded ahead that Read will not
// take (the workers have stopped), so that jobBytes counts only live ones.
func (r *Reader) drain() {
	for {
		select {
		case j, ok := <-r.order:
			if !ok {
				return
			}
			j.release()
		default:
			return
		}
	}
}

// leave stops counting r among the open readers: it is closed or at its
// end.
func (r *Reader) leave() {
	if !r.released {
		r.released = true
		readers.Add(-1)
		seqFree.put(r.sbuf)
		chunkFree.put(r.first)
		r.sbuf, r.first = nil, nil
	}
}
