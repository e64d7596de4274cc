package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/scan/source"
	"github.com/drydock/drydock/internal/vulndb"
)

// ReasonNoDatabase is the reason of a pending report.
const ReasonNoDatabase = "no advisory database is loaded, so findings are not known yet; run 'drydock db update' or 'drydock db import PATH'"

// Options configure a scan. The zero value scans with every extractor and
// matcher, the default safety limits and no advisory database.
type Options struct {
	// DB is the advisory database. Nil scans the inventory only: reports
	// are pending (see ReasonNoDatabase).
	DB *vulndb.DB
	// LoadDB, when set and DB is nil, opens the advisory database. Scan
	// calls it in a goroutine as it starts, so that opening the database
	// overlaps reading the first layers, and waits for it before matching.
	// A nil DB without error means there is none (pending reports); an
	// error ends the scan.
	LoadDB func() (*vulndb.DB, error)
	// Extractors find packages; nil means list.All().
	Extractors []extract.Extractor
	// Matchers judge advisories; nil means match.All().
	Matchers []match.Matcher
	// GoScan is how closely Go binaries' findings are judged (see
	// match.GoScan); empty means match.GoScanSymbol.
	GoScan match.GoScan
	// Limits bound the work one image may cause: uncompressed layer size,
	// tar entries, bytes kept per file and in all, decompression ratio,
	// path length and depth, link hops, and the time spent reading its
	// layers (Limits.Timeout). Zero fields take the layer package's
	// defaults. An image over a limit gets a failed report.
	Limits layer.Config
	// Exempters silence findings (ignore files, VEX documents, exemption
	// rules), tried in order; see package match/exempt.
	Exempters []Exempter
	// Inventory, when set, is asked for the image's inventory in place of
	// the layer read; read is that read (what Scan does without the hook).
	// It may return an inventory it already has (a stored one, one put
	// together from per-layer caches), which must be what read would
	// return, or call read and keep its result.
	Inventory func(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Now is the clock (scan time, end-of-life checks); nil means
	// time.Now.
	Now func() time.Time

	loading *dbLoad // set by startLoadDB
}

// Exempter silences the findings a rule covers: it sets Exempted and
// Exemption (and VEX) on f and reports whether it did. A silenced finding
// stays in the report but does not count in its summary, status or plan.
type Exempter interface {
	Exempt(img *finding.Image, f *finding.Finding) bool
}

// Scan scans every image of src (one per platform) and returns one report
// each, in the source's order. A malformed, hostile or unreadable image
// gets a failed report with the reason; an artifact or Windows image a
// notApplicable one. Scan returns an error only when the source cannot be
// resolved (not found, unauthorized, unreachable), when ctx ends, or when
// the advisory database cannot be read.
func Scan(ctx context.Context, src source.Source, opts Options) ([]*finding.Report, error) {
	opts.startLoadDB()
	images, err := resolve(ctx, src, opts)
	if err != nil {
		if errors.Is(err, source.ErrInvalid) && ctx.Err() == nil {
			if err := opts.waitDB(); err != nil {
				return nil, err
			}
			r := newReport(&source.Image{Repository: src.Name()}, opts)
			// A root manifest received but unusable: name it by the
			// digest of its bytes.
			if re := (*source.RootError)(nil); errors.As(err, &re) {
				r.Image.Repository = cmp.Or(re.Repository, r.Image.Repository)
				r.Image.Digest, r.Image.Reference = string(re.Digest), re.Reference
			}
			return []*finding.Report{fail(ctx, r, err, opts, opts.logger())}, nil
		}
		return nil, fmt.Errorf("scan: %w", err)
	}
	out := make([]*finding.Report, 0, len(images))
	for _, im := range images {
		r, err := ScanImage(ctx, im, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resolve returns the images of src, within opts.Limits.Timeout when set
// (a registry that stops answering ends the scan with an error).
func resolve(ctx context.Context, src source.Source, opts Options) ([]*source.Image, error) {
	if d := opts.Limits.Timeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	return src.Images(ctx)
}

// ScanImage scans one image: its layers are streamed once each through the
// extractors, the inventory is matched against opts.DB, and the report is
// finalized (summary, status, remediation plan). Errors are returned as
// for [Scan].
func ScanImage(ctx context.Context, im *source.Image, opts Options) (*finding.Report, error) {
	opts.startLoadDB()
	log := opts.logger().With("repo", im.Repository, "digest", im.Digest)
	r := newReport(im, opts)
	if im.NotApplicable != "" || im.Err != nil {
		if err := opts.waitDB(); err != nil {
			return nil, err
		}
		setDB(r, opts)
	}
	switch {
	case im.NotApplicable != "":
		r.Reason = im.NotApplicable
		finalize(ctx, r, finding.Conditions{NotApplicable: true, NoDatabase: opts.DB == nil}, log)
		return r, nil
	case im.Err != nil:
		return fail(ctx, r, im.Err, opts, log), nil
	}
	read := func(ctx context.Context) (*extract.Inventory, error) { return inventory(ctx, im, opts, log) }
	var inv *extract.Inventory
	var err error
	if opts.Inventory != nil {
		inv, err = inventoryWithin(ctx, im, read, opts)
		if inv == nil && err == nil {
			err = errors.New("scan: the inventory hook returned no inventory")
		}
	} else {
		inv, err = read(ctx)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("scan %s: %w", im.Repository, ctx.Err())
	}
	if err := opts.waitDB(); err != nil {
		return nil, err
	}
	setDB(r, opts)
	if inv != nil {
		fillInventory(r, inv, opts)
	}
	if err != nil {
		log.WarnContext(ctx, "scan failed", "err", err)
		return fail(ctx, r, err, opts, log), nil
	}
	if opts.DB == nil {
		r.Reason = ReasonNoDatabase
		finalize(ctx, r, finding.Conditions{NoDatabase: true}, log)
		return r, nil
	}
	fs, err := match.Match(ctx, opts.DB, inv.Packages, match.Options{Matchers: opts.Matchers, Logger: log, GoScan: opts.GoScan})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", im.Repository, err)
	}
	for i := range fs {
		for _, x := range opts.Exempters {
			if x.Exempt(&r.Image, &fs[i]) {
				break
			}
		}
	}
	r.Findings = fs
	r.Unchecked = unchecked(ctx, log, opts, inv)
	finalize(ctx, r, finding.Conditions{}, log)
	return r, nil
}

// inventoryWithin runs the inventory hook (a layer cache, which reads
// layers its own way) under the layer reading time limit,
// opts.Limits.Timeout, as the ordinary read is: running out of it is a
// *layer.LimitError, which fails the image, not an error of the scan.
func inventoryWithin(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error), opts Options) (*extract.Inventory, error) {
	d := opts.Limits.Timeout
	if d <= 0 {
		return opts.Inventory(ctx, im, read)
	}
	ictx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	inv, err := opts.Inventory(ictx, im, read)
	if err != nil && ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded) && !errors.Is(err, layer.ErrLimit) {
		err = &layer.LimitError{Limit: layer.LimitTime, Max: int64(d), Layer: -1, Err: err}
	}
	return inv, err
}

// inventory reads the image's layers through the extractors.
func inventory(ctx context.Context, im *source.Image, opts Options, log *slog.Logger) (*extract.Inventory, error) {
	exs := opts.Extractors
	if exs == nil {
		exs = list.All()
	}
	s, err := extract.NewSession(opts.Limits, exs, log)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	s.SetPlatform(extract.ParsePlatform(im.Platform))
	if err := readLayers(ctx, s, im, log); err != nil {
		return nil, err
	}
	inv, err := s.Extract(ctx)
	logAnomalies(ctx, log, inv)
	if err != nil {
		return inv, fmt.Errorf("inventory incomplete: %w", err)
	}
	return inv, nil
}

// unchecked returns the packages that could not be matched (see
// [match.Unchecked]): they have no findings because nothing is known, not
// because they are safe. The report says so; the log only at debug level,
// as every re-evaluation of a stored image would repeat it.
func unchecked(ctx context.Context, log *slog.Logger, opts Options, inv *extract.Inventory) []finding.Unchecked {
	us := match.Unchecked(opts.DB, inv.Packages, match.Options{Matchers: opts.Matchers})
	for _, u := range us {
		log.DebugContext(ctx, "packages not checked against advisories", "packages", u.Packages, "type", u.Type,
			"ecosystem", u.Ecosystem, "reason", u.Reason)
	}
	return us
}

// logAnomalies reports the entries the layer reader neutralised: a
// warning for path tricks (traversal, absolute paths, link escapes,
// duplicates), which a normal build does not produce; device files, which
// root filesystems made by debootstrap and the like carry, only at debug
// level.
func logAnomalies(ctx context.Context, log *slog.Logger, inv *extract.Inventory) {
	if inv.NumAnomalies == 0 {
		return
	}
	level := slog.LevelDebug
	var first *layer.Anomaly
	for i := range inv.Anomalies {
		if inv.Anomalies[i].Kind != layer.DeviceFile {
			level, first = slog.LevelWarn, &inv.Anomalies[i]
			break
		}
	}
	if first == nil {
		first = &inv.Anomalies[0]
	}
	log.Log(ctx, level, "suspicious layer entries neutralised", "count", inv.NumAnomalies,
		"kind", first.Kind, "path", first.Path, "layer", first.Layer, "detail", first.Detail)
}

// readLayers reads the image's layers in order. While layer i is read,
// layer i+1 is opened and decompressed ahead into a bounded buffer
// (layer.AheadChunks), so that two cores inflate two layers at once: a
// layer read costs little more than its decompression, which is
// sequential within one gzip stream.
func readLayers(ctx context.Context, s *extract.Session, im *source.Image, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next *pending
	defer func() {
		if next != nil {
			next.close()
		}
	}()
	for i, l := range im.Layers {
		cur := next
		if cur == nil {
			cur = openLayer(ctx, im, i, 0)
		}
		next = nil
		if i+1 < len(im.Layers) {
			next = openLayer(ctx, im, i+1, layer.AheadChunks)
		}
		err := cur.read(ctx, s, l, log)
		cur.close()
		if err != nil {
			return layer.Named(i, string(l.Digest), err)
		}
	}
	return nil
}

// pending is an opened layer: its entries when the source gives them (a
// directory), else its blob, possibly decompressing ahead.
type pending struct {
	es    source.Entries
	rc    io.ReadCloser
	ahead *layer.Ahead // nil when not read ahead
	err   error        // opening failed
}

// openLayer opens layer i; with chunks > 0 it starts decompressing it.
func openLayer(ctx context.Context, im *source.Image, i, chunks int) *pending {
	if es, ok, err := im.OpenEntries(ctx, i); ok {
		return &pending{es: es, err: err}
	}
	rc, err := im.OpenLayer(ctx, i)
	if err != nil {
		return &pending{err: err}
	}
	p := &pending{rc: rc}
	if chunks > 0 {
		p.ahead = layer.ReadAhead(ctx, rc, chunks)
	}
	return p
}

func (p *pending) read(ctx context.Context, s *extract.Session, l source.Layer, log *slog.Logger) error {
	if p.err != nil {
		return p.err
	}
	desc := layer.Desc{Digest: l.Digest, DiffID: l.DiffID}
	if p.es != nil {
		err := s.ReadEntries(ctx, desc, p.es)
		if n, first := p.es.Skipped(); n > 0 {
			log.WarnContext(ctx, "entries the scan may not read were left out", "count", n, "first", first)
		}
		return err
	}
	var src io.Reader = p.rc
	if p.ahead != nil {
		src = p.ahead
	}
	return s.ReadLayer(ctx, desc, src)
}

// close stops read-ahead (the decoder goroutine is done when it returns)
// and closes the blob.
func (p *pending) close() {
	if p.es != nil {
		p.es.Close()
	}
	if p.ahead != nil {
		p.ahead.Close()
	}
	if p.rc != nil {
		p.rc.Close()
	}
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

// newReport starts the report of im.
func newReport(im *source.Image, opts Options) *finding.Report {
	now := opts.now()
	r := &finding.Report{
		Image:     finding.Image{Repository: im.Repository, Digest: string(im.Digest), Platform: im.Platform},
		ScannedAt: now,
		Packages:  []finding.Package{},
		Findings:  []finding.Finding{},
	}
	setDB(r, opts)
	return r
}

// setDB records the advisory database's version and age in r.
func setDB(r *finding.Report, opts Options) {
	if opts.DB != nil {
		st := opts.DB.Status()
		r.DB = finding.DB{Version: st.Version, UpdatedAt: r.ScannedAt.Add(-st.Age(r.ScannedAt)).UTC()}
	}
}

// dbLoad is a database being opened by Options.LoadDB.
type dbLoad struct {
	done chan struct{}
	db   *vulndb.DB
	err  error
}

// startLoadDB starts opening the database (once per Options value).
func (o *Options) startLoadDB() {
	if o.DB != nil || o.LoadDB == nil || o.loading != nil {
		return
	}
	l := &dbLoad{done: make(chan struct{})}
	load := o.LoadDB
	go func() {
		defer close(l.done)
		l.db, l.err = load()
	}()
	o.loading = l
}

// waitDB waits for the database being opened and sets o.DB.
func (o *Options) waitDB() error {
	if o.loading == nil {
		return nil
	}
	<-o.loading.done
	if o.loading.err != nil {
		return fmt.Errorf("scan: %w", o.loading.err)
	}
	o.DB = o.loading.db
	return nil
}

// fillInventory copies the inventory's OS and packages into r.
func fillInventory(r *finding.Report, inv *extract.Inventory, opts Options) {
	if d := inv.Distro; d != nil {
		r.Image.OS = finding.OS{Family: d.ID, Version: d.Version(), EOL: match.ReleaseOf(d).EndOfLife(opts.now())}
	}
	for i := range inv.Packages {
		r.Packages = append(r.Packages, match.Package(&inv.Packages[i]))
	}
}

// fail turns r into a failed report saying why.
func fail(ctx context.Context, r *finding.Report, err error, opts Options, log *slog.Logger) *finding.Report {
	r.Reason = err.Error()
	finalize(ctx, r, finding.Conditions{Failed: true, NoDatabase: opts.DB == nil}, log)
	return r
}

// finalize completes r. Finalize fails only when two fixed versions of
// one package cannot be ordered; the report is then complete but for its
// remediation plan, which is logged rather than failing the scan.
func finalize(ctx context.Context, r *finding.Report, c finding.Conditions, log *slog.Logger) {
	if err := r.Finalize(match.Compare, c); err != nil {
		log.WarnContext(ctx, "no remediation plan", "err", err)
	}
}
