// Package extracttest runs extractors end to end in tests: it builds real
// gzip tar layers from fixture files, reads them with the layer reader and
// compares the inventory with golden files (rewritten under -update).
package extracttest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Manifests returns the absolute path of a file under
// internal/scan/testdata/manifests.
func Manifests(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "manifests", rel)
}

// Fixture returns the contents of a file under
// internal/scan/testdata/manifests.
func Fixture(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(Manifests(rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FixtureFile returns a layer entry at imagePath holding the fixture file rel.
func FixtureFile(t testing.TB, imagePath, rel string) lt.Entry {
	t.Helper()
	return lt.File(imagePath, Fixture(t, rel))
}

// Run reads layers (entries of each, gzip-compressed, with their diff_ids
// verified and digests "sha256:<diff_id hex>" recorded) and runs exs.
func Run(t testing.TB, exs []extract.Extractor, layers ...[]lt.Entry) *extract.Inventory {
	t.Helper()
	return RunOn(t, extract.Platform{}, exs, layers...)
}

// RunOn is Run for an image of platform p.
func RunOn(t testing.TB, p extract.Platform, exs []extract.Extractor, layers ...[]lt.Entry) *extract.Inventory {
	t.Helper()
	s, err := extract.NewSession(layer.Config{}, exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetPlatform(p)
	for _, entries := range layers {
		tarball := lt.Tar(t, entries...)
		blob := lt.Gzip(t, tarball)
		desc := layer.Desc{Digest: lt.DiffID(blob), DiffID: lt.DiffID(tarball)}
		if err := s.ReadLayer(t.Context(), desc, bytes.NewReader(blob)); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := s.Extract(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// Golden is the stable, readable form of a package in golden files.
type Golden struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Type          string `json:"type"`
	PURL          string `json:"purl"`
	SourceName    string `json:"sourceName,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	Arch          string `json:"arch,omitempty"`
	Distro        string `json:"distro,omitempty"`
	Layer         int    `json:"layer"`
	Path          string `json:"path"`
}

// ToGolden converts packages to their golden form.
func ToGolden(pkgs []pkg.Package) []Golden {
	out := make([]Golden, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, Golden{
			Name: p.Name, Version: p.Version, Type: string(p.Type), PURL: p.PURL,
			SourceName: p.SourceName, SourceVersion: p.SourceVersion, Arch: p.Arch,
			Distro: p.Distro.String(), Layer: p.Layer, Path: p.Path,
		})
	}
	return out
}

// CompareGolden compares pkgs with testdata/<name>.golden.json in the
// calling package's directory, rewriting it under -update.
func CompareGolden(t testing.TB, name string, pkgs []pkg.Package) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ToGolden(pkgs)); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// Gunzip reads the gzip-compressed file at path (a fixture kept
// compressed, such as an executable).
func Gunzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
