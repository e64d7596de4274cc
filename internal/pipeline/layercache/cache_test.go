package layercache_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pipeline/layercache"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

func TestMain(m *testing.M) { vulndbtest.Main(m) }

var (
	sharedTestdata = vulndbtest.SharedTestdata
	fixture        = vulndbtest.Fixture
)

// db is the real Alpine, GHSA and PyPA advisories, imported once.
func db(t testing.TB) *vulndb.DB {
	return vulndbtest.Shared(t, "alpine-secdb", "ghsa-curated", "pypa-advisory-database")
}

var now = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

// images writes a as an OCI layout and resolves its images.
func images(t *testing.T, a *st.Artifact) []*source.Image {
	t.Helper()
	dir := t.TempDir()
	st.WriteLayout(t, dir, "test", a)
	src, err := source.Open(t.Context(), "oci:"+dir, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	ims, err := src.Images(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ims
}

func jar(t *testing.T, rel string) string {
	t.Helper()
	dir := filepath.Join(sharedTestdata(), "manifests", rel)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(r))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// goBinary builds a small Go program (standard library only, so offline).
var goBinary = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "layercache-gobin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"go.mod":  "module example.com/hello\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	return os.ReadFile(filepath.Join(dir, "hello"))
})

func npmFiles(t *testing.T, prefix string) []lt.Entry {
	t.Helper()
	root := filepath.Join(sharedTestdata(), "manifests", "npm", "express-app")
	return st.Files(t, prefix, root)
}

// platApp is a layer holding the npm extractor's plat-app project (a
// pnpm lockfile listing esbuild's native packages for every platform).
func platApp(t *testing.T) []byte {
	t.Helper()
	var es []lt.Entry
	for _, f := range []string{"package.json", "pnpm9-lock.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "scan", "extract", "npm", "testdata", "plat-app", f))
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, lt.File("app/"+strings.Replace(f, "pnpm9-", "pnpm-", 1), string(b)))
	}
	return st.Tar(t, es...)
}

// TestPlatformReplayed: a layer shared by the images of several platforms
// is recorded once and replayed for each with its own platform.
func TestPlatformReplayed(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	c := newCache(t, objs, list.All())
	want := map[string]string{"linux/amd64": "@esbuild/linux-x64", "linux/arm64": "@esbuild/linux-arm64"}
	for _, im := range images(t, cases(t)["multi-platform"]) {
		var native []string
		for _, p := range report(t, im, scan.Options{Inventory: c.Inventory}).Packages {
			if strings.HasPrefix(p.Name, "@esbuild/") {
				native = append(native, p.Name)
			}
		}
		if diff := cmp.Diff([]string{want[im.Platform]}, native); diff != "" {
			t.Errorf("%s: esbuild's native packages (-want +got):\n%s", im.Platform, diff)
		}
	}
	if s := c.Stats(); s.Replays != 2 || s.Fallbacks != 0 {
		t.Errorf("stats %+v, want two replays", s)
	}
}

