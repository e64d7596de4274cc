package rustbinary

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func compress(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
		wantErr    string
	}{
		{"no root: every package", `{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"},{"name":"b","version":"2.0.0","source":"crates.io","kind":"build"}]}`,
			[]string{"a@1.0.0"}, ""},
		{"two roots: every package", `{"packages":[{"name":"a","version":"1.0.0","source":"crates.io","root":true},{"name":"b","version":"2.0.0","source":"registry","root":true}]}`,
			[]string{"a@1.0.0", "b@2.0.0"}, ""},
		{"cycle", `{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"a","version":"1.0.0","source":"crates.io","dependencies":[2]},{"name":"b","version":"1.0.0","source":"crates.io","dependencies":[1]}]}`,
			[]string{"a@1.0.0", "b@1.0.0"}, ""},
		{"root from crates.io (cargo install)", `{"packages":[{"name":"ripgrep","version":"13.0.0","source":"crates.io","root":true}]}`,
			[]string{"ripgrep@13.0.0"}, ""},
		{"enum and Other sources", `{"packages":[{"name":"a","version":"1.0.0","source":"CratesIo"},{"name":"b","version":"1.0.0","source":{"Other":"sparse"}},{"name":"c","version":"1.0.0","source":"Git"}]}`,
			[]string{"a@1.0.0"}, ""},
		{"duplicates collapse", `{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"},{"name":"a","version":"1.0.0","source":"registry"}]}`,
			[]string{"a@1.0.0"}, ""},
		{"index out of range", `{"packages":[{"name":"a","version":"1","source":"crates.io","dependencies":[5]}]}`, nil, "out of range"},
		{"negative index", `{"packages":[{"name":"a","version":"1","source":"crates.io","dependencies":[-1]}]}`, nil, "out of range"},
		{"missing version", `{"packages":[{"name":"a","source":"crates.io"}]}`, nil, "bad name"},
		{"bad source", `{"packages":[{"name":"a","version":"1","source":42}]}`, nil, "want a string"},
		{"missing source", `{"packages":[{"name":"a","version":"1"}]}`, nil, "want a string"},
		{"not json", `{"packages":`, nil, "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(compress(t, tt.json))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("decode = %v, %v; want ErrInvalid mentioning %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range got {
				names = append(names, c.Name+"@"+c.Version)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	// A zlib bomb: 9 MiB of JSON white space in a few KiB.
	bomb := compress(t, `{"packages":[]`+strings.Repeat(" ", 9<<20)+`}`)
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	if _, err := decode(bomb); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("bomb: err = %v", err)
	}
	if _, err := read(bytes.NewReader(nil), maxCompressed+1); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("large section: err = %v", err)
	}
	if _, err := read(bytes.NewReader([]byte("short")), 10); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated section: err = %v", err)
	}
	var many strings.Builder
	many.WriteString(`{"packages":[`)
	for i := 0; i <= maxPackages; i++ {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`{"name":"a","version":"1","source":"local"}`)
	}
	many.WriteString("]}")
	if _, err := decode(compress(t, many.String())); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "packages, over") {
		t.Errorf("too many packages: err = %v", err)
	}
	if _, err := decode([]byte("not zlib")); !errors.Is(err, ErrInvalid) {
		t.Errorf("not zlib: err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(compress(f, `{"packages":[{"name":"a","version":"1","source":"crates.io","root":true,"dependencies":[0]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = decode(raw)
	})
}

// machO builds a minimal 64-bit little-endian Mach-O executable with one
// segment holding one section (no tool here writes Mach-O files; the
// layout is mach-o/loader.h's).
func machO(seg, sect string, data []byte) []byte {
	var b bytes.Buffer
	le := func(v ...any) {
		for _, x := range v {
			_ = binary.Write(&b, binary.LittleEndian, x)
		}
	}
	name16 := func(s string) [16]byte {
		var n [16]byte
		copy(n[:], s)
		return n
	}
	const headerSize, segSize, sectSize = 32, 72, 80
	off := uint64(headerSize + segSize + sectSize)
	// mach_header_64: magic, cputype (x86_64), cpusubtype, filetype
	// (MH_EXECUTE), ncmds, sizeofcmds, flags, reserved.
	le(uint32(0xfeedfacf), uint32(0x01000007), uint32(3), uint32(2), uint32(1), uint32(segSize+sectSize), uint32(0), uint32(0))
	// segment_command_64: LC_SEGMENT_64, cmdsize, segname, vmaddr,
	// vmsize, fileoff, filesize, maxprot, initprot, nsects, flags.
	le(uint32(0x19), uint32(segSize+sectSize), name16(seg), uint64(0x1000), uint64(len(data)), off, uint64(len(data)), uint32(3), uint32(3), uint32(1), uint32(0))
	// section_64: sectname, segname, addr, size, offset, align, reloff,
	// nreloc, flags, reserved1-3.
	le(name16(sect), name16(seg), uint64(0x1000), uint64(len(data)), uint32(off), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	b.Write(data)
	return b.Bytes()
}

func TestMachO(t *testing.T) {
	z := compress(t, `{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"}]}`)
	raw, err := section(machO("__DATA", ".dep-v0", z))
	if err != nil || !bytes.Equal(raw, z) {
		t.Errorf("section = %q, %v; want the data", raw, err)
	}
	if raw, err := section(machO("__TEXT", ".dep-v0", z)); raw != nil || err != nil {
		t.Errorf("other segment: section = %q, %v; want none", raw, err)
	}
	out, err := Extractor{}.Reduce("x", machO("__DATA", ".dep-v0", z))
	if err != nil || string(out) != "a\t1.0.0" {
		t.Errorf("Reduce = %q, %v", out, err)
	}
}
