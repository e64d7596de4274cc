package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pipeline/layercache"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/report"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/cache"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/scan/match/exempt"
	"github.com/drydock/drydock/internal/scan/source"
	"github.com/drydock/drydock/internal/vulndb"
)

// scanFlags are the flags of drydock scan.
type scanFlags struct {
	format     string
	failOn     string
	ignoreFile string
	vex        []string
	db         string
	platform   string
	insecure   bool
	timeout    time.Duration
	limits     layer.Config
	noCache    bool
	cacheBytes int64
	output     string
	goScan     string
	// failUnchecked makes packages that were not checked (see
	// finding.Report.Unchecked) a failure.
	failUnchecked bool
}

// findingsError reports findings at or above --fail-on (exit code 3).
type findingsError struct {
	n         int
	threshold finding.Severity
}

func (e findingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above %s (--fail-on)", e.n, e.threshold)
}

func (e findingsError) ExitCode() int { return ExitFindings }

func newScanCmd(g *globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan IMAGE",
		Short: "Scan an image for vulnerabilities, without a server",
		Long: `Scan an image: find its OS and language packages and the advisories that
affect them, and print a report.

IMAGE is one of
  REGISTRY/REPO[:TAG|@DIGEST]   pulled over HTTPS (--insecure: plain HTTP or
                                unverified TLS), with credentials from the Docker
                                config file ($DOCKER_CONFIG or ~/.docker/config.json:
                                auths, credHelpers, credsStore, as docker login
                                writes it); a private CA is trusted from the system
                                store or SSL_CERT_FILE; also written
                                docker://REGISTRY/REPO...
  oci:DIR[:TAG]                 an OCI image layout
  oci-archive:FILE[:TAG]        an OCI image layout in a tar file (skopeo, podman)
  docker-archive:FILE[:NAME]    a 'docker save' archive
  dir:ROOTFS                    an unpacked root filesystem

Every Linux platform of a multi-platform image is scanned (one report each)
unless --platform picks one. The advisory database is the one in the data
directory (see 'drydock db'), or --db. Without one, the report lists the
packages and its status is pending.

--ignore-file reads rules that silence findings (YAML):

  ignore:
    - id: CVE-2018-5407        # advisory id or alias (required)
      package: openssl         # optional: package name, source name or purl
      expires: 2027-01-31      # optional: the rule stops applying then
      reason: our nodes disable SMT   # required

--vex reads OpenVEX documents: not_affected (and fixed) statements about a
finding's package, or about the image and that package, silence it and say
why. The documents are one sequence of statements: of those about a
finding, the latest (by timestamp) decides, so a later affected statement
overrides an earlier not_affected one. Silenced findings stay in the report,
marked exempted.

--go-scan sets how closely the findings of Go binaries are judged (the
levels govulncheck names, decided by what the binary contains rather than
by call graph): symbol exempts an advisory when the binary has code of none
of the packages it names or, of those it has, none of the functions it
names; package only when it has code of none of the packages; module never
(every advisory of the module's version stands, as other scanners report
them). Exempted findings stay in the report with the reason.

--fail-on-unchecked makes packages that could not be checked a failure: those
of an OS release or ecosystem the advisory database has no data for, or of an
OS drydock does not identify. Without it such an image is healthy, and the
report says how many of its packages were not checked and why.

Exit codes: 0 ok, 1 failure (including a scan that failed, and unchecked
packages with --fail-on-unchecked), 2 usage error, 3 a finding at or above
--fail-on remains. NO_COLOR turns off colors; set
SOURCE_DATE_EPOCH to fix the scan time for reproducible output.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), g, args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVar(&f.failOn, "fail-on", "", "exit with code 3 when a finding at or above this severity remains (critical, high, medium, low, unknown)")
	fl.BoolVar(&f.failUnchecked, "fail-on-unchecked", false, "exit with code 1 when packages could not be checked (a release or ecosystem the advisory database has no data for)")
	fl.StringVar(&f.ignoreFile, "ignore-file", "", "YAML file of findings to silence, with reasons")
	fl.StringArrayVar(&f.vex, "vex", nil, "OpenVEX document whose not_affected statements silence findings (repeatable)")
	fl.StringVar(&f.db, "db", "", "advisory database: a database directory or an exported database file (default: the one in --data)")
	fl.StringVar(&f.platform, "platform", "", "scan only this platform of a multi-platform image, os/arch[/variant]")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and unverified TLS for registry images")
	fl.StringVar(&f.goScan, "go-scan", string(match.GoScanSymbol), "how closely Go binaries' findings are judged: symbol, package or module")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "an image still reading its layers after this long fails, with a report saying so (0: no limit)")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output (replaced only once the report is complete)")
	f.limits.MaxLayerBytes, f.limits.MaxFileBytes, f.cacheBytes = layer.DefaultMaxLayerBytes, layer.DefaultMaxFileBytes, cache.DefaultMaxBytes
	fl.Var((*byteSize)(&f.limits.MaxLayerBytes), "max-layer-bytes", "largest uncompressed layer (bytes, or with a unit: 512MiB, 2GB)")
	fl.Int64Var(&f.limits.MaxEntries, "max-entries", layer.DefaultMaxEntries, "most tar entries over all layers")
	fl.Var((*byteSize)(&f.limits.MaxFileBytes), "max-file-bytes", "largest file read by an extractor (bytes, or with a unit)")
	fl.Int64Var(&f.limits.MaxRatio, "max-ratio", layer.DefaultMaxRatio, "largest decompression ratio of a layer")
	fl.BoolVar(&f.noCache, "no-cache", false, "read every layer; do not use or fill the layer cache in DATA/cache")
	fl.Var((*byteSize)(&f.cacheBytes), "cache-max-bytes", "size of the layer cache; least recently used layers are evicted beyond it (bytes, or with a unit)")
	return cmd
}

// scanMemoryLimit is the Go runtime's soft memory limit during drydock scan
// unless GOMEMLIMIT sets one. The live heap of a scan stays under ~50 MiB
// (the largest files read whole, e.g. Go binaries, plus the inventory),
// but with the default GOGC the heap grows to twice that between
// collections: bench/scan measured 132 MiB peak RSS on a 2 GB image, 95 MiB
// with this limit, at the same speed.
const scanMemoryLimit = 64 << 20

// scanParallel is how many layers drydock scan records at once: two, or
// one on one core. Its peak memory then stays under 128 MB for a 2 GB
// image on any machine (three took it to 119-127 MiB with GOMAXPROCS=8);
// a single large gzip layer still inflates on every core.
func scanParallel() int { return min(runtime.GOMAXPROCS(0), 2) }

func runScan(ctx context.Context, g *globals, ref string, f *scanFlags) error {
	if prev := debug.SetMemoryLimit(-1); prev == math.MaxInt64 {
		debug.SetMemoryLimit(scanMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	if !slices.Contains(report.Formats(), f.format) {
		return usageError{fmt.Errorf("unknown --format %q; use one of %s", f.format, strings.Join(report.Formats(), ", "))}
	}
	var threshold finding.Severity
	if f.failOn != "" {
		s, err := finding.ParseSeverity(f.failOn)
		if err != nil {
			return usageError{fmt.Errorf("--fail-on %q: use critical, high, medium, low or unknown", f.failOn)}
		}
		threshold = s
	}
	if err := f.limits.Validate(); err != nil {
		return usageError{err}
	}
	goScan, err := match.ParseGoScan(f.goScan)
	if err != nil {
		return usageError{fmt.Errorf("--go-scan: %w", err)}
	}
	if !f.noCache && f.cacheBytes <= 0 {
		return usageError{fmt.Errorf("--cache-max-bytes must be positive, got %d", f.cacheBytes)}
	}
	now, err := clock()
	if err != nil {
		return usageError{err}
	}
	log := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// --timeout bounds each image's layer reading (an image past it fails,
	// with a report saying so) and, in scan.Scan, finding the images.
	f.limits.Timeout = f.timeout

	// The database opens while the first layers are read (scan.Options.LoadDB);
	// only whether there is one is settled here.
	loadDB, err := scanDBLoader(g, f.db)
	if err != nil {
		return err
	}
	if loadDB == nil {
		if gate := gateFlags(f); gate != "" {
			return fmt.Errorf("no advisory database in %s, so %s cannot be checked; run 'drydock db update' or 'drydock db import PATH', or pass --db", vulndb.Dir(g.dataDir), gate)
		}
		fmt.Fprintf(g.stderr, "drydock: no advisory database in %s; the report lists packages only (status pending). Run 'drydock db update' or 'drydock db import PATH', or pass --db.\n", vulndb.Dir(g.dataDir))
	}
	exempters, err := loadExempters(g, f, now)
	if err != nil {
		return err
	}

	src, err := source.Open(ctx, ref, source.Options{Platform: f.platform, Insecure: f.insecure, Warnings: g.stderr})
	if err != nil {
		if errors.Is(err, source.ErrInvalidReference) {
			return usageError{err}
		}
		return err
	}
	defer src.Close()
	opts := scan.Options{Limits: f.limits, GoScan: goScan, Exempters: exempters, Logger: log, Now: now, LoadDB: loadDB}
	if f.noCache {
		// The layer cache's reading without its files: unseen layers
		// are read side by side, as with the cache, and nothing is kept.
		lc, err := layercache.New(layercache.Config{Limits: f.limits, Parallel: scanParallel()}, objects.Discard{}, list.All(), log)
		if err != nil {
			return err
		}
		opts.Inventory = lc.Inventory
	} else {
		lc, trim, err := openLayerCache(g, f, log)
		if err != nil {
			// A cache is an optimisation: scan without it.
			log.Warn("layer cache unavailable; reading every layer", "err", err)
		} else {
			opts.Inventory = lc
			defer func() {
				if err := trim(ctx); err != nil {
					log.Warn("layer cache", "err", err)
				}
			}()
		}
	}
	if isTerminal(g.stderr) {
		opts.Inventory = withScanProgress(g.stderr, opts.Inventory, progressDelay)
	}
	reports, err := scan.Scan(ctx, src, opts)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && f.timeout > 0 {
		return fmt.Errorf("gave up after --timeout %s: %w", f.timeout, err)
	}
	if err != nil {
		if errors.Is(err, source.ErrAmbiguous) || errors.Is(err, source.ErrNoPlatform) {
			return usageError{err}
		}
		return err
	}
	if len(reports) > 1 && f.format != "table" && f.format != "json" {
		var plats []string
		for _, r := range reports {
			plats = append(plats, r.Image.Platform)
		}
		return usageError{fmt.Errorf("%s has %d platforms (%s); --format %s writes one image: choose one with --platform",
			ref, len(reports), strings.Join(plats, ", "), f.format)}
	}
	if err := writeOutput(g.stdout, f.output, func(w io.Writer) error { return writeReports(ctx, w, f.format, reports, now) }); err != nil {
		return err
	}
	return scanOutcome(reports, f.failOn != "", threshold, f.failUnchecked)
}

// gateFlags names the flags that need an advisory database to be checked.
func gateFlags(f *scanFlags) string {
	var gates []string
	if f.failOn != "" {
		gates = append(gates, "--fail-on")
	}
	if f.failUnchecked {
		gates = append(gates, "--fail-on-unchecked")
	}
	return strings.Join(gates, " and ")
}

// openLayerCache opens the layer cache in DATA/cache: whole-image
// inventories keyed by the image's layers, extractor versions and limits
// (package scan/cache), over per-layer skeletons (package layercache, the
// server pipeline's cache) keyed by layer digest and checked against the
// extractors' names and versions, replayed through the ordinary
// extraction so that a cached report equals an uncached one.
// trim waits for the skeletons being stored, then evicts the least
// recently used layers beyond --cache-max-bytes.
func openLayerCache(g *globals, f *scanFlags, log *slog.Logger) (cache.InventoryFunc, func(context.Context) error, error) {
	root := filepath.Join(g.dataDir, "cache")
	objs, err := objects.OpenShared(root)
	if err != nil {
		return nil, nil, err
	}
	bc, err := cache.New(objs, root, f.cacheBytes)
	if err != nil {
		return nil, nil, err
	}
	exs := list.All()
	lc, err := layercache.New(layercache.Config{Limits: f.limits, Parallel: scanParallel(), StoreLater: true}, bc, exs, log)
	if err != nil {
		return nil, nil, err
	}
	ic, err := cache.NewImages(bc, exs, f.limits, lc.Inventory, log)
	if err != nil {
		return nil, nil, err
	}
	// The skeletons are stored while the scan replays them, matches and
	// reports; trimming waits for them, so that it counts them.
	trim := func(ctx context.Context) error {
		lc.Wait()
		return bc.Trim(ctx)
	}
	return ic.Inventory, trim, nil
}

// clock returns the scan clock: SOURCE_DATE_EPOCH when set (reproducible
// output), else the current time.
func clock() (func() time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return func() time.Time { return time.Now().UTC() }, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
	}
	t := time.Unix(n, 0).UTC()
	return func() time.Time { return t }, nil
}

// scanDBLoader returns what opens --db (a store directory or a database
// file), or the database in the data directory; nil when the data
// directory has none. Missing paths are reported here, before the scan.
// One scan looks up few packages: the file is opened Sparse.
func scanDBLoader(g *globals, path string) (func() (*vulndb.DB, error), error) {
	opts := vulndb.Options{Sparse: true}
	if path == "" {
		dir := vulndb.Dir(g.dataDir)
		if !vulndb.Has(dir) {
			return nil, nil
		}
		return func() (*vulndb.DB, error) {
			db, err := vulndb.OpenWith(dir, opts)
			if err != nil {
				return nil, fmt.Errorf("advisory database: %w", err)
			}
			return db, nil
		}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	open := vulndb.OpenFileWith
	if fi.IsDir() {
		open = vulndb.OpenWith
	}
	return func() (*vulndb.DB, error) {
		db, err := open(path, opts)
		if err != nil {
			return nil, fmt.Errorf("--db %s: %w", path, err)
		}
		return db, nil
	}, nil
}

// loadExempters reads --ignore-file and --vex.
func loadExempters(g *globals, f *scanFlags, now func() time.Time) ([]scan.Exempter, error) {
	var out []scan.Exempter
	if f.ignoreFile != "" {
		r, err := os.Open(f.ignoreFile)
		if err != nil {
			return nil, fmt.Errorf("--ignore-file: %w", err)
		}
		ig, err := exempt.ParseIgnore(r, now)
		r.Close()
		if err != nil {
			return nil, usageError{fmt.Errorf("--ignore-file %s: %w", f.ignoreFile, err)}
		}
		for _, rule := range ig.Expired() {
			fmt.Fprintf(g.stderr, "drydock: %s:%d: the rule for %s expired on %s and no longer applies\n",
				f.ignoreFile, rule.Line, rule.ID, rule.Expires.Format(time.DateOnly))
		}
		out = append(out, ig)
	}
	// All the VEX documents are one exempter: the latest statement about a
	// finding decides, whichever document it is in.
	var vex exempt.VEXSet
	for _, p := range f.vex {
		r, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("--vex: %w", err)
		}
		v, err := exempt.ParseVEX(r)
		r.Close()
		if err != nil {
			return nil, usageError{fmt.Errorf("--vex %s: %w", p, err)}
		}
		vex = append(vex, v)
	}
	if len(vex) > 0 {
		out = append(out, vex)
	}
	return out, nil
}

// writeOutput runs write on stdout, or (path set) on a new file beside
// path that replaces it once write succeeded: a CI job never reads half a
// report, and a failed write leaves an earlier report in place.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--output %s: %w", path, err)
	}
	return nil
}

// writeReports writes each report in format: JSON documents one after
// another, tables separated by a blank line.
func writeReports(ctx context.Context, w io.Writer, format string, reports []*finding.Report, now func() time.Time) error {
	color := report.ColorAuto
	if os.Getenv("NO_COLOR") != "" {
		color = report.ColorNever
	}
	for i, r := range reports {
		if i > 0 && format == "table" {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		h, err := report.NewWithOptions(format, w, report.Options{Color: color, Now: now, ToolVersion: toolVersion()})
		if err != nil {
			return err
		}
		if err := report.Replay(ctx, r, h); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// scanOutcome turns the reports into the exit status: failure when a scan
// failed, or (failUnchecked) when packages were not checked; findings when
// one at or above the threshold remains.
func scanOutcome(reports []*finding.Report, gate bool, threshold finding.Severity, failUnchecked bool) error {
	var failed, unchecked []string
	n := 0
	for _, r := range reports {
		what := r.Image.Repository
		if r.Image.Platform != "" {
			what += " " + r.Image.Platform
		}
		if r.Status == finding.StatusFailed {
			failed = append(failed, what+": "+r.Reason)
		}
		if u := r.UncheckedPackages(); u > 0 && failUnchecked {
			// The report says why, group by group.
			unchecked = append(unchecked, fmt.Sprintf("%s: %d of %d packages not checked", what, u, len(r.Packages)))
		}
		for i := range r.Findings {
			if r.Findings[i].Active() && r.Findings[i].Severity >= threshold {
				n++
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("scan failed: %s", strings.Join(failed, "; "))
	}
	if len(unchecked) > 0 {
		return fmt.Errorf("%s; the report says why (--fail-on-unchecked)", strings.Join(unchecked, "; "))
	}
	if gate && n > 0 {
		return findingsError{n: n, threshold: threshold}
	}
	return nil
}
