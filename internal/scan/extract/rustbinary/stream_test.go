package rustbinary_test

import (
	"bytes"
	"debug/elf"
	"debug/pe"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/drydock/drydock/internal/scan/extract/rustbinary"
)

// TestReduceStreamEqualsReduce: reading a binary as a stream, in reads of
// any size, gives what reading it whole gives: the audit data of ELF, PE
// and Mach-O files, nothing for binaries without it, and the .dep-v0
// section's data, not a copy elsewhere in the file.
func TestReduceStreamEqualsReduce(t *testing.T) {
	elfBin := gunzip(t, "rust-fixture")
	decoy := rustbinary.Compress(t, `{"packages":[{"name":"decoy","version":"6.6.6","source":"crates.io"}]}`)
	// A copy of other audit data before the section (over relocations
	// that nothing here runs): found first by a search, not the section.
	decoyed := bytes.Clone(elfBin)
	copy(decoyed[0x1000:], decoy)
	// Damaged audit data in the section: an error either way.
	corrupt := func(bin []byte) []byte {
		var off int64 = -1
		if f, err := elf.NewFile(bytes.NewReader(bin)); err == nil {
			off = int64(f.Section(".dep-v0").Offset)
		} else if f, err := pe.NewFile(bytes.NewReader(bin)); err == nil {
			off = int64(f.Section(".dep-v0").Offset)
		}
		if off < 0 {
			t.Fatal("no .dep-v0 section in the fixture")
		}
		bin = bytes.Clone(bin)
		copy(bin[off+10:], "garbage garbage")
		return bin
	}
	// Audit data in a file that has no section of that name.
	unnamed := bytes.ReplaceAll(gunzip(t, "small-c-elf"), []byte(".dep-v0"), []byte(".dep-v9"))
	cases := []struct {
		name string
		bin  []byte
		want bool // audit data expected
		bad  bool // ErrInvalid expected
	}{
		{"elf", elfBin, true, false},
		{"elf with a decoy", decoyed, true, false},
		{"small elf", gunzip(t, "small-c-elf"), true, false},
		// The section name early, then far more than the search holds at
		// once.
		{"small elf padded to 20 MiB", append(gunzip(t, "small-c-elf"), make([]byte, 20<<20)...), true, false},
		{"pe", gunzip(t, "pe-fixture.exe"), true, false},
		{"mach-o", rustbinary.MachO("__DATA", ".dep-v0", decoy), true, false},
		{"mach-o, other segment", rustbinary.MachO("__TEXT", ".dep-v0", decoy), false, false},
		{"section renamed", unnamed, false, false},
		{"corrupt elf", corrupt(gunzip(t, "small-c-elf")), false, true},
		{"corrupt elf with a decoy", corrupt(decoyed), false, true},
		{"corrupt pe", corrupt(gunzip(t, "pe-fixture.exe")), false, true},
	}
	for _, p := range []string{"/bin/ls", "/bin/bash", "/usr/local/go/bin/gofmt"} {
		if b, err := os.ReadFile(p); err == nil {
			cases = append(cases, struct {
				name string
				bin  []byte
				want bool
				bad  bool
			}{p, b, false, false})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := rustbinary.Extractor{}.Reduce("x", c.bin)
			if (err != nil) != c.bad || c.bad && !errors.Is(err, rustbinary.ErrInvalid) || (want != nil) != c.want {
				t.Fatalf("Reduce = %q, %v; want audit data: %v, ErrInvalid: %v", want, err, c.want, c.bad)
			}
			for _, r := range []io.Reader{bytes.NewReader(c.bin), iotest.OneByteReader(bytes.NewReader(c.bin)), iotest.HalfReader(bytes.NewReader(c.bin))} {
				got, serr := rustbinary.Extractor{}.ReduceStream("x", r, int64(len(c.bin)))
				if (serr != nil) != c.bad || c.bad && !errors.Is(serr, rustbinary.ErrInvalid) || !bytes.Equal(got, want) {
					t.Fatalf("ReduceStream = %q, %v; Reduce = %q, %v", got, serr, want, err)
				}
			}
		})
	}
}

// FuzzReduceStream: any bytes read as a stream end without a panic or a
// hang, and what is kept is "name\tversion" lines.
func FuzzReduceStream(f *testing.F) {
	f.Add(gunzip(f, "small-c-elf"))
	f.Add(append([]byte("MZ\x90\x00.dep-v0"), rustbinary.Compress(f, `{"packages":[{"name":"a","version":"1"}]}`)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := rustbinary.Extractor{}.ReduceStream("x", bytes.NewReader(data), int64(len(data)))
		if err == nil && len(out) > 0 && bytes.Count(out, []byte("\t")) != bytes.Count(out, []byte("\n"))+1 {
			t.Errorf("ReduceStream = %q", out)
		}
	})
}