// cases are images whose layers exercise what makes per-layer caching
// hard: whiteouts, opaque directories, overridden package databases,
// symbolic links across layers (to files and to directories), hard
// links, reducers (Go binaries, jars, npm) and files found through a
// symbolic link only.
// fatJar is a Spring Boot style jar over layer.StreamFrom bytes (so that
// it is read as a stream): log4j's real metadata as its own, a stored
// nested snakeyaml jar, and a stored blob making up the size.
func fatJar(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stored := func(name string, data []byte) {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	log4j := jar(t, "maven/debian-bookworm/log4j-1.2-1.2.17.jar")
	zr, err := zip.NewReader(strings.NewReader(log4j), int64(len(log4j)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		stored(f.Name, b)
	}
	stored("BOOT-INF/lib/snakeyaml-1.33.jar", []byte(jar(t, "maven/debian-bookworm/snakeyaml-1.33.jar")))
	stored("BOOT-INF/classes/blob.bin", make([]byte, layer.StreamFrom))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func cases(t *testing.T) map[string]*st.Artifact {
	bin, err := goBinary()
	if err != nil {
		t.Fatal(err)
	}
	alpine346 := []lt.Entry{
		lt.File("lib/apk/db/installed", fixture(t, "alpine/3.4.6/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/3.4.6/os-release")),
		lt.File("etc/alpine-release", fixture(t, "alpine/3.4.6/alpine-release")),
		lt.File("bin/busybox-data", "not wanted by anyone"),
	}
	debian := []lt.Entry{
		lt.File("var/lib/dpkg/status", fixture(t, "debian/bookworm-minbase/status")),
		lt.File("etc/debian_version", fixture(t, "debian/bookworm-minbase/debian_version")),
		lt.Dir("usr/lib/"),
		lt.File("usr/lib/os-release", fixture(t, "debian/bookworm-minbase/os-release")),
		lt.Symlink("etc/os-release", "../usr/lib/os-release"),
		lt.Symlink("lib", "usr/lib"),
	}
	python := st.Files(t, "usr/lib/python3/dist-packages", filepath.Join(sharedTestdata(), "manifests", "python", "debian-bookworm"))
	java := []lt.Entry{
		lt.File("usr/share/java/snakeyaml-1.33.jar", jar(t, "maven/debian-bookworm/snakeyaml-1.33.jar")),
		lt.File("usr/share/java/log4j-1.2-1.2.17.jar", jar(t, "maven/debian-bookworm/log4j-1.2-1.2.17.jar")),
	}
	return map[string]*st.Artifact{
		"alpine 3.4.6": st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine346...)}}),
		"fat jar, streamed": st.Image(t, st.ImageSpec{Layers: [][]byte{
			st.Tar(t, debian...),
			st.Tar(t, lt.File("app/app.jar", fatJar(t))),
		}}),
		// Padded past layer.StreamFrom: the Go and Rust binary reducers
		// both read it, as streams of their own. Its packages are the
		// image's only ones, which the test requires to be found.
		"large go binary, streamed": st.Image(t, st.ImageSpec{Layers: [][]byte{
			st.Tar(t, lt.Exec("opt/big", append(bytes.Clone(bin), make([]byte, layer.StreamFrom)...))),
		}}),
		"debian, python, java, go, npm": st.Image(t, st.ImageSpec{Layers: [][]byte{
			st.Tar(t, debian...),
			st.Tar(t, python...),
			st.Tar(t, java...),
			st.Tar(t, lt.Exec("app/hello", bin), lt.Hardlink("usr/local/bin/hello", "app/hello")),
			st.Tar(t, npmFiles(t, "srv")...),
		}}),
		"overrides and whiteouts": st.Image(t, st.ImageSpec{Compression: st.Zstd, Layers: [][]byte{
			st.Tar(t, alpine346...),
			st.Tar(t, npmFiles(t, "app")...),
			// Alpine upgraded in place: the package database is replaced.
			st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.11.13/installed")),
				lt.File("etc/os-release", fixture(t, "alpine/3.11.13/os-release"))),
			// The lock file goes, node_modules is replaced wholesale but for
			// one package, and a Go binary is deleted.
			st.Tar(t, lt.Whiteout("app/package-lock.json"), lt.Opaque("app/node_modules"),
				lt.File("app/node_modules/lodash/package.json", `{"name":"lodash","version":"4.17.21"}`),
				lt.Exec("opt/tool", bin)),
			st.Tar(t, lt.Whiteout("opt/tool"), lt.Hardlink("app/node_modules/lodash2/package.json", "app/node_modules/lodash/package.json")),
		}}),
		"paths through links": st.Image(t, st.ImageSpec{Layers: [][]byte{
			// dpkg is a link: a later layer writes the database through
			// it, at a path no extractor wants as written.
			st.Tar(t, lt.Dir("var/lib/dpkg/"), lt.Symlink("db", "var/lib/dpkg"),
				lt.Symlink("etc/os-release", "../usr/lib/os-release")),
			st.Tar(t, lt.File("db/status", fixture(t, "debian/bookworm-minbase/status")),
				lt.File("usr/lib/os-release", fixture(t, "debian/bookworm-minbase/os-release"))),
			// An npm manifest that is a link to a file npm would not want
			// by its own name, written by the next layer.
			st.Tar(t, lt.Dir("app/node_modules/leftpad/"),
				lt.Symlink("app/node_modules/leftpad/package.json", "../../vendor/leftpad.json")),
			st.Tar(t, lt.File("app/vendor/leftpad.json", `{"name":"left-pad","version":"1.3.0"}`)),
		}}),
		// The images share their npm lockfile layer, which yields
		// each platform's native packages only.
		"multi-platform": st.Index(t,
			st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{st.Tar(t, alpine346...), platApp(t)}}),
			st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: [][]byte{st.Tar(t, alpine346...), st.Tar(t, java...), platApp(t)}}),
		),
	}
}

