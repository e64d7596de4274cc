package extract_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// lines is a fake extractor: every line "name=version" of the files under
// its directory is a package; a line "panic" panics, "fail" fails.
type lines struct{ dir string }

func (l lines) Name() string { return "test/" + l.dir }
func (l lines) Version() int { return 1 }
func (l lines) Wants(p string, fi fs.FileInfo) bool {
	return strings.HasPrefix(p, l.dir+"/")
}
func (l lines) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		for _, line := range strings.Fields(string(f.Data)) {
			switch line {
			case "panic":
				panic("boom")
			case "fail":
				return nil, errors.New("cannot parse")
			}
			n, v, _ := strings.Cut(line, "=")
			out = append(out, pkg.Package{Name: n, Version: v, Type: "test", Path: f.Path})
		}
	}
	return out, nil
}

func run(t *testing.T, exs []extract.Extractor, layers ...[]lt.Entry) (*extract.Inventory, error) {
	t.Helper()
	s, err := extract.NewSession(layer.Config{}, exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		d := layer.Desc{Digest: lt.DiffID([]byte{byte(i)})}
		if err := s.ReadLayer(t.Context(), d, bytes.NewReader(lt.Tar(t, l...))); err != nil {
			t.Fatal(err)
		}
	}
	return s.Extract(t.Context())
}

type got struct {
	Name  string
	Layer int
	Path  string
}

func summary(inv *extract.Inventory) []got {
	var out []got
	for _, p := range inv.Packages {
		out = append(out, got{p.Name + "=" + p.Version, p.Layer, p.Path})
	}
	return out
}

