package list_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
)

// sibling reads a file of another extractor's testdata.
func sibling(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(rel) == ".gz" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// osvDB imports testdata/osv (see testdata/README.md) into a database.
func osvDB(t *testing.T) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	store, err := vulndb.NewStore(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := ingest.Prepare([]string{filepath.Join("testdata", "osv")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	b, err := store.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Import(t.Context(), b, inputs, ingest.Options{Strict: true}); err != nil {
		b.Abort()
		t.Fatal(err)
	}
	if _, err := b.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLanguageAcceptance runs every extractor and the matchers on an image
// holding the language fixtures of the yarn, RubyGems, cargo-auditable,
// Composer and .NET extractors, against real advisories of each ecosystem
// (one Packagist record is written by hand; see testdata/README.md).
func TestLanguageAcceptance(t *testing.T) {
	inv := et.Run(t, list.All(),
		[]lt.Entry{
			lt.File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"),
			lt.File("usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec", string(sibling(t, "gem/testdata/specifications/webrick-1.8.1.gemspec"))),
			lt.Exec("usr/local/bin/rust-fixture", sibling(t, "rustbinary/testdata/rust-fixture.gz")),
		},
		[]lt.Entry{
			lt.File("srv/web/package.json", string(sibling(t, "npm/testdata/lockfile-app.package.json"))),
			lt.File("srv/web/yarn.lock", string(sibling(t, "npm/testdata/yarn-v1.lock"))),
			lt.File("srv/php/composer.lock", string(sibling(t, "composer/testdata/composer-2.5.5.composer.lock"))),
			lt.File("opt/fable/Fable.Cli.deps.json", string(sibling(t, "dotnet/testdata/Fable.Cli.deps.json"))),
		},
	)
	types := map[string]int{}
	for _, p := range inv.Packages {
		types[string(p.Type)]++
	}
	// npm: yarn.lock's 27 packages but the two development dependencies
	// package.json names (@types/minimist, ms 2.1.1).
	wantTypes := map[string]int{"npm": 25, "gem": 1, "cargo": 5, "composer": 34, "nuget": 3}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("packages per type (-want +got):\n%s", diff)
	}
	fs, err := match.Match(t.Context(), osvDB(t), inv.Packages, match.Options{})
	if err != nil {
		t.Fatal(err)
	}
	layerOf := map[string]string{}
	for i, l := range inv.Layers {
		layerOf[string(l.Desc.Digest)] = fmt.Sprint(i)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Package.Type+" "+f.Package.Name+" "+f.Package.Version+" "+f.ID+" fixed:"+f.FixedVersion+" layer:"+layerOf[f.Package.Layer])
	}
	sort.Strings(got)
	want := []string{
		"cargo smallvec 1.6.0 RUSTSEC-2021-0003 fixed:1.6.1 layer:0",
		"cargo time 0.1.43 RUSTSEC-2020-0071 fixed:0.2.0 layer:0",
		"composer symfony/process v5.4.21 GHSA-qq5c-677p-737q fixed:5.4.46 layer:1",
		"gem webrick 1.8.1 GHSA-6f62-3596-g6w7 fixed:1.8.2 layer:0",
		"npm lodash 4.17.15 GHSA-p6mc-m468-83gw fixed:4.17.20 layer:1",
		"npm lodash 4.17.4 GHSA-p6mc-m468-83gw fixed:4.17.20 layer:1",
		"npm minimist 1.2.0 GHSA-xvch-5gv4-984h fixed:1.2.6 layer:1",
		"nuget Newtonsoft.Json 12.0.3 GHSA-5crp-9r3c-p9vr fixed:13.0.1 layer:1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestOversizedFilesAreSkipped checks that the new extractors respect the
// layer reader's per-file cap: a file over MaxReduceBytes is logged and
// skipped, never fatal, and the rest of the image is still read.
func TestOversizedFilesAreSkipped(t *testing.T) {
	rust := sibling(t, "rustbinary/testdata/rust-fixture.gz") // 336 KiB
	cfg := layer.Config{MaxReduceBytes: 64 << 10}
	s, err := extract.NewSession(cfg, list.All(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Real files that would yield packages, padded past the cap.
	big := func(rel string) string {
		return string(sibling(t, rel)) + "\n#" + strings.Repeat(" ", 65<<10) + "\n"
	}
	deps := string(sibling(t, "dotnet/testdata/Fable.Cli.deps.json")) + strings.Repeat(" ", 65<<10)
	tarball := lt.Tar(t,
		lt.File("a/yarn.lock", big("npm/testdata/yarn-v1.lock")),
		lt.File("a/pnpm-lock.yaml", big("npm/testdata/pnpm9-lock.yaml")),
		lt.File("b/composer.lock", string(sibling(t, "composer/testdata/composer-2.5.5.composer.lock"))), // 84 KiB
		lt.File("c/App.deps.json", deps),
		lt.File("var/lib/gems/3.1.0/specifications/rack-2.2.22.gemspec", big("gem/testdata/specifications/rack-2.2.22.gemspec")),
		lt.Exec("usr/bin/rust-fixture", rust),
		lt.File("usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec", string(sibling(t, "gem/testdata/specifications/webrick-1.8.1.gemspec"))),
	)
	if err := s.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(tarball)); err != nil {
		t.Fatal(err)
	}
	inv, err := s.Extract(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version)
	}
	if diff := cmp.Diff([]string{"webrick@1.8.1"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
