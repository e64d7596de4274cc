package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/feed/alpine"
	"github.com/drydock/drydock/internal/vulndb/feed/debian"
	"github.com/drydock/drydock/internal/vulndb/feed/epss"
	"github.com/drydock/drydock/internal/vulndb/feed/kev"
	"github.com/drydock/drydock/internal/vulndb/feed/nvd"
	osvfeed "github.com/drydock/drydock/internal/vulndb/feed/osv"
)

// Parsers is the explicit list of feed parsers, in the order their Sniff
// methods are tried (the most specific first; OSV, whose test is the
// loosest, last).
func Parsers() []feed.Parser {
	return []feed.Parser{
		kev.Parser{},
		nvd.Parser{},
		alpine.Parser{},
		debian.Parser{},
		epss.Parser{},
		osvfeed.Parser{},
	}
}

// Limits bound what one import may read; exceeding one refuses the import.
type Limits struct {
	// MaxFileSize is the largest file (after gzip decompression) read
	// whole or streamed. Default 1 GiB.
	MaxFileSize int64
	// MaxEntrySize is the largest uncompressed zip entry. Default 256 MiB.
	MaxEntrySize int64
	// MaxTotalSize is the most uncompressed bytes one zip archive may hold.
	// Default 16 GiB.
	MaxTotalSize int64
	// MaxRatio is the largest uncompressed/compressed size ratio accepted
	// for a zip entry or gzip stream larger than 1 MiB. Default 100 (JSON
	// feeds compress 5-20 times; a bomb, thousands).
	MaxRatio int64
}

// DefaultLimits are the limits used when a field is zero.
var DefaultLimits = Limits{MaxFileSize: 1 << 30, MaxEntrySize: 256 << 20, MaxTotalSize: 16 << 30, MaxRatio: 100}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = DefaultLimits.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	return l
}

// ratioFloor is the size under which the ratio limit does not apply: small
// files of repetitive JSON compress very well and are harmless.
const ratioFloor = 1 << 20

// ErrLimit is wrapped when an input exceeds a [Limits] bound.
var ErrLimit = errors.New("input exceeds import limits")

// ErrRejected is returned by a strict import that found malformed records.
var ErrRejected = errors.New("import rejected: malformed records")

// ErrUnrecognized is wrapped when a file named on the command line is in no
// known feed format.
var ErrUnrecognized = errors.New("not a recognised feed file")

// Input is one path to import.
type Input struct {
	// Path is the absolute path.
	Path string
	// Source is the source name the records are stored under
	// ("file:" + Path); empty for a bundle, whose records keep their sources.
	Source string
	// Bundle is the opened database when Path is an export bundle.
	Bundle *vulndb.DB
	files  []fileRef
}

// Sources lists the source names the input replaces in the database.
func (in *Input) Sources() []string {
	if in.Bundle != nil {
		var out []string
		for _, s := range in.Bundle.Status().Meta.Sources {
			out = append(out, s.Name)
		}
		return out
	}
	return []string{in.Source}
}

// Close releases a bundle's mapping.
func (in *Input) Close() error {
	if in.Bundle != nil {
		return in.Bundle.Close()
	}
	return nil
}

type fileRef struct {
	path string
	size int64
	// explicit files (named on the command line) must be recognised.
	explicit bool
}

// Prepare checks the paths, lists the files under directories and opens
// bundles. Close the returned inputs when done.
func Prepare(paths []string) ([]*Input, error) {
	var out []*Input
	fail := func(err error) ([]*Input, error) {
		for _, in := range out {
			in.Close()
		}
		return nil, err
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fail(fmt.Errorf("ingest: %s: %w", p, err))
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fail(fmt.Errorf("ingest: %w", err))
		}
		in := &Input{Path: abs, Source: "file:" + abs}
		switch {
		case fi.IsDir():
			err := filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if strings.HasPrefix(d.Name(), ".") && path != abs {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() {
					return nil
				}
				fi, err := os.Stat(path) // follows symlinks to files
				if err != nil {
					return err
				}
				if fi.Mode().IsRegular() {
					in.files = append(in.files, fileRef{path: path, size: fi.Size()})
				}
				return nil
			})
			if err != nil {
				return fail(fmt.Errorf("ingest: walk %s: %w", abs, err))
			}
		case fi.Mode().IsRegular():
			head, err := readHead(abs, 16)
			if err != nil {
				return fail(err)
			}
			if vulndb.IsDatabaseFile(head) {
				db, err := vulndb.OpenFile(abs)
				if err != nil {
					return fail(fmt.Errorf("ingest: bundle: %w", err))
				}
				in.Bundle, in.Source = db, ""
			} else {
				in.files = []fileRef{{path: abs, size: fi.Size(), explicit: true}}
			}
		default:
			return fail(fmt.Errorf("ingest: %s is not a regular file or directory", abs))
		}
		out = append(out, in)
	}
	return out, nil
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ingest: read %s: %w", path, err)
	}
	return b[:k], nil
}

// Options configure an import.
type Options struct {
	// Strict rejects the whole import when any record is malformed.
	Strict bool
	Limits Limits
	// Workers is the number of files parsed in parallel (default: GOMAXPROCS).
	Workers int
	// Progress, if set, is called (from one goroutine at a time) as files
	// complete.
	Progress func(Progress)
	Log      *slog.Logger
}

// Progress is the running state of an import.
type Progress struct {
	// Done and Total are input bytes (compressed size for zip entries).
	Done, Total int64
	Files       int
	Records     int64
	Current     string
}

// Problem is one malformed record (or unreadable file: Record empty).
type Problem struct {
	File   string
	Record string
	Err    error
}