func TestAttribution(t *testing.T) {
	inv, err := run(t, []extract.Extractor{lines{"a"}},
		[]lt.Entry{lt.File("a/db", "x=1 y=1"), lt.File("a/other", "o=1")},
		[]lt.Entry{lt.File("a/db", "x=1 y=2 z=1")},
		[]lt.Entry{lt.File("a/db", "x=1 y=2 z=1 w=1"), lt.Symlink("a/link", "/a/other")},
		[]lt.Entry{lt.Whiteout("a/other")},
		[]lt.Entry{lt.File("a/other", "o=1")},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{"o=1", 4, "a/link"},  // resolves to a/other (layer 4)
		{"o=1", 4, "a/other"}, // re-created after a deletion: the new layer
		{"w=1", 2, "a/db"},
		{"x=1", 0, "a/db"},
		{"y=2", 1, "a/db"},
		{"z=1", 1, "a/db"},
	}
	if diff := cmp.Diff(want, summary(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, p := range inv.Packages {
		if p.LayerDigest != inv.Layers[p.Layer].Desc.Digest {
			t.Errorf("%s: digest %s, want %s", p.Name, p.LayerDigest, inv.Layers[p.Layer].Desc.Digest)
		}
	}
}

func TestExtractorFailures(t *testing.T) {
	inv, err := run(t, []extract.Extractor{lines{"a"}, lines{"b"}, lines{"c"}},
		[]lt.Entry{lt.File("a/db", "x=1"), lt.File("b/db", "fail"), lt.File("c/db", "panic")})
	if err == nil || !strings.Contains(err.Error(), "extractor test/b: cannot parse") ||
		!strings.Contains(err.Error(), "extractor test/c: panic: boom") {
		t.Fatalf("err = %v, want both failures", err)
	}
	if diff := cmp.Diff([]got{{"x=1", 0, "a/db"}}, summary(inv)); diff != "" {
		t.Errorf("partial inventory (-want +got):\n%s", diff)
	}
}

func TestNewSessionRejectsDuplicates(t *testing.T) {
	_, err := extract.NewSession(layer.Config{}, []extract.Extractor{lines{"a"}, lines{"a"}}, nil)
	if !errors.Is(err, extract.ErrDuplicateExtractor) {
		t.Errorf("err = %v", err)
	}
}

func TestInventoryCarriesAnomaliesAndDistro(t *testing.T) {
	inv, err := run(t, nil, []lt.Entry{lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"), lt.File("../evil", "")})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Distro.String() != "alpine 3.20.3" || inv.NumAnomalies != 1 || inv.Anomalies[0].Kind != layer.PathTraversal {
		t.Errorf("inventory = %+v", inv)
	}
}

// platformSeen is a fake extractor reporting, for each file it wants, the
// platform and package limit its Input carried, so that the attribution
// re-runs (on the file's earlier versions) are seen too.
type platformSeen struct{ seen *[]inputSeen }

type inputSeen struct {
	Platform    extract.Platform
	MaxPackages int
}

func (platformSeen) Name() string                        { return "test/platform" }
func (platformSeen) Version() int                        { return 1 }
func (platformSeen) Wants(p string, fi fs.FileInfo) bool { return p == "db" }
func (e platformSeen) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	*e.seen = append(*e.seen, inputSeen{in.Platform, in.MaxPackages})
	return []pkg.Package{{Name: "x", Version: "1", Type: "test", Path: "db"}}, nil
}

func TestSetPlatform(t *testing.T) {
	var seen []inputSeen
	s, err := extract.NewSession(layer.Config{}, []extract.Extractor{platformSeen{&seen}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetPlatform(extract.ParsePlatform("linux/arm/v7"))
	s.SetMaxPackages(1000)
	for i := range 2 { // two versions of db: Extract runs on both
		d := layer.Desc{Digest: lt.DiffID([]byte{byte(i)})}
		if err := s.ReadLayer(t.Context(), d, bytes.NewReader(lt.Tar(t, lt.File("db", "v"+string(rune('0'+i)))))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Extract(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := inputSeen{extract.Platform{OS: "linux", Arch: "arm", Variant: "v7"}, 1000}
	if diff := cmp.Diff([]inputSeen{want, want}, seen); diff != "" {
		t.Errorf("platforms and limits extractors saw (-want +got):\n%s", diff)
	}
}

func TestParsePlatform(t *testing.T) {
	for s, want := range map[string]extract.Platform{
		"linux/amd64":    {OS: "linux", Arch: "amd64"},
		"linux/arm64/v8": {OS: "linux", Arch: "arm64", Variant: "v8"},
		"Linux/AMD64":    {OS: "linux", Arch: "amd64"},
		"":               {},
		"linux":          {},
		"linux//v7":      {},
		"a/b/c/d":        {},
	} {
		if got := extract.ParsePlatform(s); got != want || got.Known() != (want != extract.Platform{}) {
			t.Errorf("ParsePlatform(%q) = %+v, known %v", s, got, got.Known())
		}
	}
}

// TestAttributionCostIsLinear: a file of 200,000 packages whose 2,000
// earlier versions each hold just one of them. Attribution walks the
// versions back while some package is still in them; each step used to
// visit every package (4*10^8 map steps, about 10 s here), it now visits
// those still alive.
func TestAttributionCostIsLinear(t *testing.T) {
	var big strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&big, "p%d=1\n", i)
	}
	s, err := extract.NewSession(layer.Config{}, []extract.Extractor{lines{"d"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2001 {
		body := "p0=1"
		if i == 2000 {
			body = big.String()
		}
		d := layer.Desc{Digest: lt.DiffID([]byte(strconv.Itoa(i)))}
		if err := s.ReadLayer(t.Context(), d, bytes.NewReader(lt.Tar(t, lt.File("d/db", body)))); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	inv, err := s.Extract(t.Context())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 200_000 {
		t.Fatalf("%d packages", len(inv.Packages))
	}
	for _, p := range inv.Packages {
		if want := map[bool]int{true: 0, false: 2000}[p.Name == "p0"]; p.Layer != want {
			t.Fatalf("%s in layer %d, want %d", p.Name, p.Layer, want)
		}
	}
	// About a second now: the bound is set between that and the old
	// cost so that only a return to it fails the test, not a busy machine.
	if took > 6*time.Second {
		t.Errorf("Extract took %v", took)
	}
}
