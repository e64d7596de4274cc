package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/vulndb"
)

// fuzzNames are the file names the fuzzer gives its input: the names
// steer the feed sniffing and the archive handling.
var fuzzNames = []string{"GO-2024-3228.json", "all.zip", "v3.18-main.json.gz", "tracker.json", "kev.json",
	"epss.csv.gz", "CVE-2021-28429.json", "nvdcve-2.0-modified.json.gz", "x.yaml"}

// FuzzImport imports any file, under any of the names above, with small
// limits: the sniffing, the gzip and zip readers with their limits, and
// every feed parser behind them must not panic, hang or exceed the limits.
func FuzzImport(f *testing.F) {
	for i, p := range []string{"../feed/osv/testdata/GO-2024-3228.json", "", "../feed/alpine/testdata/v3.18-main.json",
		"../feed/debian/testdata/tracker.json", "../feed/kev/testdata/kev.json", "../feed/epss/testdata/epss.csv", "../feed/nvd/testdata/CVE-2021-28429.json"} {
		var b []byte
		switch {
		case p == "":
			b = zipOf(f, map[string][]byte{"GO-2024-3228.json": readSeed(f, "../feed/osv/testdata/GO-2024-3228.json"), "x/": nil})
		case fuzzNames[i] != filepath.Base(p):
			b = gzipOf(f, readSeed(f, p))
		default:
			b = readSeed(f, p)
		}
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, fuzzNames[int(which)%len(fuzzNames)])
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs, err := Prepare([]string{file})
		if err != nil {
			return
		}
		defer func() {
			for _, in := range inputs {
				in.Close()
			}
		}()
		s, err := vulndb.NewStore(filepath.Join(dir, "vulndb"), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer b.Abort()
		limits := Limits{MaxFileSize: 4 << 20, MaxEntrySize: 1 << 20, MaxTotalSize: 8 << 20, MaxRatio: 100}
		_, _ = Import(t.Context(), b, inputs, Options{Limits: limits, Workers: 1})
	})
}

func readSeed(f *testing.F, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func gzipOf(f *testing.F, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		f.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(f *testing.F, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			f.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}
