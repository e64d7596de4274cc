package layercache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
)

// entries is a skeleton as layer entries (layer.Entries): each entry's
// header with its kept contents, or zeros in place of contents left out.
// No tar stream is written or parsed, and contents left out cost nothing
// unless the reader reads them (only reducers do, and a replayed reducer
// returns its recorded output).
type entries struct {
	sk    *Skeleton
	st    *replayState // its cur follows the entry being read
	at    cursor
	data  []byte     // unread kept contents of the current entry
	zeros int64      // or: unread zeros in place of its contents
	hdr   tar.Header // the current entry's, handed out again by each Next
}

func newEntries(sk *Skeleton, st *replayState) *entries { return &entries{sk: sk, st: st} }

// Next implements layer.Entries. It sets the replay's current entry: the
// entry's index when it is a regular file whose contents were left out
// (the reader reads it through nothing but what was recorded), else -1.
func (s *entries) Next() (*tar.Header, error) {
	s.st.cur = -1
	if s.at.i == s.sk.Len() {
		return nil, io.EOF
	}
	i := s.at.i
	e := s.sk.next(&s.at)
	e.fill(&s.hdr)
	s.data, s.zeros = nil, 0
	switch {
	case !e.isRegular():
	case e.HasContent:
		s.data = e.Content
	default:
		s.st.cur, s.st.entry = i, e
		s.zeros = e.Size
	}
	return &s.hdr, nil
}

// Skipped implements layer.Skipper: the current entry's contents were
// left out.
func (s *entries) Skipped() bool { return s.zeros > 0 }

// Unwanted implements layer.Unwanter: none of the selectors the skeleton
// was recorded for (the replay's, see Cache.usable) wanted the current
// entry. Only entries whose contents were left out say so: a pinned entry
// kept its contents because a replay needed them.
func (s *entries) Unwanted() bool { return s.st.cur >= 0 && s.st.entry.Unwanted }

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

// pin is an entry a replay needed the contents of.
type pin struct {
	layer int
	name  string
}

// replayState is shared by the selectors of one replay.
type replayState struct {
	sks   []*Skeleton
	layer int   // index of the layer being read
	cur   int   // entry being read whose contents were left out, else -1
	entry Entry // that entry
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
//
// The reader reduces a file while it reads the file's entry, so the entry
// is the replay's current one (replayState.cur, set by entries.Next).
type reducerExtractor struct {
	extract.Extractor
	red layer.Reducer
	key string
	st  *replayState
}

var (
	_ extract.Extractor = (*reducerExtractor)(nil)
	_ layer.Reducer     = (*reducerExtractor)(nil)
)

// Reduce implements layer.Reducer.
func (r *reducerExtractor) Reduce(p string, data []byte) ([]byte, error) {
	if r.st.cur < 0 {
		return r.red.Reduce(p, data)
	}
	e := &r.st.entry
	o, ok := e.Reduced[r.key]
	if clean, _ := layer.CleanPath(e.Name); !ok || p != clean {
		r.st.need(r.st.cur)
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
	if r.st.cur < 0 {
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
	st := &replayState{sks: sks, cur: -1}
	wrapped := make([]extract.Extractor, len(exs))
	for i, ex := range exs {
		wrapped[i] = ex
		if red, ok := ex.(layer.Reducer); ok {
			re := &reducerExtractor{Extractor: ex, red: red, key: sels[i+1].key, st: st}
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
		desc := layer.Desc{Digest: im.Layers[i].Digest, Omitted: func(*tar.Header) bool {
			if st.cur < 0 {
				return false
			}
			st.need(st.cur)
			return true
		}}
		if err := sess.ReadEntries(ctx, desc, newEntries(sk, st)); err != nil {
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
