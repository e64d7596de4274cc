// Package rpmtest gives tests outside package rpm real rpm databases from
// its testdata.
package rpmtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TruncatedDB returns the first half of a real rpm database (CentOS 7's
// Berkeley DB Packages file, rpm's testdata centos7-plain.Packages.zst):
// a database damaged in the image, which the rpm extractor cannot read.
func TruncatedDB(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0) // internal/scan/extract/rpm/rpmtest/rpmtest.go
	z, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "centos7-plain.Packages.zst"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b, err := d.DecodeAll(z, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b[:len(b)/2]
}
