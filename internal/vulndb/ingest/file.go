package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

// fatal marks errors that end the whole import (builder failures), as
// opposed to a file that does not parse.
type fatal struct{ err error }

func (f fatal) Error() string { return f.err.Error() }
func (f fatal) Unwrap() error { return f.err }

// sniffSize is how much of a file the parsers' Sniff methods see.
const sniffSize = 4096

// file reads one file or zip entry: gunzip if needed, recognise, parse.
func (r *run) file(ctx context.Context, j job) error {
	rc, err := j.open()
	if err != nil {
		r.problem(Problem{File: j.name, Err: err})
		r.done(j, 0)
		return nil
	}
	defer rc.Close()
	limit := r.lim.MaxFileSize
	if j.entry {
		limit = min(limit, r.lim.MaxEntrySize)
	}
	name := j.name
	br := bufio.NewReaderSize(&capReader{r: rc, n: limit, name: j.name}, 64<<10)
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			r.problem(Problem{File: j.name, Err: fmt.Errorf("gzip: %w", err)})
			r.done(j, 0)
			return nil
		}
		defer gz.Close()
		src = &capReader{r: gz, n: limit, name: j.name, ratioOf: j.csize, maxRatio: r.lim.MaxRatio}
		name = strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
		br = bufio.NewReaderSize(src, 64<<10)
		src = br
	}
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, ErrLimit) {
			return err
		}
		r.problem(Problem{File: j.name, Err: err})
		r.done(j, 0)
		return nil
	}
	var p feed.Parser
	for _, c := range Parsers() {
		if c.Sniff(name, head) {
			p = c
			break
		}
	}
	if p == nil {
		if j.explicit {
			return fmt.Errorf("ingest: %s: %w (want OSV JSON/YAML, Alpine secdb, Debian tracker JSON, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV, a zip or gzip of those, or a drydock database bundle)", j.name, ErrUnrecognized)
		}
		r.mu.Lock()
		r.rep.Ignored = append(r.rep.Ignored, j.name)
		r.mu.Unlock()
		r.opts.Log.DebugContext(ctx, "ignoring unrecognised file", "file", j.name)
		r.done(j, 0)
		return nil
	}
	var n int64
	emit := func(rec feed.Record) error {
		if rec.Bad != nil {
			r.problem(Problem{File: j.name, Record: rec.Bad.Record, Err: rec.Bad.Err})
			return nil
		}
		if err := r.b.Add(j.src, p.Name(), rec); err != nil {
			return fatal{err}
		}
		n++
		if rec.Advisory != nil {
			r.mu.Lock()
			r.rep.Advisories++
			r.mu.Unlock()
		} else {
			r.mu.Lock()
			r.rep.Enrichment++
			r.mu.Unlock()
		}
		return nil
	}
	err = p.Parse(ctx, name, src, emit)
	var f fatal
	switch {
	case err == nil:
	case errors.As(err, &f):
		return fmt.Errorf("ingest: %s: %w", j.name, f.err)
	case errors.Is(err, ErrLimit), ctx.Err() != nil:
		return err
	default:
		r.problem(Problem{File: j.name, Err: err})
	}
	r.mu.Lock()
	r.rep.Feeds[p.Name()]++
	r.mu.Unlock()
	r.done(j, n)
	return nil
}

func (r *run) problem(p Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Malformed++
	if len(r.rep.Problems) < maxProblems {
		r.rep.Problems = append(r.rep.Problems, p)
	}
	r.opts.Log.Debug("malformed record", "file", p.File, "advisory", p.Record, "err", p.Err)
}

func (r *run) done(j job, records int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Files++
	r.prog.Done += j.csize
	r.prog.Files++
	r.prog.Records += records
	r.prog.Current = j.name
	if r.opts.Progress != nil {
		r.opts.Progress(r.prog)
	}
}

// capReader fails with ErrLimit once more than n bytes were read, or, when
// ratioOf is set, once more than ratioFloor bytes were read and the bytes
// read exceed maxRatio times ratioOf (the compressed size).
type capReader struct {
	r        io.Reader
	n        int64
	read     int64
	name     string
	ratioOf  int64
	maxRatio int64
}

func (c *capReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.read += int64(k)
	if c.read > c.n {
		return k, fmt.Errorf("ingest: %s: %w: more than %d bytes", c.name, ErrLimit, c.n)
	}
	if c.ratioOf > 0 && c.read > ratioFloor && c.read > c.maxRatio*c.ratioOf {
		return k, fmt.Errorf("ingest: %s: %w: decompresses more than %d times its size", c.name, ErrLimit, c.maxRatio)
	}
	return k, err
}
