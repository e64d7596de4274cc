package rpm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/scan/extract/rpm"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// databases are the real databases under testdata (see testdata/README.md),
// each with the list rpm itself printed for it in <name>.rpm-qa.tsv.
var databases = []struct {
	name, file string
	format     rpmdb.Format
}{
	{"centos5-plain", "centos5-plain.Packages.zst", rpmdb.FormatBDB}, // hash v8, little-endian
	{"centos7-plain", "centos7-plain.Packages.zst", rpmdb.FormatBDB}, // hash v9, little-endian
	{"ubi8-s390x", "ubi8-s390x.Packages.zst", rpmdb.FormatBDB},       // hash v9, big-endian
	{"built-le", "built-le.Packages", rpmdb.FormatBDB},               // db_load, 512-byte pages
	{"built-be", "built-be.Packages", rpmdb.FormatBDB},               // db_load, big-endian
	{"fedora35", "fedora35.rpmdb.sqlite.zst", rpmdb.FormatSQLite},
	{"built", "built.rpmdb.sqlite.zst", rpmdb.FormatSQLite},
	{"sle15-bci", "sle15-bci.Packages.db.zst", rpmdb.FormatNDB},
}

var (
	cacheMu sync.Mutex
	cache   = map[string][]byte{}
)

// testdata returns a file under testdata, zstd-decompressed when its name
// ends in .zst.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[name]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".zst") {
		d, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if b, err = d.DecodeAll(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	cache[name] = b
	return b
}

// tsv returns headers in the form of the rpm -qa listings in testdata
// (rpm's "(none)" for an absent tag), sorted.
func tsv(hs []rpmdb.Header) []string {
	none := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	var out []string
	for _, h := range hs {
		out = append(out, strings.Join([]string{h.Name, h.Epoch, h.Version, h.Release,
			none(h.Arch), none(h.SourceRPM), none(h.Vendor), h.ModularityLabel}, "\t"))
	}
	slices.Sort(out)
	return out
}

