package java_test

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract/java"
)

// layout rewrites a zip archive's entries (in their order) as one kind of
// writer lays them out:
//   - "descriptors": sizes and CRC after the data, as Go's archive/zip and
//     Java's ZipOutputStream write deflated entries;
//   - "sizes": sizes in the local headers, as jar, Maven and Gradle write
//     archives to a file;
//   - "stored": every entry stored, sizes after the data (Go's writer).
func layout(t testing.TB, archive []byte, kind string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		switch kind {
		case "sizes":
			raw, err := f.OpenRaw()
			if err != nil {
				t.Fatal(err)
			}
			fh := f.FileHeader
			fh.Flags &^= 0x8
			w, err := zw.CreateRaw(&fh)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, raw); err != nil {
				t.Fatal(err)
			}
		default:
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			method := zip.Deflate
			if kind == "stored" {
				method = zip.Store
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fatJar is a Spring Boot style archive: its own pom.properties and
// manifest, stored nested jars in BOOT-INF/lib, classes, and a stored
// entry that contains the bytes of a data descriptor signature.
func fatJar(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, method uint16, data []byte) {
		fh := &zip.FileHeader{Name: name, Method: method, CRC32: crc32.ChecksumIEEE(data),
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))}
		if method == zip.Deflate {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			return
		}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	add("META-INF/MANIFEST.MF", zip.Deflate, []byte("Manifest-Version: 1.0\nStart-Class: com.example.App\nImplementation-Title: app\nImplementation-Version: 3.1.0\n"))
	add("META-INF/maven/com.example/app/pom.properties", zip.Deflate, []byte("groupId=com.example\nartifactId=app\nversion=3.1.0\n"))
	add("BOOT-INF/classes/com/example/App.class", zip.Deflate, bytes.Repeat([]byte("\xca\xfe\xba\xbe class "), 5000))
	add("BOOT-INF/lib/snakeyaml-1.33.jar", zip.Store, []byte(snakeyaml(t)))
	add("BOOT-INF/lib/log4j-1.2-1.2.17.jar", zip.Store, []byte(log4j(t)))
	add("BOOT-INF/classes/tricky.bin", zip.Store, []byte("before PK\x07\x08 after, and PK\x07\x08\x00\x00\x00\x00\x05\x00\x00\x00 too"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// twoManifests is a jar with two META-INF/MANIFEST.MF entries (zip allows
// it): the last one counts, both ways.
func twoManifests(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range []string{"Implementation-Title: first\nImplementation-Version: 1.0\n", "Implementation-Title: second\nImplementation-Version: 2.0\n"} {
		w, err := zw.Create("META-INF/MANIFEST.MF")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("Manifest-Version: 1.0\n" + m))
	}
	zw.Close()
	return buf.Bytes()
}

// TestReduceStreamEqualsReduce: an archive read as a stream reduces to
// what the whole archive does, in every layout writers use.
func TestReduceStreamEqualsReduce(t *testing.T) {
	shaded := jar(t, map[string]string{
		"META-INF/maven/com.example/app/pom.properties":        "groupId=com.example\nartifactId=app\nversion=2.0.0\n",
		"META-INF/maven/com.google.guava/guava/pom.properties": "groupId=com.google.guava\nartifactId=guava\nversion=31.1-jre\n",
		"META-INF/MANIFEST.MF":                                 "Manifest-Version: 1.0\nImplementation-Title: app\nImplementation-Version: 2.0.0\n",
	})
	war := jar(t, map[string]string{
		"WEB-INF/lib/snakeyaml-1.33.jar": snakeyaml(t),
		"WEB-INF/lib/shaded.jar":         shaded,
		"WEB-INF/lib/broken.jar":         "not a zip",
		"index.html":                     "<html/>",
	})
	archives := map[string][]byte{
		"snakeyaml-1.33.jar":      []byte(snakeyaml(t)),
		"log4j-1.2-1.2.17.jar":    []byte(log4j(t)),
		"shaded.jar":              []byte(shaded),
		"app.war":                 []byte(war),
		"app.ear":                 []byte(jar(t, map[string]string{"app.war": war, "lib/log4j.jar": log4j(t)})),
		"manifest-only-2.6.jar":   []byte(jar(t, map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.commons.lang\nBundle-Version: 2.6\n"})),
		"no-metadata-1.0.jar":     []byte(jar(t, map[string]string{"a/B.class": "x"})),
		"two-manifests.jar":       twoManifests(t),
		"app-3.1.0.jar (fat jar)": fatJar(t),
	}
	for name, a := range archives {
		for _, kind := range []string{"as written", "descriptors", "sizes", "stored"} {
			b := a
			if kind != "as written" {
				b = layout(t, a, kind)
			}
			p := "srv/" + strings.TrimSuffix(name, " (fat jar)")
			want, werr := java.Extractor{}.Reduce(p, b)
			got, gerr := java.Extractor{}.ReduceStream(p, bytes.NewReader(b), int64(len(b)))
			if (werr != nil) != (gerr != nil) {
				t.Errorf("%s %s: errors %v (whole), %v (stream)", name, kind, werr, gerr)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("%s %s: (-whole +stream)\n%s", name, kind, d)
			}
			if len(want) == 0 && name != "no-metadata-1.0.jar" {
				t.Errorf("%s %s: nothing found", name, kind)
			}
		}
	}
}

// TestReduceStreamNotAZip: what is not a zip archive is dropped, as
// Reduce drops it; a truncated archive is an error or what was found
// before the cut, never a hang or a panic.
func TestReduceStreamNotAZip(t *testing.T) {
	for _, data := range []string{"", "not a zip at all", "PK\x03\x04short"} {
		out, err := java.Extractor{}.ReduceStream("x.jar", strings.NewReader(data), int64(len(data)))
		if out != nil || (err != nil && data != "PK\x03\x04short") {
			t.Errorf("%q: %q, %v", data, out, err)
		}
	}
	fat := fatJar(t)
	for cut := 0; cut < len(fat); cut += 97 {
		java.Extractor{}.ReduceStream("x.jar", bytes.NewReader(fat[:cut]), int64(cut))
	}
}

// TestReduceStreamBomb: an entry that only a data descriptor ends and that
// inflates without measure is inflated (to find its end) within
// maxRatio times the archive's size: the read stops there, with what was
// found before it (here nothing: the pom.properties after it is never
// reached, where inflating all 128 MiB would reach it).
func TestReduceStreamBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("zeros.bin") // deflated, with a data descriptor
	zero := make([]byte, 1<<20)
	for range 128 { // 128 MiB of zeros, about 128 KB deflated
		w.Write(zero)
	}
	w, _ = zw.Create("META-INF/maven/a/b/pom.properties")
	w.Write([]byte("groupId=a\nartifactId=b\nversion=1\n"))
	zw.Close()
	start := time.Now()
	out, err := java.Extractor{}.ReduceStream("bomb.jar", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if out != nil || err != nil {
		t.Errorf("ReduceStream = %q, %v; want the read stopped at the bomb", out, err)
	}
	t.Logf("stopped after %v", time.Since(start)) // logged, never asserted
}

func FuzzReduceStream(f *testing.F) {
	f.Add(fatJar(f))
	f.Add([]byte(snakeyaml(f)))
	f.Add(layout(f, []byte(log4j(f)), "stored"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = java.Extractor{}.ReduceStream("x.jar", bytes.NewReader(data), int64(len(data)))
	})
}
