package layer_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// prefixSel wants regular files and links under any of its prefixes.
type prefixSel []string

func (s prefixSel) Wants(p string, fi fs.FileInfo) bool {
	for _, pre := range s {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// upperSel keeps files under its prefix reduced to upper case, and drops
// files whose contents are "skip".
type upperSel string

func (s upperSel) Wants(p string, fi fs.FileInfo) bool { return strings.HasPrefix(p, string(s)) }
func (s upperSel) Reduce(p string, data []byte) ([]byte, error) {
	switch string(data) {
	case "skip":
		return nil, nil
	case "fail":
		return nil, errors.New("cannot reduce")
	}
	return bytes.ToUpper(data), nil
}

// file is what tests compare: a File without Mode/Size noise.
type file struct {
	Path  string
	Data  string
	Layer int
	Err   string
}

func files(v *layer.FS) []file {
	var out []file
	for _, f := range v.Files() {
		e := ""
		if f.Err != nil {
			e = f.Err.Error()
		}
		out = append(out, file{Path: f.Path, Data: string(f.Data), Layer: f.Layer, Err: e})
	}
	return out
}

// readAll reads layers (already encoded) into a new Reader.
func readAll(t *testing.T, cfg layer.Config, sels []layer.Selector, layers ...[]byte) (*layer.Reader, error) {
	t.Helper()
	r, err := layer.New(cfg, sels...)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		if err := r.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(l)); err != nil {
			return r, err
		}
	}
	return r, nil
}

