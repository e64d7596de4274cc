package list_test

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
)

// debianLayer builds, once per process, a layer shaped like the Debian
// bookworm minbase root filesystem: the real dpkg status, os-release and
// debian_version, and for each of the 88 packages files adding up to its
// Installed-Size (115 MiB in all), whose contents compress about as well as
// real binaries and text do (2.3:1 with gzip -6, like the real 51 MB layer).
// It returns the paths of the uncompressed and gzip layer files.
var debianLayer = sync.OnceValues(func() ([2]string, error) {
	dir, err := os.MkdirTemp("", "drydock-bench-")
	if err != nil {
		return [2]string{}, err
	}
	benchDir = dir
	status, err := os.ReadFile(et.Manifests("debian/bookworm-minbase/status"))
	if err != nil {
		return [2]string{}, err
	}
	osRelease, _ := os.ReadFile(et.Manifests("debian/bookworm-minbase/os-release"))
	debVersion, _ := os.ReadFile(et.Manifests("debian/bookworm-minbase/debian_version"))

	plainPath, gzPath := filepath.Join(dir, "layer.tar"), filepath.Join(dir, "layer.tar.gz")
	pf, err := os.Create(plainPath)
	if err != nil {
		return [2]string{}, err
	}
	defer pf.Close()
	gf, err := os.Create(gzPath)
	if err != nil {
		return [2]string{}, err
	}
	defer gf.Close()
	zw := gzip.NewWriter(gf)
	bw := bufio.NewWriter(io.MultiWriter(pf, zw))
	tw := tar.NewWriter(bw)

	rng := rand.New(rand.NewSource(12))
	block := func(buf []byte) {
		// Some random bytes (compressed data), mostly text that compresses
		// 3.5:1 on its own (slices of the status file).
		if rng.Intn(100) < 22 {
			rng.Read(buf)
			return
		}
		off := rng.Intn(len(status) - len(buf))
		copy(buf, status[off:])
	}
	dirs := map[string]bool{}
	add := func(h *tar.Header, body []byte) error {
		for d := filepath.Dir(h.Name); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				return err
			}
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	for _, f := range []struct {
		name string
		body []byte
	}{{"usr/lib/os-release", osRelease}, {"etc/debian_version", debVersion}, {"var/lib/dpkg/status", status}} {
		if err := add(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644}, f.body); err != nil {
			return [2]string{}, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/os-release", Typeflag: tar.TypeSymlink, Linkname: "../usr/lib/os-release"}); err != nil {
		return [2]string{}, err
	}
	buf := make([]byte, 4096)
	for _, stanza := range strings.Split(string(status), "\n\n") {
		var name string
		var size int64
		for _, line := range strings.Split(stanza, "\n") {
			if v, ok := strings.CutPrefix(line, "Package: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "Installed-Size: "); ok {
				size, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if name == "" {
			continue
		}
		remaining := size << 10
		for i := 0; remaining > 0; i++ {
			// File sizes spread from 100 B to 1 MiB, like /usr.
			fsize := min(remaining, int64(100)<<rng.Intn(14))
			remaining -= fsize
			body := make([]byte, 0, fsize)
			for int64(len(body)) < fsize {
				block(buf)
				body = append(body, buf[:min(int64(len(buf)), fsize-int64(len(body)))]...)
			}
			dir := []string{"usr/bin", "usr/lib/x86_64-linux-gnu", "usr/share/doc/" + name, "usr/share/" + name}[i%4]
			mode := int64(0o644)
			if dir == "usr/bin" {
				mode = 0o755
			}
			h := &tar.Header{Name: fmt.Sprintf("%s/%s-%d", dir, name, i), Typeflag: tar.TypeReg, Mode: mode}
			if err := add(h, body); err != nil {
				return [2]string{}, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return [2]string{}, err
	}
	if err := bw.Flush(); err != nil {
		return [2]string{}, err
	}
	if err := zw.Close(); err != nil {
		return [2]string{}, err
	}
	return [2]string{plainPath, gzPath}, nil
})

// benchDir is removed by TestMain once the benchmarks are done.
var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkDebianLayer reads the Debian-like layer from a file, gzip and
// uncompressed:
//   - floor: decompression alone (klauspost gzip, the fastest Go gzip
//     decoder measured; for the tar, just reading the file), the physical
//     floor of any scanner;
//   - read: the layer reader with every extractor's selector;
//   - inventory: read + OS detection + extraction (88 packages).
//
// MB/s are of uncompressed bytes in every case.
func BenchmarkDebianLayer(b *testing.B) {
	paths, err := debianLayer()
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	gfi, _ := os.Stat(paths[1])
	b.Logf("layer: %d MB uncompressed, %d MB gzip", fi.Size()>>20, gfi.Size()>>20)
	for i, enc := range []string{"uncompressed", "gzip"} {
		path := paths[i]
		b.Run(enc+"/floor", func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = f
				if enc == "gzip" {
					zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
					if err != nil {
						b.Fatal(err)
					}
					r = zr
				}
				n, err := io.CopyBuffer(io.Discard, r, make([]byte, 256<<10))
				if err != nil || n != fi.Size() {
					b.Fatal(n, err)
				}
				f.Close()
			}
		})
		b.Run(enc+"/read", func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				var sels []layer.Selector
				for _, ex := range list.All() {
					sels = append(sels, ex)
				}
				r, err := layer.New(layer.Config{}, sels...)
				if err != nil {
					b.Fatal(err)
				}
				readFile(b, path, func(f io.Reader) error { return r.ReadLayer(context.Background(), layer.Desc{}, f) })
			}
		})
		b.Run(enc+"/inventory", func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				s, err := extract.NewSession(layer.Config{}, list.All(), nil)
				if err != nil {
					b.Fatal(err)
				}
				readFile(b, path, func(f io.Reader) error { return s.ReadLayer(context.Background(), layer.Desc{}, f) })
				inv, err := s.Extract(context.Background())
				if err != nil || len(inv.Packages) < 88 {
					b.Fatalf("%v, %d packages", err, len(inv.Packages))
				}
			}
		})
	}
}

func readFile(b *testing.B, path string, read func(io.Reader) error) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := read(f); err != nil {
		b.Fatal(err)
	}
}
