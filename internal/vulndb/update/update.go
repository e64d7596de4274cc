package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
)

// Source is one feed location.
type Source struct {
	// Name identifies the source in the database; the URL when empty.
	Name string
	URL  string
}

// ParseSource parses a source as written on the command line and in the
// configuration: "URL" or "NAME=URL", the URL http or https.
func ParseSource(s string) (Source, error) {
	name, u, ok := strings.Cut(s, "=")
	if !ok || strings.Contains(name, "://") { // an "=" in the URL's query, no name
		name, u = "", s
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return Source{}, fmt.Errorf("update: source %q: want [NAME=]http(s)://URL", s)
	}
	if _, err := url.Parse(u); err != nil {
		return Source{}, fmt.Errorf("update: source %q: %w", s, err)
	}
	return Source{Name: name, URL: u}, nil
}

func (s Source) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.URL
}

// OSVEcosystems are the OSV.dev ecosystems fetched by default (GHSA records
// are inside each language ecosystem's archive; Debian comes from the
// security tracker, which carries Debian's urgency).
var OSVEcosystems = []string{
	"AlmaLinux", "Alpine", "Chainguard", "crates.io", "Go", "Mageia", "Maven", "npm", "NuGet",
	"openSUSE", "Packagist", "Photon OS", "PyPI", "Red Hat", "Rocky Linux", "RubyGems", "SUSE",
	"Ubuntu", "Wolfi",
}

// DefaultSources are the public feeds: OSV.dev's per-ecosystem all.zip
// archives, the Debian security tracker, the NVD JSON 2.0 yearly feeds up to
// now's year, CISA KEV and FIRST EPSS.
func DefaultSources(now time.Time) []Source {
	var out []Source
	for _, e := range OSVEcosystems {
		out = append(out, Source{URL: "https://osv-vulnerabilities.storage.googleapis.com/" + url.PathEscape(e) + "/all.zip"})
	}
	out = append(out, Source{URL: "https://security-tracker.debian.org/tracker/data/json"})
	for y := 2002; y <= now.Year(); y++ {
		out = append(out, Source{URL: "https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-" + strconv.Itoa(y) + ".json.gz"})
	}
	out = append(out,
		Source{URL: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"},
		Source{URL: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"},
	)
	return out
}

// Fingerprint identifies what a fetch saw, for the next conditional request.
type Fingerprint struct {
	ETag         string
	LastModified string
}

// ErrUnchanged is returned by a Fetcher when the source did not change
// since the fingerprint it was given.
var ErrUnchanged = errors.New("update: source unchanged")

// Fetcher gets a source's content when it changed since prev.
type Fetcher interface {
	Fetch(ctx context.Context, prev Fingerprint) (io.ReadCloser, Fingerprint, error)
}

// HTTPFetcher fetches one URL with a conditional GET.
type HTTPFetcher struct {
	Client *http.Client
	URL    string
}

var _ Fetcher = (*HTTPFetcher)(nil)

// Fetch implements [Fetcher]: a 304 answer is [ErrUnchanged]; any status
// other than 200 is an error.
func (f *HTTPFetcher) Fetch(ctx context.Context, prev Fingerprint) (io.ReadCloser, Fingerprint, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return nil, Fingerprint{}, fmt.Errorf("update: %w", err)
	}
	req.Header.Set("User-Agent", "drydock-db-update")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, Fingerprint{}, fmt.Errorf("update: fetch %s: %w", f.URL, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, Fingerprint{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
	case http.StatusNotModified:
		resp.Body.Close()
		return nil, prev, ErrUnchanged
	}
	resp.Body.Close()
	return nil, Fingerprint{}, fmt.Errorf("update: fetch %s: HTTP %s", f.URL, resp.Status)
}

// DefaultClient is the HTTP client used when Config.Client is nil: proxy
// from the environment, bounded connect and header waits (downloads
// themselves are bounded by the context and the size limit).
func DefaultClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 20 * time.Second}).DialContext,
		TLSHandshakeTimeout:   20 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// Config configures an update.
