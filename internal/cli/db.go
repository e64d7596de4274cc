package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
	"github.com/drydock/drydock/internal/vulndb/update"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the advisory database",
		Long: `The advisory database lives in DATA/vulndb. Every import or update builds a
new version and switches to it atomically; a running server picks it up by
itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newDBImportCmd(g), newDBUpdateCmd(g), newDBStatusCmd(g), newDBExportCmd(g))
	return cmd
}

func dbLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// importProgress shows a progress bar on a terminal and a log line every
// few seconds otherwise.
func importProgress(w io.Writer, log *slog.Logger) (func(ingest.Progress), func()) {
	if isTerminal(w) {
		var bar *progressbar.ProgressBar
		var mu sync.Mutex
		return func(p ingest.Progress) {
				mu.Lock()
				defer mu.Unlock()
				if bar == nil {
					bar = progressbar.NewOptions64(p.Total, progressbar.OptionSetWriter(w),
						progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("importing"),
						progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
				}
				bar.Describe(fmt.Sprintf("importing: %d files, %d records", p.Files, p.Records))
				bar.Set64(p.Done)
			}, func() {
				mu.Lock()
				defer mu.Unlock()
				if bar != nil {
					bar.Finish()
				}
			}
	}
	var last time.Time
	return func(p ingest.Progress) {
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		pct := 100.0
		if p.Total > 0 {
			pct = 100 * float64(p.Done) / float64(p.Total)
		}
		log.Info("import progress", "files", p.Files, "records", p.Records, "percent", fmt.Sprintf("%.0f", pct))
	}, func() {}
}

func newDBImportCmd(g *globals) *cobra.Command {
	var strict, replace bool
	var lim ingest.Limits
	var workers int
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import feed files, directories, zip archives or an export bundle",
		Long: `Import advisory data from files. Each PATH is a file, a directory (read
recursively) or a zip archive; gzip files are read transparently. The feed of
each file is recognised from its content: OSV JSON/YAML (single records,
directories, OSV.dev all.zip), Alpine secdb JSON/YAML, the Debian security
tracker JSON, NVD CVE API 2.0 JSON, the CISA KEV catalog, FIRST EPSS CSV, or
a bundle written by 'drydock db export'.

Each PATH is a source: its records replace those an earlier import of the
same PATH stored; other sources are kept (--replace drops them). Malformed
records are skipped and listed; --strict rejects the whole import instead.
Files over the size limits (archive bombs) are refused.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log := dbLogger(g.stderr)
			store, err := vulndb.NewStore(vulndb.Dir(g.dataDir), log)
			if err != nil {
				return err
			}
			inputs, err := ingest.Prepare(args)
			if err != nil {
				return usageError{err}
			}
			defer func() {
				for _, in := range inputs {
					in.Close()
				}
			}()
			b, err := store.Begin(ctx)
			if err != nil {
				return err
			}
			defer b.Abort()
			if !replace {
				if err := keepOthers(store, b, inputs); err != nil {
					return err
				}
			}
			progress, finish := importProgress(g.stderr, log)
			start := time.Now()
			rep, err := ingest.Import(ctx, b, inputs, ingest.Options{Strict: strict, Limits: lim, Workers: workers, Progress: progress, Log: log})
			finish()
			printProblems(g.stdout, rep)
			if err != nil {
				return fmt.Errorf("db import: %w; the database is unchanged", err)
			}
			now := time.Now().UTC()
			for _, in := range inputs {
				if in.Bundle == nil {
					b.SetStamp(b.Source(in.Source), vulndb.SourceStamp{ImportedAt: now, Skipped: countProblems(rep, in.Path)})
				}
			}
			res, err := b.Commit(ctx)
			if err != nil {
				return fmt.Errorf("db import: %w; the database is unchanged", err)
			}
			changed := "new content"
			if !res.Changed {
				changed = "same content as before"
			}
			fmt.Fprintf(g.stdout, "imported %d files in %s: %d advisories, %d enrichment records, %d malformed skipped\n",
				rep.Files, time.Since(start).Round(time.Millisecond), rep.Advisories, rep.Enrichment, rep.Malformed)
			if len(rep.Ignored) > 0 {
				fmt.Fprintf(g.stdout, "ignored %d files in no known feed format (e.g. %s)\n", len(rep.Ignored), rep.Ignored[0])
			}
			fmt.Fprintf(g.stdout, "database version %s (%s): %d advisories, %d packages\n",
				res.Version, changed, res.Meta.Records, res.Meta.Packages)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&strict, "strict", false, "reject the whole import when any record is malformed")
	f.BoolVar(&replace, "replace", false, "drop every source not named in this import")
	f.Int64Var(&lim.MaxFileSize, "max-file-size", ingest.DefaultLimits.MaxFileSize, "largest file read, after gunzip (bytes)")
	f.Int64Var(&lim.MaxEntrySize, "max-entry-size", ingest.DefaultLimits.MaxEntrySize, "largest zip entry, uncompressed (bytes)")
	f.Int64Var(&lim.MaxTotalSize, "max-total-size", ingest.DefaultLimits.MaxTotalSize, "most uncompressed bytes in one zip archive")
	f.Int64Var(&lim.MaxRatio, "max-ratio", ingest.DefaultLimits.MaxRatio, "largest compression ratio of entries over 1 MiB")
	f.IntVar(&workers, "workers", 0, "files parsed in parallel (default: number of CPUs)")
	return cmd
}