func TestChainedView(t *testing.T) {
	tests := []struct {
		name   string
		sel    layer.Selector
		layers [][]lt.Entry
		want   []file
	}{
		{
			name: "files attributed to the layer that last wrote them",
			sel:  prefixSel{"etc/", "lib/"},
			layers: [][]lt.Entry{
				{lt.Dir("etc/"), lt.File("etc/a", "a0"), lt.File("etc/b", "b0"), lt.File("usr/x", "not wanted")},
				{lt.File("etc/b", "b1"), lt.File("lib/c", "c1")},
			},
			want: []file{{"etc/a", "a0", 0, ""}, {"etc/b", "b1", 1, ""}, {"lib/c", "c1", 1, ""}},
		},
		{
			name: "whiteout deletes from lower layers only",
			sel:  prefixSel{"etc/"},
			layers: [][]lt.Entry{
				{lt.File("etc/a", "a0"), lt.File("etc/b", "b0"), lt.File("etc/d/x", "x0")},
				{lt.File("etc/b", "b1 same layer as its whiteout"), lt.Whiteout("etc/b"), lt.Whiteout("etc/a"), lt.Whiteout("etc/d")},
			},
			want: []file{{"etc/b", "b1 same layer as its whiteout", 1, ""}},
		},
		{
			name: "opaque directory hides lower contents, keeps its own layer's",
			sel:  prefixSel{"etc/", "var/"},
			layers: [][]lt.Entry{
				{lt.File("etc/x/a", "a0"), lt.File("etc/x/sub/b", "b0"), lt.File("etc/y", "y0"), lt.File("var/z", "z0")},
				{lt.File("etc/x/c", "c1"), lt.Opaque("etc/x")},
			},
			want: []file{{"etc/x/c", "c1", 1, ""}, {"etc/y", "y0", 0, ""}, {"var/z", "z0", 0, ""}},
		},
		{
			name: "root opaque directory",
			sel:  prefixSel{"etc/"},
			layers: [][]lt.Entry{
				{lt.File("etc/a", "a0")},
				{lt.Opaque(""), lt.File("etc/b", "b1")},
			},
			want: []file{{"etc/b", "b1", 1, ""}},
		},
		{
			name: "file replaced by an unwanted entry disappears",
			sel:  prefixSel{"etc/a"},
			layers: [][]lt.Entry{
				{lt.File("etc/a", "a0"), lt.File("etc/ab", "ab0")},
				{lt.Dir("etc/a/")},
				{lt.Symlink("etc/ab", "/nowhere")},
			},
			want: nil,
		},
		{
			name: "directory replaced by a file drops its lower contents",
			sel:  prefixSel{"opt/"},
			layers: [][]lt.Entry{
				{lt.File("opt/d/a", "a0"), lt.File("opt/e", "e0")},
				{lt.File("opt/d", "now a file")},
			},
			want: []file{{"opt/d", "now a file", 1, ""}, {"opt/e", "e0", 0, ""}},
		},
		{
			name: "wanted symlink shows its target, target kept even when unwanted by path",
			sel:  prefixSel{"etc/os-release"},
			layers: [][]lt.Entry{
				{lt.Symlink("etc/os-release", "../usr/lib/os-release"), lt.File("usr/lib/os-release", "ID=debian")},
			},
			want: []file{{"etc/os-release", "ID=debian", 0, ""}},
		},
		{
			name: "symlink layer is the later of link and target",
			sel:  prefixSel{"etc/os-release", "usr/lib/os-release"},
			layers: [][]lt.Entry{
				{lt.File("usr/lib/os-release", "ID=debian")},
				{lt.Symlink("etc/os-release", "/usr/lib/os-release")},
				{lt.File("usr/lib/os-release", "ID=ubuntu")},
			},
			want: []file{{"etc/os-release", "ID=ubuntu", 2, ""}, {"usr/lib/os-release", "ID=ubuntu", 2, ""}},
		},
		{
			name: "entries under a symlinked directory land in its target",
			sel:  prefixSel{"usr/lib/apk/"},
			layers: [][]lt.Entry{
				{lt.Dir("usr/lib/"), lt.Symlink("lib", "usr/lib")},
				{lt.File("lib/apk/db/installed", "P:musl")},
			},
			want: []file{{"usr/lib/apk/db/installed", "P:musl", 1, ""}},
		},
		{
			name: "hard link shares the kept contents",
			sel:  prefixSel{"bin/"},
			layers: [][]lt.Entry{
				{lt.File("bin/a", "binary"), lt.Hardlink("bin/b", "bin/a")},
				{lt.Hardlink("bin/c", "/bin/a")},
			},
			want: []file{{"bin/a", "binary", 0, ""}, {"bin/b", "binary", 0, ""}, {"bin/c", "binary", 1, ""}},
		},
		{
			name: "hard link to an unwanted file is not kept",
			sel:  prefixSel{"bin/b"},
			layers: [][]lt.Entry{
				{lt.File("bin/a", "binary"), lt.Hardlink("bin/b", "bin/a")},
			},
			want: nil,
		},
		{
			name: "reducer output is kept, nil drops, error is kept",
			sel:  upperSel("etc/"),
			layers: [][]lt.Entry{
				{lt.File("etc/a", "hello"), lt.File("etc/b", "skip"), lt.File("etc/c", "fail")},
			},
			want: []file{{"etc/a", "HELLO", 0, ""}, {"etc/c", "", 0, "layer 0: etc/c: cannot reduce"}},
		},
		{
			name: "reducer dropping an upper version hides the lower one",
			sel:  upperSel("etc/"),
			layers: [][]lt.Entry{
				{lt.File("etc/a", "hello")},
				{lt.File("etc/a", "skip")},
			},
			want: nil,
		},
		{
			name: "absolute and dot-slash names",
			sel:  prefixSel{"etc/"},
			layers: [][]lt.Entry{
				{lt.File("./etc/a", "a"), lt.File("/etc/b", "b"), lt.File("etc//c/./d", "d")},
			},
			want: []file{{"etc/a", "a", 0, ""}, {"etc/b", "b", 0, ""}, {"etc/c/d", "d", 0, ""}},
		},
	}
	for _, tt := range tests {
		for _, enc := range []string{"tar", "gzip", "zstd", "entries"} {
			t.Run(tt.name+"/"+enc, func(t *testing.T) {
				var blobs [][]byte
				for _, l := range tt.layers {
					b := lt.Tar(t, l...)
					switch enc {
					case "gzip":
						b = lt.Gzip(t, b)
					case "zstd":
						b = lt.Zstd(t, b)
					}
					blobs = append(blobs, b)
				}
				var r *layer.Reader
				var err error
				if enc == "entries" {
					// The same layers given as entries (a tar.Reader is
					// layer.Entries) read alike.
					r, err = layer.New(layer.Config{}, tt.sel)
					for _, b := range blobs {
						if err == nil {
							err = r.ReadEntries(t.Context(), layer.Desc{}, tar.NewReader(bytes.NewReader(b)))
						}
					}
				} else {
					r, err = readAll(t, layer.Config{}, []layer.Selector{tt.sel}, blobs...)
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, files(r.FS(0))); diff != "" {
					t.Errorf("files (-want +got):\n%s", diff)
				}
				for i, info := range r.Layers() {
					want := map[string]layer.Compression{"tar": layer.Uncompressed, "gzip": layer.Gzip, "zstd": layer.Zstd, "entries": layer.Uncompressed}[enc]
					if info.Compression != want || info.Index != i {
						t.Errorf("layer %d: info %+v, want compression %s", i, info, want)
					}
				}
			})
		}
	}
}

