package binstream_test

import (
	"bytes"
	"debug/elf"
	"debug/pe"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
)

// TestParseELF: the loaded segments and section table found in the first
// bytes of real executables are debug/elf's.
func TestParseELF(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{self, "/bin/ls", "/bin/sh"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Logf("%s: %v", p, err)
			continue
		}
		f, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		e, ok := binstream.ParseELF(data[:min(len(data), 64<<10)])
		if !ok {
			t.Fatalf("%s: not parsed", p)
		}
		var want []binstream.Segment
		for _, pr := range f.Progs {
			if pr.Type == elf.PT_LOAD {
				want = append(want, binstream.Segment{Off: pr.Off, Vaddr: pr.Vaddr, Filesz: pr.Filesz, Memsz: pr.Memsz, Flags: uint32(pr.Flags)})
			}
		}
		if len(e.Loads) != len(want) || e.ShNum != len(f.Sections) || e.Is64 != (f.Class == elf.ELFCLASS64) {
			t.Fatalf("%s: loads %v sections %d, want %v %d", p, e.Loads, e.ShNum, want, len(f.Sections))
		}
		for i := range want {
			if e.Loads[i] != want[i] {
				t.Errorf("%s: load %d = %+v, want %+v", p, i, e.Loads[i], want[i])
			}
		}
		for _, s := range f.Sections {
			if s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
				continue
			}
			if off, ok := e.FileOffset(s.Addr); !ok || off != int64(s.Offset) {
				t.Errorf("%s: section %s at %#x: offset %#x, %v; want %#x", p, s.Name, s.Addr, off, ok, s.Offset)
			}
		}
	}
	for _, bad := range [][]byte{nil, []byte("\x7fELF"), append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 57)...), []byte("MZ")} {
		if _, ok := binstream.ParseELF(bad); ok {
			t.Errorf("ParseELF(%q) ok", bad)
		}
	}
}

// TestWindow: a window holds what its user has not dropped, up to its
// maximum, whatever the size of the reads under it.
func TestWindow(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	copy(data[700_000:], "needle")
	for _, r := range []io.Reader{bytes.NewReader(data), &shortReader{bytes.NewReader(data), 61}, iotest.HalfReader(bytes.NewReader(data))} {
		w := binstream.NewWindow(r, 600<<10)
		if !w.Need(10) || string(w.Bytes(0, 10)) != "0123456789" {
			t.Fatal("start")
		}
		if w.Need(700 << 10) {
			t.Fatal("Need past the maximum held")
		}
		if !w.Need(500_000) {
			t.Fatal("Need")
		}
		w.Drop(500_000)
		if w.Base() != 500_000 || !w.Need(700_006) {
			t.Fatal("Need after Drop")
		}
		if at := w.Index(500_000, []byte("needle")); at != 700_000 {
			t.Fatalf("Index = %d", at)
		}
		rd := w.Reader(700_000)
		b := make([]byte, 6)
		if _, err := io.ReadFull(rd, b); err != nil || string(b) != "needle" || rd.Offset() != 700_006 {
			t.Fatalf("Reader: %q %v", b, err)
		}
		w.Drop(w.End())
		from := w.End()
		n, err := io.Copy(io.Discard, w.Reader(from))
		if err != nil || from+n != int64(len(data)) || w.End() != int64(len(data)) || !w.Done() {
			t.Fatalf("to the end: %d from %d: %v", n, from, err)
		}
	}
	w := binstream.NewWindow(bytes.NewReader(data), 300<<10)
	if _, err := io.Copy(io.Discard, w.Reader(0)); !errors.Is(err, binstream.ErrWindowFull) {
		t.Fatalf("reading past the maximum: %v", err)
	}
	w = binstream.NewWindow(iotest.ErrReader(io.ErrClosedPipe), 1<<20)
	if w.Need(1) || !errors.Is(w.Err(), io.ErrClosedPipe) {
		t.Fatalf("failing stream: %v", w.Err())
	}
}

// TestParseLayoutPE: the segments read from a PE file's first bytes are
// its sections as debug/pe reads them, at the image base.
func TestParseLayoutPE(t *testing.T) {
	data := et.Gunzip(t, "../rustbinary/testdata/pe-fixture.exe.gz")
	pf, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	base := pf.OptionalHeader.(*pe.OptionalHeader64).ImageBase
	l, ok := binstream.ParseLayout(data[:64<<10])
	if !ok || len(l.Loads) != len(pf.Sections) || len(l.Sections) != len(pf.Sections) {
		t.Fatalf("ParseLayout: %v, %+v; want %d sections", ok, l, len(pf.Sections))
	}
	for i, s := range pf.Sections {
		got := l.Loads[i]
		if got.Off != uint64(s.Offset) || got.Vaddr != base+uint64(s.VirtualAddress) || got.Filesz != uint64(s.Size) {
			t.Errorf("section %s: %+v; want offset %#x address %#x size %#x", s.Name, got, s.Offset, base+uint64(s.VirtualAddress), s.Size)
		}
		if writable := s.Characteristics&pe.IMAGE_SCN_MEM_WRITE != 0; writable != (got.Flags&binstream.PFW != 0) {
			t.Errorf("section %s: flags %#x, characteristics %#x", s.Name, got.Flags, s.Characteristics)
		}
		want := binstream.Section{Name: s.Name, Off: uint64(s.Offset), Size: uint64(s.Size), VirtualSize: uint64(s.VirtualSize)}
		if l.Sections[i] != want {
			t.Errorf("section %d: %+v; want %+v", i, l.Sections[i], want)
		}
	}
}

// shortReader reads at most n bytes at a time.
type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

func TestFormatOf(t *testing.T) {
	for _, tt := range []struct {
		head string
		want binstream.Format
	}{
		{"\x7fELF\x02\x01", binstream.FormatELF},
		{"MZ\x90\x00", binstream.FormatPE},
		{"\xfe\xed\xfa\xce", binstream.FormatMachO},
		{"\xcf\xfa\xed\xfe\x07\x00\x00\x01", binstream.FormatMachO},
		{"\xca\xfe\xba\xbe", binstream.FormatFat},
		{"\x7fEL", ""},
		{"#!/bin/sh\n", ""},
		{"", ""},
	} {
		if got := binstream.FormatOf([]byte(tt.head)); got != tt.want {
			t.Errorf("FormatOf(%q) = %q, want %q", tt.head, got, tt.want)
		}
	}
}
