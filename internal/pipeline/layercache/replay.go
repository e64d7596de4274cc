package layercache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strconv"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
)

// paxEntry is the PAX record that numbers the replayed entries whose
// contents were left out. Only the replay sets it: image content never
// reaches the headers it hands the reader.
const paxEntry = "DRYDOCK.entry"

// entries is a skeleton as layer entries (layer.Entries): each entry's
// header with its kept contents, or zeros in place of contents left out.
// No tar stream is written or parsed, and contents left out cost nothing
// unless the reader reads them (only reducers do, and a replayed reducer
// returns its recorded output).
type entries struct {
	sk    *Skeleton
	at    cursor
	data  []byte // unread kept contents of the current entry
	zeros int64  // or: unread zeros in place of its contents
}

func newEntries(sk *Skeleton) *entries { return &entries{sk: sk} }

// Next implements layer.Entries.
func (s *entries) Next() (*tar.Header, error) {
	if s.at.i == s.sk.Len() {
		return nil, io.EOF
	}
	i := s.at.i
	e := s.sk.next(&s.at)
	hdr := e.header()
	s.data, s.zeros = nil, 0
	switch {
	case !e.isRegular():
	case e.HasContent:
		s.data = e.Content
	default:
		hdr.PAXRecords = map[string]string{paxEntry: strconv.Itoa(i)}
		s.zeros = e.Size
	}
	return hdr, nil
}

// Skipped implements layer.Skipper: the current entry's contents were
// left out.
func (s *entries) Skipped() bool { return s.zeros > 0 }

// Read implements layer.Entries.
func (s *entries) Read(p []byte) (int, error) {
	switch {
	case len(s.data) > 0:
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	case s.zeros > 0:
		n := int(min(int64(len(p)), s.zeros))
		clear(p[:n])
		s.zeros -= int64(n)
		return n, nil
	}
	return 0, io.EOF
}

// entryOf returns the skeleton entry a replayed header names, or -1 for
// entries whose contents are in the stream.
func entryOf(hdr *tar.Header) int {
	if hdr == nil {
		return -1
	}
	v, ok := hdr.PAXRecords[paxEntry]
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return i
}

// pin is an entry a replay needed the contents of.
type pin struct {
	layer int
	name  string
}

// replayState is shared by the selectors of one replay.
type replayState struct {
	sks   []*Skeleton
	layer int // index of the layer being read
	pins  []pin
}

func (st *replayState) need(i int) {
	if sk := st.sks[st.layer]; i >= 0 && i < sk.Len() {
		st.pins = append(st.pins, pin{layer: st.layer, name: sk.At(i).Name})
	}
}

// reducerExtractor wraps a reducing extractor for a replay: for files whose
// contents were left out it returns the output recorded for it, and when
// none was recorded (the reader reached the file under another path, or
// through a symbolic link the extractor wanted) it records that the replay
// is not exact.
type reducerExtractor struct {
	extract.Extractor
	red layer.Reducer
	key string
	st  *replayState
	cur int // entry of the last Wants call, -1 when its contents are in the stream
}

var (
	_ extract.Extractor = (*reducerExtractor)(nil)
	_ layer.Reducer     = (*reducerExtractor)(nil)
)

// Wants implements layer.Selector, noting which entry is being read.
func (r *reducerExtractor) Wants(p string, fi fs.FileInfo) bool {
	hdr, _ := fi.Sys().(*tar.Header)
	r.cur = entryOf(hdr)
	return r.Extractor.Wants(p, fi)
}

// Reduce implements layer.Reducer.
func (r *reducerExtractor) Reduce(p string, data []byte) ([]byte, error) {
	if r.cur < 0 {
		return r.red.Reduce(p, data)
	}
	e := r.st.sks[r.st.layer].At(r.cur)
	o, ok := e.Reduced[r.key]
	if clean, _ := cleanPath(e.Name); !ok || p != clean {
		r.st.need(r.cur)
		return nil, nil
	}
	if o.Err != "" {
		return nil, errors.New(o.Err)
	}
	return o.Data, nil
}

// streamReducerExtractor is a reducerExtractor whose reducer also reads
// streams, so that the layer reader treats its files as the ordinary
// read does (a large file only StreamReducers want is not held to
// MaxReduceBytes).
type streamReducerExtractor struct{ *reducerExtractor }

// ReduceStream implements layer.StreamReducer.
func (r streamReducerExtractor) ReduceStream(p string, rd io.Reader, size int64) ([]byte, error) {
	if r.cur < 0 {
		return r.red.(layer.StreamReducer).ReduceStream(p, rd, size)
	}
	return r.Reduce(p, nil)
}

// errInexact reports a replay that cannot stand for the ordinary read.
var errInexact = errors.New("layercache: replay needs contents the skeletons left out")

// replay reads the image's layers from skeletons through an extraction
// session built exactly as the ordinary read builds it, and returns the
// inventory. When the reader needed contents a skeleton left out, it
// returns errInexact and the entries to pin.
func replay(ctx context.Context, im *source.Image, sks []*Skeleton, exs []extract.Extractor, sels []selector, cfg layer.Config, log *slog.Logger) (*extract.Inventory, []pin, error) {
	st := &replayState{sks: sks}
	wrapped := make([]extract.Extractor, len(exs))
	for i, ex := range exs {
		wrapped[i] = ex
		if red, ok := ex.(layer.Reducer); ok {
			re := &reducerExtractor{Extractor: ex, red: red, key: sels[i+1].key, st: st, cur: -1}
			wrapped[i] = re
			if _, ok := red.(layer.StreamReducer); ok {
				wrapped[i] = streamReducerExtractor{re}
			}
		}
	}
	sess, err := extract.NewSession(cfg, wrapped, log)
	if err != nil {
		return nil, nil, err
	}
	sess.SetPlatform(extract.ParsePlatform(im.Platform))
	for i, sk := range sks {
		st.layer = i
		desc := layer.Desc{Digest: im.Layers[i].Digest, Omitted: func(hdr *tar.Header) bool {
			e := entryOf(hdr)
			if e < 0 {
				return false
			}
			st.need(e)
			return true
		}}
		if err := sess.ReadEntries(ctx, desc, newEntries(sk)); err != nil {
			if errors.Is(err, layer.ErrOmitted) {
				return nil, st.pins, errInexact
			}
			return nil, nil, fmt.Errorf("layercache: replay layer %d: %w", i, err)
		}
		if len(st.pins) > 0 {
			return nil, st.pins, errInexact
		}
	}
	inv, err := sess.Extract(ctx)
	if len(st.pins) > 0 {
		return nil, st.pins, errInexact
	}
	if err != nil {
		return nil, nil, fmt.Errorf("layercache: replay: %w", err)
	}
	// The reader recorded the skeleton streams; the image's layers are
	// what a report names.
	for i := range inv.Layers {
		inv.Layers[i].Desc.DiffID = im.Layers[i].DiffID
	}
	return inv, nil, nil
}