func TestSelectorsAreIndependent(t *testing.T) {
	l := lt.Tar(t, lt.File("etc/a", "a"), lt.File("etc/b", "b"), lt.File("x/c", "c"))
	r, err := readAll(t, layer.Config{}, []layer.Selector{prefixSel{"etc/a"}, upperSel("etc/"), prefixSel{"x/"}}, l)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]file{
		{{"etc/a", "a", 0, ""}},
		{{"etc/a", "A", 0, ""}, {"etc/b", "B", 0, ""}},
		{{"x/c", "c", 0, ""}},
		nil, // out of range
	}
	for i, w := range want {
		if diff := cmp.Diff(w, files(r.FS(i))); diff != "" {
			t.Errorf("selector %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestHistoryAndAt(t *testing.T) {
	r, err := readAll(t, layer.Config{}, []layer.Selector{prefixSel{"var/lib/dpkg/status"}},
		lt.Tar(t, lt.File("var/lib/dpkg/status", "v0")),
		lt.Tar(t, lt.File("var/lib/dpkg/status", "v1")),
		lt.Tar(t, lt.File("unrelated", "")),
		lt.Tar(t, lt.File("var/lib/dpkg/status", "v3")),
	)
	if err != nil {
		t.Fatal(err)
	}
	v := r.FS(0)
	var got []file
	for _, f := range v.History("/var/lib/dpkg/status") {
		got = append(got, file{Path: f.Path, Data: string(f.Data), Layer: f.Layer})
	}
	want := []file{{"var/lib/dpkg/status", "v0", 0, ""}, {"var/lib/dpkg/status", "v1", 1, ""}, {"var/lib/dpkg/status", "v3", 3, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	if b, err := v.At(2).ReadFile("var/lib/dpkg/status"); err != nil || string(b) != "v1" {
		t.Errorf("At(2).ReadFile = %q, %v; want v1", b, err)
	}
	if n := len(v.At(2).History("var/lib/dpkg/status")); n != 2 {
		t.Errorf("At(2).History has %d versions, want 2", n)
	}

	// A deletion breaks the history.
	r, err = readAll(t, layer.Config{}, []layer.Selector{prefixSel{"s"}},
		lt.Tar(t, lt.File("s", "v0")), lt.Tar(t, lt.Whiteout("s")), lt.Tar(t, lt.File("s", "v2")))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.FS(0).History("s"); len(h) != 1 || string(h[0].Data) != "v2" {
		t.Errorf("History after deletion = %v, want just v2", h)
	}
}

// encodings are the layer encodings encode writes.
var encodings = []string{"tar", "gzip", "zstd"}

// encode returns tarball as a layer blob of encoding enc.
func encode(t *testing.T, enc string, tarball []byte) []byte {
	switch enc {
	case "gzip":
		return lt.Gzip(t, tarball)
	case "zstd":
		return lt.Zstd(t, tarball)
	}
	return tarball
}

func TestDiffID(t *testing.T) {
	tarball := lt.Tar(t, lt.File("etc/a", "a"))
	for _, enc := range encodings {
		t.Run(enc, func(t *testing.T) {
			blob := encode(t, enc, tarball)
			r, _ := layer.New(layer.Config{})
			if err := r.ReadLayer(t.Context(), layer.Desc{DiffID: lt.DiffID(tarball)}, bytes.NewReader(blob)); err != nil {
				t.Fatalf("matching diff_id: %v", err)
			}
			r, _ = layer.New(layer.Config{})
			err := r.ReadLayer(t.Context(), layer.Desc{DiffID: lt.DiffID(append([]byte("x"), tarball...))}, bytes.NewReader(blob))
			if !errors.Is(err, layer.ErrDiffIDMismatch) {
				t.Fatalf("other diff_id: err = %v, want ErrDiffIDMismatch", err)
			}
			if err2 := r.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(blob)); !errors.Is(err2, layer.ErrReaderFailed) {
				t.Errorf("ReadLayer after failure: %v, want ErrReaderFailed", err2)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := layer.New(layer.Config{MaxEntries: -1}); !errors.Is(err, layer.ErrInvalidConfig) {
		t.Errorf("New(negative) = %v, want ErrInvalidConfig", err)
	}
	if _, err := layer.New(layer.Config{}, nil); !errors.Is(err, layer.ErrInvalidConfig) {
		t.Errorf("New(nil selector) = %v, want ErrInvalidConfig", err)
	}
	sels := make([]layer.Selector, 65)
	for i := range sels {
		sels[i] = prefixSel{}
	}
	if _, err := layer.New(layer.Config{}, sels...); !errors.Is(err, layer.ErrTooManySelectors) {
		t.Errorf("New(65 selectors) = %v", err)
	}
}

func TestNewFS(t *testing.T) {
	v := layer.NewFS(&layer.File{Path: "/a/b", Data: []byte("x"), Layer: 2}, &layer.File{Path: "c", Data: []byte("y")})
	if diff := cmp.Diff([]file{{"a/b", "x", 2, ""}, {"c", "y", 0, ""}}, files(v)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := v.File("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("File(nope) = %v", err)
	}
	_ = context.Background
}

// TestReadEntriesCancelled: a layer given as entries stops when its
// context ends, with the context's error, and the reader is spent.
func TestReadEntriesCancelled(t *testing.T) {
	var es []lt.Entry
	for i := range 5000 {
		es = append(es, lt.File("f/"+strings.Repeat("x", i%50)+string(rune('a'+i%26)), "x"))
	}
	r, err := layer.New(layer.Config{}, prefixSel{"f/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = r.ReadEntries(ctx, layer.Desc{}, tar.NewReader(bytes.NewReader(lt.Tar(t, es...))))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadEntries after cancel: %v, want context.Canceled", err)
	}
	if err := r.ReadEntries(t.Context(), layer.Desc{}, tar.NewReader(bytes.NewReader(lt.Tar(t)))); !errors.Is(err, layer.ErrReaderFailed) {
		t.Fatalf("next ReadEntries: %v, want ErrReaderFailed", err)
	}
}

// failAfter returns n bytes of r, then err.
type failAfter struct {
	r   io.Reader
	n   int
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	n, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= n
	return n, err
}

// A source that fails mid-layer is a failed read, not bad data, whatever
// the compression; one that ends early is a truncated layer.
func TestSourceFailsMidLayer(t *testing.T) {
	noise := make([]byte, 4<<20) // incompressible: the source fails past the gzip reader's first chunk
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	tarball := lt.Tar(t, lt.Exec("usr/bin/noise", noise))
	boom := errors.New("connection reset by peer")
	for _, enc := range encodings {
		blob := encode(t, enc, tarball)
		for _, at := range []int{100, len(blob) / 2} { // while opening, and later
			r, _ := layer.New(layer.Config{})
			err := r.ReadLayer(t.Context(), layer.Desc{}, &failAfter{r: bytes.NewReader(blob), n: at, err: boom})
			if !errors.Is(err, boom) || errors.Is(err, layer.ErrCorrupt) {
				t.Errorf("%s, source failing at %d: err = %v, want %v and not ErrCorrupt", enc, at, err, boom)
			}
		}
		if enc == "tar" {
			continue
		}
		r, _ := layer.New(layer.Config{})
		err := r.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(blob[:len(blob)/2]))
		if !errors.Is(err, layer.ErrTruncated) {
			t.Errorf("%s, short source: err = %v, want ErrTruncated", enc, err)
		}
	}
}

// streamSel is upperSel that can also read a file as a stream: it keeps
// "streamed:" and the upper-cased contents, so that which way a file
// came is seen in the result.
type streamSel struct{ upperSel }

func (s streamSel) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != size {
		return nil, fmt.Errorf("read %d bytes of %d", len(b), size)
	}
	return append([]byte("streamed:"), bytes.ToUpper(b[:8])...), nil
}

// TestStreamReducer: a file of StreamFrom bytes or more that only a
// StreamReducer wants is streamed to it; smaller ones, and ones another
// selector also wants whole, are read whole.
func TestStreamReducer(t *testing.T) {
	big := strings.Repeat("a", layer.StreamFrom)
	l := lt.Tar(t, lt.File("etc/big", big), lt.File("etc/small", "small"), lt.File("var/big", big))
	for _, tc := range []struct {
		name string
		sels []layer.Selector
		want []file
	}{
		{"stream reducer alone", []layer.Selector{streamSel{"etc/"}},
			[]file{{"etc/big", "streamed:AAAAAAAA", 0, ""}, {"etc/small", "SMALL", 0, ""}}},
		{"beside a selector of whole files", []layer.Selector{streamSel{"etc/"}, prefixSel{"etc/big"}},
			[]file{{"etc/big", strings.ToUpper(big), 0, ""}, {"etc/small", "SMALL", 0, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := readAll(t, layer.Config{}, tc.sels, l)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, files(r.FS(0))); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// headSel reads only the first n bytes of a streamed file and keeps them
// after "head:"; it fails a file starting with "fail".
type headSel struct {
	upperSel
	n int
}

func (s headSel) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, s.n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(b, []byte("fail")) {
		return nil, errors.New("head says no")
	}
	return append([]byte("head:"), b...), nil
}

// TestStreamReducers: a large file that several StreamReducers want is
// read once, each reducer reading it as a stream of its own and stopping
// where it likes; each keeps its own result or error.
func TestStreamReducers(t *testing.T) {
	big := "fail" + strings.Repeat("b", layer.StreamFrom+3*256<<10+17)
	l := lt.Tar(t, lt.File("etc/big", strings.Repeat("a", layer.StreamFrom)), lt.File("etc/odd", big), lt.File("etc/small", "small"))
	sels := []layer.Selector{streamSel{"etc/"}, headSel{"etc/", 6}, headSel{"etc/", 1 << 20}}
	r, err := readAll(t, layer.Config{}, sels, l)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]file{
		{{"etc/big", "streamed:AAAAAAAA", 0, ""}, {"etc/odd", "streamed:FAILBBBB", 0, ""}, {"etc/small", "SMALL", 0, ""}},
		{{"etc/big", "head:aaaaaa", 0, ""}, {"etc/odd", "", 0, "layer 0: etc/odd: head says no"}, {"etc/small", "SMALL", 0, ""}},
		{{"etc/big", "head:" + strings.Repeat("a", 1<<20), 0, ""}, {"etc/odd", "", 0, "layer 0: etc/odd: head says no"}, {"etc/small", "SMALL", 0, ""}},
	}
	for i := range sels {
		if d := cmp.Diff(want[i], files(r.FS(i))); d != "" {
			t.Errorf("selector %d (-want +got)\n%s", i, d)
		}
	}

	// The layer failing while two reducers read one of its files fails
	// the layer with the source's error, not a reducer's.
	boom := errors.New("connection reset by peer")
	blob := encode(t, "gzip", l)
	for _, at := range []int{len(blob) / 3, len(blob) - 100} {
		r, _ := layer.New(layer.Config{}, sels...)
		err := r.ReadLayer(t.Context(), layer.Desc{}, &failAfter{r: bytes.NewReader(blob), n: at, err: boom})
		if !errors.Is(err, boom) {
			t.Errorf("source failing at %d of %d: err = %v, want %v", at, len(blob), err, boom)
		}
	}
}

// TestStreamedPastMaxReduceBytes: MaxReduceBytes bounds the memory of
// files read whole; a file read as a stream is not held to it, unless a
// selector that cannot read streams wants it too.
func TestStreamedPastMaxReduceBytes(t *testing.T) {
	l := lt.Tar(t, lt.File("etc/big", strings.Repeat("a", layer.StreamFrom)))
	cfg := layer.Config{MaxReduceBytes: 1 << 20}
	for _, tc := range []struct {
		name string
		sels []layer.Selector
		want file
	}{
		{"stream reducers", []layer.Selector{streamSel{"etc/"}, headSel{"etc/", 4}}, file{"etc/big", "streamed:AAAAAAAA", 0, ""}},
		{"beside a reducer of whole files", []layer.Selector{streamSel{"etc/"}, upperSel("etc/")},
			file{"etc/big", "", 0, fmt.Sprintf("layer 0: limit exceeded: file larger than %d bytes (MaxReduceBytes): etc/big", 1<<20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := readAll(t, cfg, tc.sels, l)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]file{tc.want}, files(r.FS(0))); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// unwantedEntries are tar entries that say no selector wants the regular
// files named in unwanted (layer.Unwanter), as a layer cache's record does.
type unwantedEntries struct {
	*tar.Reader
	unwanted map[string]bool
	cur      string
}

func (u *unwantedEntries) Next() (*tar.Header, error) {
	h, err := u.Reader.Next()
	if h != nil {
		u.cur = h.Name
	}
	return h, err
}

func (u *unwantedEntries) Unwanted() bool { return u.unwanted[u.cur] }

// TestUnwanter: a file the entries call unwanted is not offered to the
// selectors at its own name, but is where a parent directory is a link
// (the selectors were never asked about that path) and where a wanted
// link points at it.
func TestUnwanter(t *testing.T) {
	r, err := layer.New(layer.Config{}, prefixSel{"etc/"})
	if err != nil {
		t.Fatal(err)
	}
	lower := lt.Tar(t, lt.Symlink("cfg", "etc"), lt.Symlink("etc/link", "../srv/b"))
	if err := r.ReadEntries(t.Context(), layer.Desc{}, tar.NewReader(bytes.NewReader(lower))); err != nil {
		t.Fatal(err)
	}
	upper := lt.Tar(t, lt.File("etc/a", "a"), lt.File("cfg/c", "c"), lt.File("srv/b", "b"), lt.File("etc/d", "d"))
	es := &unwantedEntries{Reader: tar.NewReader(bytes.NewReader(upper)),
		unwanted: map[string]bool{"etc/a": true, "cfg/c": true, "srv/b": true}}
	if err := r.ReadEntries(t.Context(), layer.Desc{}, es); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.FS(0).Files() {
		got = append(got, f.Path+"="+string(f.Data))
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"etc/c=c", "etc/d=d", "etc/link=b"}, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
}