func (p Problem) String() string {
	if p.Record == "" {
		return fmt.Sprintf("%s: %v", p.File, p.Err)
	}
	return fmt.Sprintf("%s: %s: %v", p.File, p.Record, p.Err)
}

// maxProblems is how many problems a report lists in detail.
const maxProblems = 1000

// Report summarises an import.
type Report struct {
	Files      int
	Advisories int64
	Enrichment int64
	// Feeds counts files per recognised feed.
	Feeds map[string]int
	// Malformed counts skipped records; Problems lists the first ones.
	Malformed int
	Problems  []Problem
	// Ignored lists files in directories or archives that are in no known
	// feed format (licences, READMEs, indexes).
	Ignored []string
}

type job struct {
	in       *Input
	src      int
	name     string // display name: path, or archive path + "!" + entry
	open     func() (io.ReadCloser, error)
	size     int64 // uncompressed size when known
	csize    int64
	explicit bool
	entry    bool   // a zip entry (MaxEntrySize applies)
	release  func() // called once when the job is done or dropped
}

type run struct {
	opts Options
	lim  Limits
	b    *vulndb.Builder
	mu   sync.Mutex
	rep  Report
	prog Progress
	recs atomic.Int64
}

// Import parses the inputs into b. Records of a bundle keep their sources;
// other inputs are stored under their Source. A limit violation or an
// unrecognised file named on the command line fails the import; malformed
// records are skipped and reported, or, with Strict, fail it with
// [ErrRejected] after all inputs were read.
func Import(ctx context.Context, b *vulndb.Builder, inputs []*Input, opts Options) (Report, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	r := &run{opts: opts, lim: opts.Limits.withDefaults(), b: b, rep: Report{Feeds: map[string]int{}}}
	for _, in := range inputs {
		for _, f := range in.files {
			r.prog.Total += f.size
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() == nil {
					if err := r.file(ctx, j); err != nil {
						cancel(err)
					}
				}
				if j.release != nil {
					j.release()
				}
			}
		}()
	}
	var err error
	for _, in := range inputs {
		if in.Bundle != nil {
			opts.Log.InfoContext(ctx, "importing bundle", "file", in.Path, "version", in.Bundle.Version())
			if err = b.Keep(in.Bundle, func(string) bool { return true }); err != nil {
				err = fmt.Errorf("ingest: bundle %s: %w", in.Path, err)
				break
			}
			st := in.Bundle.Status()
			r.mu.Lock()
			r.rep.Files++
			r.rep.Feeds["bundle"]++
			r.rep.Advisories += int64(st.Meta.Records)
			r.rep.Enrichment += int64(st.Meta.NVD + st.Meta.KEV + st.Meta.EPSS)
			r.mu.Unlock()
			continue
		}
		src := b.Source(in.Source)
		if err = r.feedInput(ctx, in, src, jobs); err != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		err = context.Cause(ctx)
		if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
			err = ctx.Err()
		}
	}
	if err != nil {
		return r.rep, err
	}
	if opts.Strict && r.rep.Malformed > 0 {
		return r.rep, fmt.Errorf("%w: %d malformed records (first: %s)", ErrRejected, r.rep.Malformed, r.rep.Problems[0])
	}
	return r.rep, nil
}

// feedInput sends the jobs of one input: its files, and the entries of zip
// archives among them.
func (r *run) feedInput(ctx context.Context, in *Input, src int, jobs chan<- job) error {
	for _, f := range in.files {
		head, err := readHead(f.path, 4)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")) {
			if err := r.zipJobs(ctx, in, src, f, jobs); err != nil {
				return err
			}
			continue
		}
		path := f.path
		j := job{in: in, src: src, name: path, size: f.size, csize: f.size, explicit: f.explicit,
			open: func() (io.ReadCloser, error) { return os.Open(path) }}
		select {
		case jobs <- j:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

func (r *run) zipJobs(ctx context.Context, in *Input, src int, f fileRef, jobs chan<- job) error {
	zr, err := zip.OpenReader(f.path)
	if err != nil {
		return fmt.Errorf("ingest: zip %s: %w", f.path, err)
	}
	// The reader is closed when every entry job finished: the jobs hold it.
	var pending sync.WaitGroup
	defer func() {
		go func() { pending.Wait(); zr.Close() }()
	}()
	var total uint64
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, zf := range files {
		if zf.FileInfo().IsDir() {
			continue
		}
		name := f.path + "!" + zf.Name
		if zf.UncompressedSize64 > uint64(r.lim.MaxEntrySize) {
			return fmt.Errorf("ingest: %s: %w: entry declares %d bytes, limit %d", name, ErrLimit, zf.UncompressedSize64, r.lim.MaxEntrySize)
		}
		total += zf.UncompressedSize64
		if total > uint64(r.lim.MaxTotalSize) {
			return fmt.Errorf("ingest: %s: %w: archive declares more than %d bytes", f.path, ErrLimit, r.lim.MaxTotalSize)
		}
		if zf.UncompressedSize64 > ratioFloor && zf.UncompressedSize64 > uint64(r.lim.MaxRatio)*max(zf.CompressedSize64, 1) {
			return fmt.Errorf("ingest: %s: %w: compression ratio above %d", name, ErrLimit, r.lim.MaxRatio)
		}
		pending.Add(1)
		j := job{in: in, src: src, name: name, size: int64(zf.UncompressedSize64), csize: int64(zf.CompressedSize64),
			entry: true, open: zf.Open, release: pending.Done}
		select {
		case jobs <- j:
		case <-ctx.Done():
			pending.Done()
			return context.Cause(ctx)
		}
	}
	return nil
}