func TestParseMatchesRPM(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			data := testdata(t, db.file)
			format, err := rpmdb.Detect(data)
			if err != nil || format != db.format {
				t.Fatalf("Detect = %q, %v; want %q", format, err, db.format)
			}
			hs, err := rpm.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Split(strings.TrimSuffix(string(testdata(t, db.name+".rpm-qa.tsv")), "\n"), "\n")
			if diff := cmp.Diff(want, tsv(hs)); diff != "" {
				t.Errorf("packages differ from rpm -qa (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCorrupt damages every database in ways that must give an error
// wrapping ErrInvalid or ErrUnsupported, never a panic or a silently
// shorter list.
func TestCorrupt(t *testing.T) {
	type damage struct {
		name string
		f    func([]byte) []byte
	}
	truncateTo := func(frac float64) func([]byte) []byte {
		return func(b []byte) []byte { return b[:int(float64(len(b))*frac)] }
	}
	common := []damage{
		{"truncated to 90%", truncateTo(0.9)},
		{"truncated to 50%", truncateTo(0.5)},
		{"truncated to 600 bytes", func(b []byte) []byte { return b[:600] }},
	}
	specific := map[rpmdb.Format][]damage{
		rpmdb.FormatBDB: {
			{"page size 3000", func(b []byte) []byte { put32(b, 20, 3000, bdbOrder(b)); return b }},
			{"last page past the end", func(b []byte) []byte { put32(b, 32, uint32(len(b)), bdbOrder(b)); return b }},
			{"version 7", func(b []byte) []byte { put32(b, 16, 7, bdbOrder(b)); return b }},
			{"encrypted", func(b []byte) []byte { b[24] = 1; return b }},
			{"checksummed", func(b []byte) []byte { b[26] |= 1; return b }},
			{"bucket page zeroed", func(b []byte) []byte { clear(b[bdbPage(b, 1):][:26]); return b }},
			{"overflow pages zeroed", func(b []byte) []byte {
				ps := bdbPage(b, 1)
				for p := ps; p < len(b); p += ps {
					if b[p+25] == 7 {
						clear(b[p : p+ps])
					}
				}
				return b
			}},
			{"overflow chain loops", func(b []byte) []byte {
				ps := bdbPage(b, 1)
				for p := ps; p < len(b); p += ps {
					if b[p+25] == 7 {
						o := bdbOrder(b)
						put32(b, p+16, o.Uint32(b[p+8:]), o) // next page: itself
						put16(b, p+22, 1, o)
					}
				}
				return b
			}},
		},
		rpmdb.FormatNDB: {
			{"version 1", func(b []byte) []byte { put32(b, 4, 1, binary.LittleEndian); return b }},
			{"slot pages past the end", func(b []byte) []byte { put32(b, 12, 1<<20, binary.LittleEndian); return b }},
			{"slot magic", func(b []byte) []byte { b[32] ^= 0xff; return b }},
			{"blob tail", func(b []byte) []byte {
				o := ndbFirstBlob(b)
				n := binary.LittleEndian.Uint32(b[o+12:])
				b[o+16+int(n)+8] ^= 0xff // inside the 4-byte length or magic of the tail
				return b
			}},
			{"blob length", func(b []byte) []byte { put32(b, ndbFirstBlob(b)+12, 1<<30, binary.LittleEndian); return b }},
		},
		rpmdb.FormatSQLite: {
			{"no Packages table", func(b []byte) []byte {
				return bytes.ReplaceAll(b, []byte("Packages"), []byte("Pockages"))
			}},
			{"page size 1000", func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 1000); return b }},
		},
	}
	for _, db := range databases {
		for _, d := range append(slices.Clone(common), specific[db.format]...) {
			t.Run(db.name+"/"+d.name, func(t *testing.T) {
				data := d.f(bytes.Clone(testdata(t, db.file)))
				hs, err := rpm.Parse(data)
				if !errors.Is(err, rpmdb.ErrInvalid) && !errors.Is(err, rpmdb.ErrUnsupported) {
					t.Errorf("Parse = %d headers, %v; want ErrInvalid or ErrUnsupported", len(hs), err)
				}
				t.Log(err)
			})
		}
	}
}

// TestCorruptHeaders damages a header blob inside a database (its index
// count): the error says which package.
func TestCorruptHeaders(t *testing.T) {
	data := bytes.Clone(testdata(t, "sle15-bci.Packages.db.zst"))
	put32(data, ndbFirstBlob(data)+16, 0x10000, binary.BigEndian)
	_, err := rpm.Parse(data)
	if !errors.Is(err, rpmdb.ErrInvalid) || !strings.Contains(err.Error(), "package 1:") {
		t.Fatalf("Parse = %v, want ErrInvalid naming package 1", err)
	}
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, rpmdb.ErrInvalid},
		{"text", []byte("Package: dpkg\nStatus: install ok installed\n"), rpmdb.ErrInvalid},
		{"btree", append(make([]byte, 12), 0x62, 0x31, 0x05, 0x00), rpmdb.ErrUnsupported},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := rpmdb.Detect(tt.data); !errors.Is(err, tt.want) {
				t.Errorf("Detect = %v, want %v", err, tt.want)
			}
		})
	}
	if hs, err := rpm.Parse(nil); err != nil || len(hs) != 0 {
		t.Errorf("Parse(empty file) = %v, %v; want an empty database", hs, err)
	}
}

func bdbOrder(b []byte) binary.ByteOrder {
	if binary.LittleEndian.Uint32(b[12:]) == 0x061561 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// bdbPage returns the offset of page n.
func bdbPage(b []byte, n int) int { return n * int(bdbOrder(b).Uint32(b[20:])) }

// ndbFirstBlob returns the offset of the blob of the first used slot.
func ndbFirstBlob(b []byte) int {
	for o := 32; ; o += 16 {
		if off := binary.LittleEndian.Uint32(b[o+8:]); off != 0 {
			return int(off) * 16
		}
	}
}

func put32(b []byte, off int, v uint32, o binary.ByteOrder) { o.PutUint32(b[off:], v) }
func put16(b []byte, off int, v uint16, o binary.ByteOrder) { o.PutUint16(b[off:], v) }

// FuzzParseSQLite feeds Parse mutations of a real SQLite database (read
// by modernc.org/sqlite through the VFS, then the header parser); the
// Berkeley DB and NDB readers are fuzzed in package rpmdb.
func FuzzParseSQLite(f *testing.F) {
	f.Add(testdata(f, "built.rpmdb.sqlite.zst"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := rpm.Parse(data); err != nil && !errors.Is(err, rpmdb.ErrInvalid) && !errors.Is(err, rpmdb.ErrUnsupported) {
			t.Fatalf("error %v wraps neither ErrInvalid nor ErrUnsupported", err)
		}
	})
}
