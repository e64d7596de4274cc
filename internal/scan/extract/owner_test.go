package extract_test

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/apk"
	"github.com/drydock/drydock/internal/scan/extract/dpkg"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/python"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/owner/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Debian's python3-six (real status stanza, file list and PKG-INFO): the
// PyPI package it installs is listed, owned by python3-six; the same
// distribution installed by pip in /usr/local, in a later layer, is not.
func TestDebianOwnedLanguagePackage(t *testing.T) {
	info := readTestdata(t, "six-PKG-INFO")
	inv := et.Run(t, []extract.Extractor{dpkg.Extractor{}, python.Extractor{}},
		[]lt.Entry{
			lt.File("var/lib/dpkg/status", readTestdata(t, "status")),
			lt.File("var/lib/dpkg/info/python3-six.list", readTestdata(t, "python3-six.list")),
			lt.File("usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", info),
		},
		[]lt.Entry{lt.File("usr/local/lib/python3.11/dist-packages/six-1.16.0.egg-info/PKG-INFO", info)},
	)
	type owned struct{ Type, Name, Path, OwnedBy string }
	var got []owned
	for _, p := range inv.Packages {
		got = append(got, owned{string(p.Type), p.Name, p.Path, p.OwnedBy})
	}
	want := []owned{
		{"deb", "python3-six", "var/lib/dpkg/status", ""},
		{"pypi", "six", "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", "python3-six"},
		{"pypi", "six", "usr/local/lib/python3.11/dist-packages/six-1.16.0.egg-info/PKG-INFO", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// apk's installed database (real, Alpine 3.20.3): F:/R: lines name each
// package's files.
func TestAPKOwners(t *testing.T) {
	fsys := layer.NewFS(&layer.File{Path: "lib/apk/db/installed", Data: []byte(et.Fixture(t, "alpine/3.20.3/installed"))})
	all := func(string) bool { return true }
	owners, err := apk.Extractor{}.Owners(t.Context(), extract.Input{FS: fsys}, all)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"bin/busybox": "busybox", "etc/securetty": "busybox"} {
		if owners[path] != want {
			t.Errorf("owner of %s = %q, want %q", path, owners[path], want)
		}
	}
	if _, ok := owners["bin"]; ok {
		t.Error("a directory is listed as an owned file")
	}
}

// TestOwnersKeepOnlyWantedFiles: a dpkg file list of two million paths
// (50 MB). Every listed path went into the owners map (300 MB here; a
// 64 MiB list of short paths cost 1.8 GB and 13 s); only the files the
// session asks about (those holding language packages) are kept now.
func TestOwnersKeepOnlyWantedFiles(t *testing.T) {
	const info = "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
	var list strings.Builder
	for i := range 2_000_000 {
		fmt.Fprintf(&list, "/usr/share/doc/x/%07d\n", i)
	}
	list.WriteString("/" + info + "\n")
	fsys := layer.NewFS(&layer.File{Path: "var/lib/dpkg/info/python3-six.list", Data: []byte(list.String())})
	var owners map[string]string
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	owners, err := dpkg.Extractor{}.Owners(t.Context(), extract.Input{FS: fsys, Logger: slog.New(slog.DiscardHandler)},
		func(p string) bool { return p == info })
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{info: "python3-six"}, owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	if alloc, max := m1.TotalAlloc-m0.TotalAlloc, uint64(2*list.Len()); alloc > max {
		t.Errorf("%d bytes allocated for a %d-byte list, over %d", alloc, list.Len(), max)
	}
}