func newCache(t *testing.T, objs objects.Store, exs []extract.Extractor) *layercache.Cache {
	t.Helper()
	c, err := layercache.New(layercache.Config{}, objs, exs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func report(t *testing.T, im *source.Image, o scan.Options) *finding.Report {
	t.Helper()
	o.DB, o.Now = db(t), func() time.Time { return now }
	r, err := scan.ScanImage(t.Context(), im, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEqualsFullScan: an image's report is the same whether its layers
// are read or replayed from skeletons, the first time (skeletons being
// recorded, one at a time or side by side) and the next (skeletons reused,
// by another cache on the same objects, as after a restart).
//
// With StoreLater (parallel=8) the skeletons are encoded while the replay
// reads them (go test -race checks that neither writes), and the second
// cache, after Wait, finds every one stored.
func TestEqualsFullScan(t *testing.T) {
	for _, parallel := range []int{1, 8} {
		t.Run(fmt.Sprintf("parallel=%d", parallel), func(t *testing.T) { testEqualsFullScan(t, parallel) })
	}
}

func testEqualsFullScan(t *testing.T, parallel int) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	newCache := func(t *testing.T, objs objects.Store, exs []extract.Extractor) *layercache.Cache {
		c, err := layercache.New(layercache.Config{Parallel: parallel, StoreLater: parallel > 1}, objs, exs, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, a := range cases(t) {
		t.Run(name, func(t *testing.T) {
			for _, im := range images(t, a) {
				want := report(t, im, scan.Options{})
				if want.Status == finding.StatusFailed {
					t.Fatalf("ordinary scan failed: %s", want.Reason)
				}
				if len(want.Packages) == 0 {
					t.Fatalf("%s: the ordinary scan found no packages", im.Platform)
				}
				for round, c := range []*layercache.Cache{newCache(t, objs, list.All()), newCache(t, objs, list.All())} {
					got := report(t, im, scan.Options{Inventory: c.Inventory})
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s round %d: report from skeletons differs (-read +cached):\n%s", im.Platform, round, diff)
					}
					c.Wait()
					s := c.Stats()
					if s.Fallbacks != 0 || s.Replays != 1 {
						t.Errorf("%s round %d: stats %+v, want one replay and no fallback", im.Platform, round, s)
					}
					if round == 1 && s.Recorded != 0 {
						t.Errorf("%s: the second cache read %d layers again", im.Platform, s.Recorded)
					}
				}
			}
		})
	}
}

// TestPins: contents reached through links are pinned on the first
// replay, so the next images replay at once.
func TestPins(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	im := images(t, cases(t)["paths through links"])[0]
	c := newCache(t, objs, list.All())
	report(t, im, scan.Options{Inventory: c.Inventory})
	if s := c.Stats(); s.Pins < 2 || s.Replays != 1 || s.Fallbacks != 0 {
		t.Fatalf("first scan: %+v, want pins (the dpkg database through a directory link, the npm manifest through a file link)", s)
	}
	c2 := newCache(t, objs, list.All())
	report(t, im, scan.Options{Inventory: c2.Inventory})
	if s := c2.Stats(); s.Pins != 0 || s.Recorded != 0 || s.Replays != 1 {
		t.Fatalf("second scan: %+v, want a replay of the pinned skeletons", s)
	}
}

// TestSharedBaseReadOnce: images sharing a base layer, scanned at once,
// read it once.
func TestSharedBaseReadOnce(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	base := st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.11.13/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/3.11.13/os-release")))
	c := newCache(t, objs, list.All())
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		a := st.Image(t, st.ImageSpec{Layers: [][]byte{base, st.Tar(t, lt.File(fmt.Sprintf("app/%d", i), "x"))}})
		im := images(t, a)[0]
		wg.Go(func() {
			r := report(t, im, scan.Options{Inventory: c.Inventory})
			if r.Status != finding.StatusHealthy || len(r.Packages) != 14 {
				t.Errorf("image %d: %s with %d packages", i, r.Status, len(r.Packages))
			}
		})
	}
	wg.Wait()
	if s := c.Stats(); s.Recorded != n+1 || s.Reused != n-1 {
		t.Fatalf("stats %+v: want the base recorded once and reused %d times, and each top layer recorded", s, n-1)
	}
}

// bumped is an extractor at another version.
type bumped struct {
	extract.Extractor
	v int
}

func (b bumped) Version() int { return b.v }

type bumpedReducer struct {
	bumped
	layer.Reducer
}

func bump(ex extract.Extractor) extract.Extractor {
	b := bumped{Extractor: ex, v: ex.Version() + 1}
	if r, ok := ex.(layer.Reducer); ok {
		return bumpedReducer{bumped: b, Reducer: r}
	}
	return b
}

// TestExtractorVersions: a new version of an extractor re-reads only the
// layers whose files it wants and whose contents are not kept.
func TestExtractorVersions(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	im := images(t, cases(t)["debian, python, java, go, npm"])[0]
	want := report(t, im, scan.Options{})
	c := newCache(t, objs, list.All())
	report(t, im, scan.Options{Inventory: c.Inventory})
	if s := c.Stats(); s.Recorded != 5 {
		t.Fatalf("first scan recorded %d layers, want 5", s.Recorded)
	}
	// Versions only go up: each step bumps one more extractor.
	bumpedNames := map[string]bool{}
	with := func(name string) []extract.Extractor {
		bumpedNames[name] = true
		var out []extract.Extractor
		for _, ex := range list.All() {
			if bumpedNames[ex.Name()] {
				ex = bump(ex)
			}
			out = append(out, ex)
		}
		return out
	}
	tests := []struct {
		name     string
		bump     string
		recorded int64
	}{
		// dpkg keeps whole files: the database's contents are in the
		// skeleton, nothing is read again.
		{"whole-file extractor", "os/dpkg", 0},
		// A reducer's outputs are per version: the layers with files it
		// wants are read again, and only those.
		{"reducer (jars)", "java/archive", 1},
		{"reducer (python)", "python/dist", 1},
		{"reducer (npm)", "javascript/npm", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exs := with(tc.bump)
			c := newCache(t, objs, exs)
			got := report(t, im, scan.Options{Inventory: c.Inventory, Extractors: exs})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report (-read +cached):\n%s", diff)
			}
			if s := c.Stats(); s.Recorded != tc.recorded || s.Fallbacks != 0 {
				t.Errorf("stats %+v, want %d layers read", s, tc.recorded)
			}
		})
	}
}

// TestFallback: a layer that fails (a diff_id mismatch, data that does not
// decompress) gives the same failed report as the ordinary read, without
// that read: it would only fail again after reading as much.
func TestFallback(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	good := st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.4.6/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/3.4.6/os-release")))
	tests := map[string]*st.Artifact{
		"diff_id mismatch": st.Image(t, st.ImageSpec{Layers: [][]byte{good}, DiffIDs: []string{lt.DiffID([]byte("other")).String()}}),
		"corrupt gzip":     corruptLayer(t, good),
		"corrupt second layer": func() *st.Artifact {
			top := st.Tar(t, lt.File("etc/motd", "hello"))
			b := lt.Gzip(t, top)
			return st.Image(t, st.ImageSpec{Layers: [][]byte{good, b[:len(b)/2]}, Compression: st.None,
				DiffIDs: []string{lt.DiffID(good).String(), lt.DiffID(top).String()}})
		}(),
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			im := images(t, a)[0]
			want := report(t, im, scan.Options{})
			c := newCache(t, objs, list.All())
			got := report(t, im, scan.Options{Inventory: c.Inventory})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report (-read +cached):\n%s", diff)
			}
			if want.Status != finding.StatusFailed || c.Stats().Fallbacks != 0 {
				t.Errorf("status %s, stats %+v", want.Status, c.Stats())
			}
			if name == "corrupt second layer" && !strings.HasPrefix(got.Reason, "layer 1 (sha256:") {
				t.Errorf("reason %q, want it to name layer 1", got.Reason)
			}
		})
	}
	// The good layer is still cached when another image (with a correct
	// diff_id) uses it.
	im := images(t, st.Image(t, st.ImageSpec{Layers: [][]byte{good}}))[0]
	c := newCache(t, objs, list.All())
	if r := report(t, im, scan.Options{Inventory: c.Inventory}); r.Status != finding.StatusUnhealthy || c.Stats().Replays != 1 {
		t.Fatalf("status %s, stats %+v", r.Status, c.Stats())
	}
}