// keepOthers carries over from the current version the sources this import
// does not replace.
func keepOthers(store *vulndb.Store, b *vulndb.Builder, inputs []*ingest.Input) error {
	old, err := store.Open()
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("db import: current database: %w (use --replace to start over)", err)
	}
	defer old.Close()
	replaced := map[string]bool{}
	for _, in := range inputs {
		for _, s := range in.Sources() {
			replaced[s] = true
		}
	}
	return b.Keep(old, func(name string) bool { return !replaced[name] })
}

func countProblems(rep ingest.Report, path string) int {
	n := 0
	for _, p := range rep.Problems {
		if strings.HasPrefix(p.File, path) {
			n++
		}
	}
	return n
}

// maxPrinted is how many malformed records an import lists.
const maxPrinted = 50

func printProblems(w io.Writer, rep ingest.Report) {
	if rep.Malformed == 0 {
		return
	}
	fmt.Fprintf(w, "%d malformed records skipped:\n", rep.Malformed)
	for i, p := range rep.Problems {
		if i == maxPrinted {
			fmt.Fprintf(w, "  ... and %d more\n", rep.Malformed-maxPrinted)
			break
		}
		fmt.Fprintf(w, "  %s\n", p)
	}
}

func newDBUpdateCmd(g *globals) *cobra.Command {
	var sources []string
	var partial, strict bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch the configured advisory sources and build a new version",
		Long: `Fetch each source with a conditional request (ETag / If-Modified-Since),
skip the unchanged ones and build a new version from the rest plus the
unchanged sources' current records. Without --source, the public feeds are
used: OSV.dev all.zip per ecosystem, the Debian security tracker, NVD JSON 2.0
yearly feeds, CISA KEV and FIRST EPSS. When no source can be reached the
database is left as it is and the command fails; so it does when any source
fails, unless --allow-partial.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			log := dbLogger(g.stderr)
			store, err := vulndb.NewStore(vulndb.Dir(g.dataDir), log)
			if err != nil {
				return err
			}
			cfg := update.Config{AllowPartial: partial, Import: ingest.Options{Strict: strict, Log: log}}
			for _, s := range sources {
				src, err := update.ParseSource(s)
				if err != nil {
					return usageError{fmt.Errorf("--source: %w", err)}
				}
				cfg.Sources = append(cfg.Sources, src)
			}
			progress, finish := importProgress(g.stderr, log)
			cfg.Import.Progress = progress
			res, err := update.Run(ctx, store, cfg, log)
			finish()
			for _, s := range res.Sources {
				printProblems(g.stdout, s.Report)
			}
			if res.Built {
				fmt.Fprintf(g.stdout, "database version %s: %d advisories, %d packages\n", res.Commit.Version, res.Commit.Meta.Records, res.Commit.Meta.Packages)
			} else if err == nil {
				fmt.Fprintln(g.stdout, "advisory database is up to date")
			}
			if err != nil {
				return fmt.Errorf("db update: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sources, "source", nil, "source to fetch, [NAME=]URL (repeatable; replaces the default public feeds)")
	f.BoolVar(&partial, "allow-partial", false, "build a new version even when some sources fail (keeping their previous records)")
	f.BoolVar(&strict, "strict", false, "reject a source's data when any of its records is malformed")
	f.DurationVar(&timeout, "timeout", 0, "give up after this long (default: no limit)")
	return cmd
}

func newDBStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the current database: version, age, sources and counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := vulndb.Open(vulndb.Dir(g.dataDir))
			if errors.Is(err, vulndb.ErrNoDatabase) {
				return fmt.Errorf("no advisory database in %s; run 'drydock db update' or 'drydock db import PATH'", vulndb.Dir(g.dataDir))
			}
			if err != nil {
				return err
			}
			defer db.Close()
			st := db.Status()
			now := time.Now()
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					vulndb.Status
					AgeSeconds int64                 `json:"ageSeconds"`
					Sources    []vulndb.SourceStatus `json:"sources"`
				}{st, int64(st.Age(now) / time.Second), st.Sources()})
			}
			return printStatus(g.stdout, st, now)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func printStatus(w io.Writer, st vulndb.Status, now time.Time) error {
	m := st.Meta
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "version:\t%s\n", st.Version)
	fmt.Fprintf(tw, "file:\t%s\n", st.Path)
	fmt.Fprintf(tw, "updated:\t%s (newest data in the database)\n", st.UpdatedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "age:\t%s\n", fmtAge(st.Age(now)))
	fmt.Fprintf(tw, "built:\t%s\n", st.Stamp.BuiltAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "advisories:\t%d (%d withdrawn)\n", m.Records, m.Withdrawn)
	fmt.Fprintf(tw, "packages:\t%d\n", m.Packages)
	fmt.Fprintf(tw, "enrichment:\tNVD %d, KEV %d, EPSS %d CVEs\n", m.NVD, m.KEV, m.EPSS)
	fmt.Fprintf(tw, "GIT-only ranges:\t%d affected entries with only GIT (commit) ranges; they never match a package version\n", m.GitOnly)
	tw.Flush()
	fmt.Fprintln(w, "\nsources:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tFEEDS\tADVISORIES\tENRICHMENT\tDATA AS OF\tDATA AGE\tFETCHED\tFETCHED AGO\tSKIPPED")
	for _, s := range st.Sources() {
		data, dataAge := "undated", "-"
		if !s.UpdatedAt.IsZero() {
			data, dataAge = fmtTime(s.UpdatedAt), fmtAge(now.Sub(s.UpdatedAt))
		}
		fetched, fetchedAge := "-", "-"
		if f := s.FetchedAt(); !f.IsZero() {
			fetched, fetchedAge = fmtTime(f), fmtAge(now.Sub(f))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\n", s.Name, strings.Join(s.Feeds, ","), s.Records,
			s.Enrichment, data, dataAge, fetched, fetchedAge, s.Skipped)
	}
	tw.Flush()
	fmt.Fprintln(w, "  (data as of: the newest modification time in the source's records; fetched: its last import or update check)")
	fmt.Fprintln(w, "\necosystems:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	ecos := make([]string, 0, len(m.Ecosystems))
	for e := range m.Ecosystems {
		ecos = append(ecos, e)
	}
	sort.Strings(ecos)
	for _, e := range ecos {
		fmt.Fprintf(tw, "  %s\t%d\n", e, m.Ecosystems[e])
	}
	return tw.Flush()
}

// fmtAge prints an age in the largest unit that fits: 45s, 12m, 5h, 3d.
func fmtAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func newDBExportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE",
		Short: "Write the current database to one file that 'drydock db import' loads elsewhere",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := vulndb.NewStore(vulndb.Dir(g.dataDir), dbLogger(g.stderr))
			if err != nil {
				return err
			}
			v, err := store.Export(args[0])
			if errors.Is(err, vulndb.ErrNoDatabase) {
				return fmt.Errorf("db export: no advisory database in %s; run 'drydock db update' or 'drydock db import PATH' first", store.Dir())
			}
			if err != nil {
				return fmt.Errorf("db export: %w", err)
			}
			fmt.Fprintf(g.stdout, "exported database version %s to %s\n", v, args[0])
			return nil
		},
	}
}
