package java_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/scan/extract/java"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestInflatingBoundedByArchiveSize: an archive of a few hundred kilobytes
// holding four honest nested jars of 32 MiB each (a stored file of zeros
// and a pom.properties; each deflates to 32 KiB). Reading them allocated
// 309 MB (up to maxTotalBytes, 256 MiB, inflated per file: a layer of
// such files was hours of work); now an archive inflates at most 32 times
// its size, and the outer artifact is still reported.
func TestInflatingBoundedByArchiveSize(t *testing.T) {
	var nested bytes.Buffer
	zw := zip.NewWriter(&nested)
	zeros := make([]byte, 32<<20)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "data.bin", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(zeros)
	w, _ = zw.Create("META-INF/maven/in/ner/pom.properties")
	w.Write([]byte("groupId=in\nartifactId=ner\nversion=1\n"))
	zw.Close()
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(nested.Bytes())
	fw.Close()

	var outer bytes.Buffer
	zw = zip.NewWriter(&outer)
	w, _ = zw.Create("META-INF/maven/a/b/pom.properties")
	w.Write([]byte("groupId=a\nartifactId=b\nversion=1\n"))
	for _, name := range []string{"lib/n1.jar", "lib/n2.jar", "lib/n3.jar", "lib/n4.jar"} {
		raw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(nested.Bytes()),
			CompressedSize64: uint64(deflated.Len()), UncompressedSize64: uint64(nested.Len())})
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(deflated.Bytes())
	}
	zw.Close()

	var out []byte
	alloc := allocated(func() {
		if out, err = (java.Extractor{}).Reduce("x.jar", outer.Bytes()); err != nil {
			t.Fatal(err)
		}
	})
	if got := string(out); !strings.Contains(got, "\nown\ta\tb\t1\t\n") {
		t.Errorf("Reduce = %q, want the outer artifact", got)
	}
	if max := uint64(64 * outer.Len()); alloc > max {
		t.Errorf("Reduce of a %d-byte archive allocated %d bytes, over %d", outer.Len(), alloc, max)
	}
}

// TestEntriesCountedBeforeParsing: an archive of 250,000 empty entries
// (19 MB) is over the 200,000-entry bound. zip.NewReader made a record of
// each (58 MB; at MaxReduceBytes, 1.3 GB) before they were counted; their
// signatures are counted first now.
func TestEntriesCountedBeforeParsing(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for range 250_000 {
		if _, err := zw.CreateRaw(&zip.FileHeader{Name: "a", Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	var out []byte
	var err error
	alloc := allocated(func() { out, err = (java.Extractor{}).Reduce("x.jar", b.Bytes()) })
	if out != nil || err != nil {
		t.Errorf("Reduce = %q, %v; want nothing", out, err)
	}
	if alloc > 1<<20 {
		t.Errorf("Reduce of %d bytes allocated %d", b.Len(), alloc)
	}
}