// heldStore is an object store whose Puts wait for release.
type heldStore struct {
	objects.Store
	release chan struct{}
	puts    atomic.Int64
}

func (h *heldStore) Put(ctx context.Context, name string, data []byte) error {
	<-h.release
	h.puts.Add(1)
	return h.Store.Put(ctx, name, data)
}

// TestStoreLater: with StoreLater a scan replays the skeletons it recorded
// without waiting for them to be stored; Wait waits for the stores, after
// which another cache reuses them. A layer recorded again (pins added)
// while its first recording is still being stored keeps the later one.
func TestStoreLater(t *testing.T) {
	for name, tc := range map[string]struct {
		a      *st.Artifact
		status finding.ReportStatus
		stores int64
	}{
		"two layers": {st.Image(t, st.ImageSpec{Layers: [][]byte{
			st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.4.6/installed")),
				lt.File("etc/os-release", fixture(t, "alpine/3.4.6/os-release"))),
			st.Tar(t, lt.File("etc/motd", "hello")),
		}}), finding.StatusUnhealthy, 2},
		// Four layers, two recorded again with pins: six recordings,
		// of which the two superseded may or may not be stored first.
		"paths through links": {cases(t)["paths through links"], "", -1},
	} {
		t.Run(name, func(t *testing.T) {
			dir, err := objects.Open(t.TempDir(), false)
			if err != nil {
				t.Fatal(err)
			}
			objs := &heldStore{Store: dir, release: make(chan struct{})}
			c, err := layercache.New(layercache.Config{StoreLater: true, Parallel: 8}, objs, list.All(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			im := images(t, tc.a)[0]
			type result struct {
				r   *finding.Report
				err error
			}
			done := make(chan result, 1)
			o := scan.Options{Inventory: c.Inventory, DB: db(t), Now: func() time.Time { return now }}
			go func() {
				r, err := scan.ScanImage(t.Context(), im, o)
				done <- result{r, err}
			}()
			select {
			case res := <-done:
				if res.err != nil {
					t.Fatal(res.err)
				}
				if r := res.r; (tc.status != "" && r.Status != tc.status) || len(r.Packages) == 0 {
					t.Fatalf("status %s with %d packages", r.Status, len(r.Packages))
				}
			case <-time.After(time.Minute):
				close(objs.release)
				t.Fatal("the scan waited for its skeletons to be stored")
			}
			waited := make(chan struct{})
			go func() { c.Wait(); close(waited) }()
			select {
			case <-waited:
				t.Fatal("Wait returned with the stores held")
			case <-time.After(50 * time.Millisecond):
			}
			close(objs.release)
			<-waited
			if n := objs.puts.Load(); tc.stores >= 0 && n != tc.stores {
				t.Fatalf("%d skeletons stored, want %d", n, tc.stores)
			}
			again := newCache(t, dir, list.All())
			report(t, im, scan.Options{Inventory: again.Inventory})
			if s := again.Stats(); s.Recorded != 0 || s.Pins != 0 || s.Replays != 1 {
				t.Fatalf("stats %+v: want every layer reused as last recorded", s)
			}
		})
	}
}

// corruptLayer is an image whose one layer blob is a truncated gzip stream.
func corruptLayer(t *testing.T, raw []byte) *st.Artifact {
	b := lt.Gzip(t, raw)
	return st.Image(t, st.ImageSpec{Layers: [][]byte{b[:len(b)/2]}, Compression: st.None, DiffIDs: []string{lt.DiffID(raw).String()}})
}

// panicky is an extractor whose reducer panics on every file.
type panicky struct{ extract.Extractor }

func (panicky) Reduce(string, []byte) ([]byte, error) { panic("reducer bug") }

// TestReducerPanic: a reducer that panics on a file (a parser bug that
// hostile bytes reach) fails that file for its extractor, as in the
// ordinary read, and takes nothing down: the reports with and without
// the cache are equal, and they lack the packages that reducer found.
func TestReducerPanic(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	var exs []extract.Extractor
	reducers := 0
	for _, ex := range list.All() {
		if _, ok := ex.(layer.Reducer); ok {
			ex = panicky{ex}
			reducers++
		}
		exs = append(exs, ex)
	}
	if reducers == 0 {
		t.Fatal("no extractor reduces its files")
	}
	im := images(t, cases(t)["debian, python, java, go, npm"])[0]
	all := report(t, im, scan.Options{})
	want := report(t, im, scan.Options{Extractors: exs})
	if want.Status == finding.StatusFailed || len(want.Packages) >= len(all.Packages) {
		t.Fatalf("ordinary read with panicking reducers: %s, %d packages of %d", want.Status, len(want.Packages), len(all.Packages))
	}
	c := newCache(t, objs, exs)
	for round := range 2 {
		got := report(t, im, scan.Options{Extractors: exs, Inventory: c.Inventory})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round %d: report from the cache differs (-read +cached):\n%s", round, diff)
		}
	}
}

// TestStreamedPastReduceLimit: a binary over MaxReduceBytes, read as a
// stream, is recorded and replayed as the ordinary read reads it (not
// left out as over the limit).
func TestStreamedPastReduceLimit(t *testing.T) {
	objs, err := objects.Open(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	lim := layer.Config{MaxReduceBytes: 1 << 20}
	im := images(t, cases(t)["large go binary, streamed"])[0]
	want := report(t, im, scan.Options{Limits: lim})
	if !slices.ContainsFunc(want.Packages, func(p finding.Package) bool { return p.Name == "stdlib" }) {
		t.Fatalf("the ordinary read found no Go standard library: %+v", want.Packages)
	}
	for round := range 2 {
		c, err := layercache.New(layercache.Config{Limits: lim}, objs, list.All(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		got := report(t, im, scan.Options{Limits: lim, Inventory: c.Inventory})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round %d (-read +cached):\n%s", round, diff)
		}
		if s := c.Stats(); s.Fallbacks != 0 || s.Replays != 1 {
			t.Errorf("round %d: stats %+v", round, s)
		}
	}
}