type Config struct {
	// Sources to fetch; DefaultSources when empty.
	Sources []Source
	// Client for HTTP; DefaultClient when nil.
	Client *http.Client
	// AllowPartial installs a new version when some sources failed (their
	// previous records are kept); otherwise any failure changes nothing.
	AllowPartial bool
	// Import options for the downloaded files (strictness, limits, workers,
	// progress); Import.Limits.MaxFileSize also bounds each download.
	Import ingest.Options
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// SourceResult is what happened to one source.
type SourceResult struct {
	Source    Source
	Unchanged bool
	Bytes     int64
	Report    ingest.Report
	Err       error
}

// Result summarises an update.
type Result struct {
	Sources []SourceResult
	// Built is false when nothing changed and no version was built.
	Built  bool
	Commit vulndb.Result
}

// ErrOffline is wrapped when no source could be reached.
var ErrOffline = errors.New("no advisory source could be reached (offline?)")

// ErrFailed is wrapped when some sources failed and partial updates are off.
var ErrFailed = errors.New("some advisory sources failed")

// Run performs an update of store.
func Run(ctx context.Context, store *vulndb.Store, cfg Config, log *slog.Logger) (Result, error) {
	if log == nil {
		return Result{}, errors.New("update: nil logger")
	}
	if cfg.Client == nil {
		cfg.Client = DefaultClient()
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	if len(cfg.Sources) == 0 {
		cfg.Sources = DefaultSources(now())
	}
	maxSize := cfg.Import.Limits.MaxFileSize
	if maxSize <= 0 {
		maxSize = ingest.DefaultLimits.MaxFileSize
	}
	old, err := store.Open()
	var fe *vulndb.FormatError
	switch {
	case errors.As(err, &fe) && fe.Have < fe.Want:
		// Written by an older drydock: this one cannot read it, so the
		// update builds a new version from its sources alone (sources
		// imported from files must be imported again).
		log.WarnContext(ctx, "the current advisory database has an older file format; building a new one from the update sources only", "err", err)
		old = nil
	case err != nil && !errors.Is(err, vulndb.ErrNoDatabase):
		return Result{}, err
	}
	if old != nil {
		defer old.Close()
	}
	prev := map[string]vulndb.SourceStamp{}
	if old != nil {
		for _, st := range old.Status().Stamp.Sources {
			prev[st.Name] = st
		}
	}
	tmp, err := os.MkdirTemp(store.Dir(), ".fetch-")
	if err != nil {
		return Result{}, fmt.Errorf("update: %w", err)
	}
	defer os.RemoveAll(tmp)

	var res Result
	type got struct {
		i    int
		file string
		fp   Fingerprint
	}
	var changed []got
	reached, failed := 0, 0
	for i, s := range cfg.Sources {
		st := prev[s.name()]
		fp := Fingerprint{ETag: st.ETag, LastModified: st.LastModified}
		if old == nil || !hasSource(old, s.name()) {
			fp = Fingerprint{} // nothing to compare against: fetch it whole
		}
		sr := SourceResult{Source: s}
		file := filepath.Join(tmp, fmt.Sprintf("%03d-%s", i, baseName(s.URL)))
		n, nfp, err := download(ctx, &HTTPFetcher{Client: cfg.Client, URL: s.URL}, fp, file, maxSize)
		switch {
		case errors.Is(err, ErrUnchanged):
			sr.Unchanged = true
			reached++
			log.InfoContext(ctx, "source unchanged", "source", s.name())
		case err != nil:
			sr.Err = err
			failed++
			log.WarnContext(ctx, "source fetch failed", "source", s.name(), "err", err)
		default:
			sr.Bytes = n
			reached++
			changed = append(changed, got{i: i, file: file, fp: nfp})
			log.InfoContext(ctx, "source fetched", "source", s.name(), "bytes", n)
		}
		res.Sources = append(res.Sources, sr)
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	if reached == 0 {
		return res, fmt.Errorf("update: %w: %w; the current database is unchanged; without network, load files with 'drydock db import'", ErrOffline, firstErr(res.Sources))
	}
	if failed > 0 && !cfg.AllowPartial {
		return res, fmt.Errorf("update: %w (%d of %d): %w; the current database is unchanged", ErrFailed, failed, len(cfg.Sources), firstErr(res.Sources))
	}
	if len(changed) == 0 {
		log.InfoContext(ctx, "advisory database is up to date")
		return res, nil
	}

	b, err := store.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer b.Abort()
	replaced := map[string]bool{}
	for _, c := range changed {
		replaced[cfg.Sources[c.i].name()] = true
	}
	if old != nil {
		if err := b.Keep(old, func(name string) bool { return !replaced[name] }); err != nil {
			return res, err
		}
	}
	t := now().UTC()
	for _, sr := range res.Sources {
		if sr.Unchanged {
			st := prev[sr.Source.name()]
			st.CheckedAt = t
			b.SetStamp(b.Source(sr.Source.name()), st)
		}
	}
	for _, c := range changed {
		s := cfg.Sources[c.i]
		inputs, err := ingest.Prepare([]string{c.file})
		if err != nil {
			return res, err
		}
		in := inputs[0]
		if in.Bundle != nil {
			in.Close()
			return res, fmt.Errorf("update: %s: database bundles are imported with 'drydock db import'", s.URL)
		}
		in.Source = s.name()
		rep, err := ingest.Import(ctx, b, inputs, cfg.Import)
		res.Sources[c.i].Report = rep
		if err != nil {
			return res, fmt.Errorf("update: %s: %w", s.URL, err)
		}
		b.SetStamp(b.Source(s.name()), vulndb.SourceStamp{ImportedAt: t, CheckedAt: t,
			ETag: c.fp.ETag, LastModified: c.fp.LastModified, Skipped: rep.Malformed})
	}
	cr, err := b.Commit(ctx)
	if err != nil {
		return res, err
	}
	res.Built, res.Commit = true, cr
	if failed > 0 {
		return res, fmt.Errorf("update: %w (%d of %d), their previous records were kept: %w", ErrFailed, failed, len(cfg.Sources), firstErr(res.Sources))
	}
	return res, nil
}

func hasSource(db *vulndb.DB, name string) bool {
	for _, s := range db.Status().Meta.Sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

func firstErr(l []SourceResult) error {
	for _, s := range l {
		if s.Err != nil {
			return s.Err
		}
	}
	return nil
}

// baseName keeps the URL's file name (its extension helps recognise YAML);
// an empty or odd one becomes "download".
func baseName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "download"
	}
	b := path.Base(u.Path)
	if b == "/" || b == "." || b == "" {
		return "download"
	}
	return url.PathEscape(b)
}

// download fetches to file, at most max bytes.
func download(ctx context.Context, f Fetcher, prev Fingerprint, file string, max int64) (int64, Fingerprint, error) {
	rc, fp, err := f.Fetch(ctx, prev)
	if err != nil {
		return 0, fp, err
	}
	defer rc.Close()
	out, err := os.Create(file)
	if err != nil {
		return 0, fp, fmt.Errorf("update: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, max+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fp, fmt.Errorf("update: download %s: %w", file, err)
	}
	if n > max {
		return n, fp, fmt.Errorf("update: download larger than %d bytes: %w", max, ingest.ErrLimit)
	}
	return n, fp, nil
}
