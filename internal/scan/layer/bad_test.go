package layer_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// The corpus of hostile and broken layers. Each case builds its layer in
// the test (nothing to keep in sync with generator scripts) and asserts the
// exact outcome: the error, the anomalies, what the view holds.

func anomalies(r *layer.Reader) []layer.Anomaly {
	a, _ := r.Anomalies()
	return a
}

func TestNeutralisedEntries(t *testing.T) {
	tests := []struct {
		name      string
		entries   []lt.Entry
		want      []file
		anomalies []layer.Anomaly
	}{
		{
			name: "path traversal",
			entries: []lt.Entry{
				lt.File("../../etc/passwd", "root::0:0"),
				lt.File("etc/../../../etc/shadow", "root:x"),
				lt.File("etc/ok", "ok"),
			},
			want: []file{{"etc/ok", "ok", 0, ""}},
			anomalies: []layer.Anomaly{
				{Layer: 0, Kind: layer.PathTraversal, Path: "../../etc/passwd", Detail: "entry ignored"},
				{Layer: 0, Kind: layer.PathTraversal, Path: "etc/../../../etc/shadow", Detail: "entry ignored"},
			},
		},
		{
			name:    "absolute paths",
			entries: []lt.Entry{lt.File("/etc/passwd", "root::0:0"), lt.File("//etc/group", "root:x:0:")},
			want:    []file{{"etc/group", "root:x:0:", 0, ""}, {"etc/passwd", "root::0:0", 0, ""}},
			anomalies: []layer.Anomaly{
				{Layer: 0, Kind: layer.AbsolutePath, Path: "/etc/passwd", Detail: "read relative to the image root"},
				{Layer: 0, Kind: layer.AbsolutePath, Path: "//etc/group", Detail: "read relative to the image root"},
			},
		},
		{
			name: "symlink escapes resolve inside the root",
			entries: []lt.Entry{
				lt.File("etc/host-file", "inside the image"),
				lt.Symlink("etc/relative", "../../../../../../etc/host-file"),
				lt.Symlink("etc/absolute", "/etc/host-file"),
				lt.Symlink("etc/proc", "/proc/self/environ"),
			},
			want: []file{
				{"etc/absolute", "inside the image", 0, ""},
				{"etc/host-file", "inside the image", 0, ""},
				{"etc/relative", "inside the image", 0, ""},
			},
			anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.LinkEscape, Path: "etc/relative",
				Detail: "target ../../../../../../etc/host-file resolved inside the image root"}},
		},
		{
			name: "symlinked parent directory escaping the root",
			entries: []lt.Entry{
				lt.Symlink("etc/up", "../../.."),
				lt.File("etc/up/etc/x", "written through the link"),
			},
			want: []file{{"etc/x", "written through the link", 0, ""}},
			anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.LinkEscape, Path: "etc/up",
				Detail: "target ../../.. resolved inside the image root"}},
		},
		{
			name:    "hard link escape",
			entries: []lt.Entry{lt.Hardlink("etc/passwd", "../../../etc/passwd")},
			anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.LinkEscape, Path: "etc/passwd",
				Detail: "hard link to ../../../etc/passwd ignored"}},
		},
		{
			name: "device files",
			entries: []lt.Entry{
				{Name: "etc/null", Type: tar.TypeChar},
				{Name: "etc/sda", Type: tar.TypeBlock},
				{Name: "etc/fifo", Type: tar.TypeFifo},
			},
			anomalies: []layer.Anomaly{
				{Layer: 0, Kind: layer.DeviceFile, Path: "etc/null", Detail: "ignored"},
				{Layer: 0, Kind: layer.DeviceFile, Path: "etc/sda", Detail: "ignored"},
				{Layer: 0, Kind: layer.DeviceFile, Path: "etc/fifo", Detail: "ignored"},
			},
		},
		{
			name: "device file replacing a wanted file",
			entries: []lt.Entry{
				lt.File("etc/a", "a"),
				{Name: "etc/a", Type: tar.TypeChar},
			},
			anomalies: []layer.Anomaly{
				{Layer: 0, Kind: layer.DeviceFile, Path: "etc/a", Detail: "ignored"},
				{Layer: 0, Kind: layer.Duplicate, Path: "etc/a", Detail: "last entry wins"},
			},
		},
		{
			name: "duplicate entries: last wins",
			entries: []lt.Entry{
				lt.File("etc/a", "benign"),
				lt.File("etc/a", "second"),
				lt.Symlink("etc/b", "a"),
				lt.File("etc/b", "third"),
			},
			want: []file{{"etc/a", "second", 0, ""}, {"etc/b", "third", 0, ""}},
			anomalies: []layer.Anomaly{
				{Layer: 0, Kind: layer.Duplicate, Path: "etc/a", Detail: "last entry wins"},
				{Layer: 0, Kind: layer.Duplicate, Path: "etc/b", Detail: "last entry wins"},
			},
		},
		{
			name: "symlink cycle",
			entries: []lt.Entry{
				lt.Symlink("etc/a", "b"),
				lt.Symlink("etc/b", "a"),
				lt.File("etc/a/x", "unreachable"),
				lt.Symlink("etc/self", "self"),
			},
			anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.LinkLoop, Path: "etc/a/x", Detail: "entry ignored"}},
		},
		{
			name:      "empty symlink target",
			entries:   []lt.Entry{lt.Symlink("etc/a", "")},
			anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.EmptyLink, Path: "etc/a", Detail: "ignored"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readAll(t, layer.Config{}, []layer.Selector{prefixSel{"etc/"}}, lt.Tar(t, tt.entries...))
			if err != nil {
				t.Fatalf("ReadLayer: %v", err)
			}
			if diff := cmp.Diff(tt.want, files(r.FS(0))); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.anomalies, anomalies(r), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("anomalies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSymlinkCycleLookup(t *testing.T) {
	r, err := readAll(t, layer.Config{}, []layer.Selector{prefixSel{"etc/"}},
		lt.Tar(t, lt.Symlink("etc/a", "b"), lt.Symlink("etc/b", "a")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.FS(0).File("etc/a")
	var le *layer.LimitError
	if !errors.As(err, &le) || le.Limit != layer.LimitLinkHops {
		t.Errorf("File(cycle) = %v, want LimitLinkHops", err)
	}
}

func TestAnomalyCap(t *testing.T) {
	var entries []lt.Entry
	for range 10 {
		entries = append(entries, lt.File("../x", ""))
	}
	r, err := readAll(t, layer.Config{MaxAnomalies: 3}, nil, lt.Tar(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	if a, n := r.Anomalies(); len(a) != 3 || n != 10 {
		t.Errorf("Anomalies = %d kept, %d total; want 3, 10", len(a), n)
	}
}

// limitOf returns the Limit of a *LimitError, or "".
func limitOf(err error) layer.Limit {
	var le *layer.LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}

// zeros returns a compressed stream of a tar header announcing a file of
// size bytes followed by size zero bytes, built as many small
// gzip members or zstd frames so that it is cheap to make.
func bomb(t *testing.T, enc string, size int64) []byte {
	t.Helper()
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	// WriteHeader writes the header block at once; the contents never come.
	if err := tw.WriteHeader(&tar.Header{Name: "bomb", Typeflag: tar.TypeReg, Size: size, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	compress := lt.Gzip
	if enc == "zstd" {
		compress = lt.Zstd
	}
	out := compress(t, hdr.Bytes())
	member := compress(t, chunk)
	for range size / int64(len(chunk)) {
		out = append(out, member...)
	}
	return out
}

func TestBombs(t *testing.T) {
	for _, enc := range []string{"gzip", "zstd"} {
		t.Run(enc, func(t *testing.T) {
			blob := bomb(t, enc, 4<<30) // 4 GiB of zeros
			t.Logf("%s bomb: %d bytes expanding to 4 GiB", enc, len(blob))
			start := time.Now()
			_, err := readAll(t, layer.Config{}, nil, blob)
			if got := limitOf(err); got != layer.LimitRatio {
				t.Fatalf("err = %v, want LimitRatio", err)
			}
			if !errors.Is(err, layer.ErrLimit) {
				t.Errorf("errors.Is(err, ErrLimit) = false")
			}
			// Timing is logged, never asserted (shared, noisy machines):
			// the ratio limit above is what proves the bomb was cut short.
			t.Logf("%s bomb detected in %v", enc, time.Since(start))
		})
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("d/", 300) + "f"
	long := strings.Repeat("x", 5000)
	big := lt.Tar(t, lt.File("etc/big", strings.Repeat("b", 1000)), lt.File("etc/small", "s"))
	skipped := lt.Tar(t, lt.File("opt/unwanted", strings.Repeat("u", 4<<20)), lt.File("etc/small", "s"))
	tests := []struct {
		name string
		cfg  layer.Config
		blob []byte
		want layer.Limit
	}{
		{"deep nesting", layer.Config{}, lt.Tar(t, lt.File(deep, "")), layer.LimitPathDepth},
		{"deep nesting, configured", layer.Config{MaxPathDepth: 3}, lt.Tar(t, lt.File("a/b/c/d", "")), layer.LimitPathDepth},
		{"long path", layer.Config{}, lt.Tar(t, lt.File(long, "")), layer.LimitPathLength},
		{"long symlink target", layer.Config{}, lt.Tar(t, lt.Symlink("etc/l", long)), layer.LimitPathLength},
		{"too many entries", layer.Config{MaxEntries: 2}, lt.Tar(t, lt.File("a", ""), lt.File("b", ""), lt.File("c", "")), layer.LimitEntries},
		{"layer too large", layer.Config{MaxLayerBytes: 2048}, big, layer.LimitLayerBytes},
		{"layer too large, gzip", layer.Config{MaxLayerBytes: 2048}, lt.Gzip(t, big), layer.LimitLayerBytes},
		{"kept bytes", layer.Config{MaxKeptBytes: 500}, big, layer.LimitKeptBytes},
		// Contents no selector wants are skipped, not read: still counted.
		{"layer too large in skipped contents", layer.Config{MaxLayerBytes: 1 << 20}, skipped, layer.LimitLayerBytes},
		{"layer too large in skipped contents, gzip", layer.Config{MaxLayerBytes: 1 << 20}, lt.Gzip(t, skipped), layer.LimitLayerBytes},
		{"low ratio limit", layer.Config{MaxRatio: 2}, lt.Gzip(t, lt.Tar(t, lt.File("z", strings.Repeat("\x00", 80<<20)))), layer.LimitRatio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, tt.cfg, []layer.Selector{prefixSel{"etc/"}}, tt.blob)
			if got := limitOf(err); got != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestFileTooLargeIsPerFile(t *testing.T) {
	r, err := readAll(t, layer.Config{MaxFileBytes: 100}, []layer.Selector{prefixSel{"etc/"}},
		lt.Tar(t, lt.File("etc/big", strings.Repeat("b", 1000)), lt.File("etc/small", "s")))
	if err != nil {
		t.Fatal(err)
	}
	want := []file{
		{"etc/big", "", 0, "layer 0: limit exceeded: file larger than 100 bytes (MaxFileBytes): etc/big"},
		{"etc/small", "s", 0, ""},
	}
	if diff := cmp.Diff(want, files(r.FS(0))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := r.FS(0).ReadFile("etc/big"); limitOf(err) != layer.LimitFileBytes {
		t.Errorf("ReadFile(big) = %v, want LimitFileBytes", err)
	}

	// Files only reducers want have their own, larger cap.
	r, err = readAll(t, layer.Config{MaxFileBytes: 100, MaxReduceBytes: 2000}, []layer.Selector{upperSel("etc/")},
		lt.Tar(t, lt.File("etc/big", strings.Repeat("b", 1000)), lt.File("etc/huge", strings.Repeat("h", 3000))))
	if err != nil {
		t.Fatal(err)
	}
	want = []file{
		{"etc/big", strings.Repeat("B", 1000), 0, ""},
		{"etc/huge", "", 0, "layer 0: limit exceeded: file larger than 2000 bytes (MaxReduceBytes): etc/huge"},
	}
	if diff := cmp.Diff(want, files(r.FS(0))); diff != "" {
		t.Errorf("reducer caps (-want +got):\n%s", diff)
	}
}

// slowReader returns one byte at a time, sleeping in between.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return s.r.Read(p[:min(len(p), 512)])
}

func TestTimeLimit(t *testing.T) {
	blob := lt.Tar(t, lt.File("a", strings.Repeat("a", 1<<20)))
	t.Run("config timeout", func(t *testing.T) {
		r, _ := layer.New(layer.Config{Timeout: 20 * time.Millisecond})
		err := r.ReadLayer(t.Context(), layer.Desc{}, slowReader{bytes.NewReader(blob)})
		if limitOf(err) != layer.LimitTime || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want LimitTime wrapping DeadlineExceeded", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		r, _ := layer.New(layer.Config{})
		noise := make([]byte, 1<<20)
		rand.New(rand.NewSource(1)).Read(noise)
		blob := lt.Gzip(t, lt.Tar(t, lt.File("a", string(noise))))
		err := r.ReadLayer(ctx, layer.Desc{}, slowReader{bytes.NewReader(blob)})
		if limitOf(err) != layer.LimitTime {
			t.Fatalf("err = %v, want LimitTime", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r, _ := layer.New(layer.Config{})
		err := r.ReadLayer(ctx, layer.Desc{}, bytes.NewReader(blob))
		if !errors.Is(err, context.Canceled) || errors.Is(err, layer.ErrLimit) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestBrokenStreams(t *testing.T) {
	var entries []lt.Entry
	for i := range 200 {
		entries = append(entries, lt.File("etc/f"+strings.Repeat("x", i%50), strings.Repeat("content ", 100+i)))
	}
	plain := lt.Tar(t, entries...)
	unwanted := lt.Tar(t, lt.File("opt/unwanted", strings.Repeat("u", 1<<20)), lt.File("etc/a", "a"))
	gz := lt.Gzip(t, plain)
	zs := lt.Zstd(t, plain)
	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		for i := at; i < at+16 && i < len(c); i++ {
			c[i] ^= 0x5a
		}
		return c
	}
	tests := []struct {
		name string
		blob []byte
		want error
	}{
		{"truncated gzip", gz[:len(gz)/2], layer.ErrTruncated},
		{"truncated gzip trailer", gz[:len(gz)-4], layer.ErrTruncated},
		{"truncated zstd", zs[:len(zs)/2], layer.ErrTruncated},
		{"truncated tar", plain[:len(plain)/2+100], layer.ErrTruncated},
		{"truncated in skipped contents", unwanted[:len(unwanted)/2], layer.ErrTruncated},
		{"truncated in skipped contents, gzip", lt.Gzip(t, unwanted[:len(unwanted)/2]), layer.ErrTruncated},
		{"corrupt gzip", flip(gz, len(gz)/2), layer.ErrCorrupt},
		{"corrupt gzip checksum", flip(gz, len(gz)-8), layer.ErrCorrupt},
		{"corrupt zstd", flip(zs, len(zs)/2), layer.ErrCorrupt},
		{"corrupt tar header", flip(plain, 100), layer.ErrCorrupt},
		{"garbage", bytes.Repeat([]byte("not a tar "), 100), layer.ErrCorrupt},
		{"xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, make([]byte, 100)...), layer.ErrUnsupportedCompression},
		{"bzip2", []byte("BZh91AY&SY"), layer.ErrUnsupportedCompression},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, layer.Config{}, []layer.Selector{prefixSel{"etc/"}}, tt.blob)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, layer.ErrLimit) {
				t.Errorf("err = %v is a limit error", err)
			}
		})
	}
	t.Run("empty input is an empty layer", func(t *testing.T) {
		r, err := readAll(t, layer.Config{}, nil, nil)
		if err != nil || len(r.Layers()) != 1 {
			t.Fatalf("err = %v, layers %d", err, len(r.Layers()))
		}
	})
}

func TestDiffIDMismatchCorpus(t *testing.T) {
	plain := lt.Tar(t, lt.File("etc/a", "a"))
	other := lt.Tar(t, lt.File("etc/a", "b"))
	r, _ := layer.New(layer.Config{}, prefixSel{"etc/"})
	err := r.ReadLayer(t.Context(), layer.Desc{DiffID: lt.DiffID(other)}, bytes.NewReader(lt.Gzip(t, plain)))
	if !errors.Is(err, layer.ErrDiffIDMismatch) {
		t.Fatalf("err = %v", err)
	}
	if want := "want " + string(lt.DiffID(other)) + ", got " + string(lt.DiffID(plain)); !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
	// A file of the failed layer is not visible.
	if _, err := r.FS(0).File("etc/a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file of failed layer visible: %v", err)
	}
	r, _ = layer.New(layer.Config{})
	if err := r.ReadLayer(t.Context(), layer.Desc{DiffID: "sha256:zz"}, bytes.NewReader(plain)); err == nil {
		t.Error("invalid diff_id accepted")
	}
}

// manyFiles streams a tar of n empty files without holding it in memory.
func manyFiles(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		tw := tar.NewWriter(bw)
		h := &tar.Header{Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatUSTAR}
		var name [32]byte
		for i := range n {
			// 1000 directories of 1000 files.
			b := append(name[:0], "d"...)
			b = appendInt(b, i/1000)
			b = append(b, "/f"...)
			b = appendInt(b, i%1000)
			h.Name = string(b)
			if err := tw.WriteHeader(h); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		err := tw.Close()
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestMillionTinyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 1_000_000
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	r, _ := layer.New(layer.Config{}, prefixSel{"d7/f7"})
	if err := r.ReadLayer(t.Context(), layer.Desc{}, manyFiles(n)); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if got := r.Layers()[0].Entries; got != n {
		t.Errorf("entries = %d, want %d", got, n)
	}
	if got := len(r.FS(0).Files()); got != 111 { // d7/f7, d7/f70..79, d7/f700..799
		t.Errorf("kept %d files, want 11", got)
	}
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d entries in %v; heap grew %d KiB", n, elapsed, grown>>10)
	if grown > 16<<20 {
		t.Errorf("heap grew by %d MiB reading tiny files", grown>>20)
	}

	// And the entries cap stops it early: the reader gives up at the cap,
	// not after reading the million entries (timing is only logged).
	start = time.Now()
	r, _ = layer.New(layer.Config{MaxEntries: 10_000})
	err := r.ReadLayer(t.Context(), layer.Desc{}, manyFiles(n))
	if limitOf(err) != layer.LimitEntries {
		t.Fatalf("err = %v, want LimitEntries", err)
	}
	t.Logf("entries cap hit after %v", time.Since(start))
}

// unreadableEntries gives a tar stream's entries, but the contents of the
// files named in deny read as ErrUnreadable (a directory's file its user
// may not read).
type unreadableEntries struct {
	*tar.Reader
	deny map[string]bool
	cur  string
}

func (u *unreadableEntries) Next() (*tar.Header, error) {
	h, err := u.Reader.Next()
	if h != nil {
		u.cur = h.Name
	}
	return h, err
}

func (u *unreadableEntries) Read(p []byte) (int, error) {
	if u.deny[u.cur] {
		return 0, fmt.Errorf("open %s: permission denied: %w", u.cur, layer.ErrUnreadable)
	}
	return u.Reader.Read(p)
}

// TestUnreadableFileIsPerFile: a file an Entries source cannot read is
// left out with its error, for readers and reducers alike, and the layer
// goes on; any other error of the source fails the layer as a read error.
func TestUnreadableFileIsPerFile(t *testing.T) {
	blob := lt.Tar(t, lt.File("etc/secret", "s3cret"), lt.File("etc/zzz", "z"))
	for _, sel := range []layer.Selector{prefixSel{"etc/"}, upperSel("etc/")} {
		r, err := layer.New(layer.Config{}, sel)
		if err != nil {
			t.Fatal(err)
		}
		es := &unreadableEntries{Reader: tar.NewReader(bytes.NewReader(blob)), deny: map[string]bool{"etc/secret": true}}
		if err := r.ReadEntries(t.Context(), layer.Desc{}, es); err != nil {
			t.Fatal(err)
		}
		z := "z"
		if _, ok := sel.(upperSel); ok {
			z = "Z"
		}
		want := []file{
			{"etc/secret", "", 0, "layer 0: etc/secret: open etc/secret: permission denied: file unreadable"},
			{"etc/zzz", z, 0, ""},
		}
		if diff := cmp.Diff(want, files(r.FS(0))); diff != "" {
			t.Errorf("%T (-want +got):\n%s", sel, diff)
		}
	}

	r, err := layer.New(layer.Config{}, prefixSel{"etc/"})
	if err != nil {
		t.Fatal(err)
	}
	es := &unreadableEntries{Reader: tar.NewReader(io.MultiReader(bytes.NewReader(blob[:600]), iotest.ErrReader(errors.New("disk gone"))))}
	err = r.ReadEntries(t.Context(), layer.Desc{}, es)
	if err == nil || !strings.Contains(err.Error(), "read:") || errors.Is(err, layer.ErrCorrupt) {
		t.Errorf("a failing source: %v, want a read error, not a corrupt layer", err)
	}
}
