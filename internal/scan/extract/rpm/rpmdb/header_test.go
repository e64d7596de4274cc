package rpmdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is one index entry of a header blob under construction; data is
// appended to the data area and the offset filled in (unless off is set).
type entry struct {
	tag, typ, cnt uint32
	data          []byte
	off           *uint32
}

func blob(entries ...entry) []byte {
	var data []byte
	index := make([]byte, 0, 16*len(entries))
	for _, e := range entries {
		off := uint32(len(data))
		if e.off != nil {
			off = *e.off
		}
		data = append(data, e.data...)
		index = binary.BigEndian.AppendUint32(index, e.tag)
		index = binary.BigEndian.AppendUint32(index, e.typ)
		index = binary.BigEndian.AppendUint32(index, off)
		index = binary.BigEndian.AppendUint32(index, e.cnt)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(append(b, index...), data...)
}

func sEntry(tag uint32, s string) entry {
	return entry{tag: tag, typ: typeString, cnt: 1, data: []byte(s + "\x00")}
}

func i32(tag, v uint32) entry {
	return entry{tag: tag, typ: typeInt32, cnt: 1, data: binary.BigEndian.AppendUint32(nil, v)}
}

func at(off uint32) *uint32 { return &off }

func TestParseHeader(t *testing.T) {
	nvr := []entry{sEntry(tagName, "bash"), sEntry(tagVersion, "5.1.8"), sEntry(tagRelease, "6.el9")}
	with := func(es ...entry) []entry { return append(append([]entry(nil), nvr...), es...) }
	tests := []struct {
		name    string
		blob    []byte
		want    Header
		wantErr bool
	}{
		{name: "name version release", blob: blob(nvr...),
			want: Header{Name: "bash", Version: "5.1.8", Release: "6.el9"}},
		{name: "all fields", blob: blob(with(
			// the immutable region's tag is skipped like any other
			entry{tag: 63, typ: 7, cnt: 16, data: make([]byte, 16)},
			i32(tagEpoch, 2), sEntry(tagArch, "x86_64"), sEntry(tagSourceRPM, "bash-5.1.8-6.el9.src.rpm"),
			entry{tag: tagVendor, typ: typeI18NString, cnt: 1, data: []byte("Rocky Enterprise Software Foundation\x00")},
			sEntry(tagModularityLabel, "bash:5:1:c0ffee"),
			entry{tag: 1028, typ: typeInt32, cnt: 3, data: make([]byte, 12)}, // FILESIZES, unread
		)...),
			want: Header{Name: "bash", Epoch: "2", Version: "5.1.8", Release: "6.el9", Arch: "x86_64",
				SourceRPM: "bash-5.1.8-6.el9.src.rpm", Vendor: "Rocky Enterprise Software Foundation",
				ModularityLabel: "bash:5:1:c0ffee"}},
		{name: "epoch zero", blob: blob(with(i32(tagEpoch, 0))...),
			want: Header{Name: "bash", Epoch: "0", Version: "5.1.8", Release: "6.el9"}},
		{name: "a later entry replaces an earlier one", blob: blob(with(sEntry(tagRelease, "7.el9"))...),
			want: Header{Name: "bash", Version: "5.1.8", Release: "7.el9"}},
		{name: "string array: the first string", blob: blob(with(entry{tag: tagArch, typ: typeStringArray, cnt: 2, data: []byte("noarch\x00x\x00")})...),
			want: Header{Name: "bash", Version: "5.1.8", Release: "6.el9", Arch: "noarch"}},
		{name: "no release", blob: blob(sEntry(tagName, "bash"), sEntry(tagVersion, "1")), wantErr: true},
		{name: "no name", blob: blob(sEntry(tagVersion, "1"), sEntry(tagRelease, "1")), wantErr: true},
		{name: "empty name", blob: blob(with(sEntry(tagName, ""))...), wantErr: true},
		{name: "unterminated string", blob: blob(sEntry(tagVersion, "1"), sEntry(tagRelease, "1"),
			entry{tag: tagName, typ: typeString, cnt: 1, data: []byte("bash")}), wantErr: true},
		{name: "string offset past the data", blob: blob(with(entry{tag: tagArch, typ: typeString, cnt: 1, off: at(1 << 20)})...), wantErr: true},
		{name: "string with count 2", blob: blob(with(entry{tag: tagArch, typ: typeString, cnt: 2, data: []byte("a\x00")})...), wantErr: true},
		{name: "empty string array", blob: blob(with(entry{tag: tagArch, typ: typeStringArray, cnt: 0, data: []byte("a\x00")})...), wantErr: true},
		{name: "name as an integer", blob: blob(i32(tagName, 1), sEntry(tagVersion, "1"), sEntry(tagRelease, "1")), wantErr: true},
		{name: "epoch as a string", blob: blob(with(sEntry(tagEpoch, "1"))...), wantErr: true},
		{name: "epoch past the data", blob: blob(with(entry{tag: tagEpoch, typ: typeInt32, cnt: 1, data: []byte{0, 0}})...), wantErr: true},
		{name: "epoch without a value", blob: blob(with(entry{tag: tagEpoch, typ: typeInt32, cnt: 0})...), wantErr: true},
		{name: "unknown type", blob: blob(with(entry{tag: 5000, typ: 10, cnt: 1})...), wantErr: true},
		{name: "short", blob: []byte{0, 0, 0, 1}, wantErr: true},
		{name: "no entries", blob: []byte{0, 0, 0, 0, 0, 0, 0, 0}, wantErr: true},
		{name: "too many entries", blob: []byte{0, 1, 0, 0, 0, 0, 0, 0}, wantErr: true},
		{name: "too much data", blob: []byte{0, 0, 0, 1, 1, 0, 0, 0}, wantErr: true},
		{name: "trailing bytes", blob: append(blob(nvr...), 0), wantErr: true},
		{name: "truncated", blob: blob(nvr...)[:40], wantErr: true},
		{name: "two tags sharing a string", blob: blob(with(entry{tag: tagSourceRPM, typ: typeString, cnt: 1, off: at(0)})...),
			want: Header{Name: "bash", Version: "5.1.8", Release: "6.el9", SourceRPM: "bash"}},
		{name: "every tag on one string, more than the data", blob: blob(
			entry{tag: tagName, typ: typeString, cnt: 1, data: []byte("0123456789\x00")},
			entry{tag: tagVersion, typ: typeString, cnt: 1, off: at(0)},
			entry{tag: tagRelease, typ: typeString, cnt: 1, off: at(1)}), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader(tt.blob)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseHeader = %+v, %v; want ErrInvalid", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseHeaderHostileBounded: a header whose 4096 NAME entries all
// point at one 1 MiB string is scanned and copied once, not 4096 times
// (4 GiB of allocation before; at rpm's 0xffff entries and 16 MiB, 1 TiB
// and minutes per header).
func TestParseHeaderHostileBounded(t *testing.T) {
	long := append(bytes.Repeat([]byte("n"), 1<<20), 0)
	es := []entry{{tag: tagName, typ: typeString, cnt: 1, data: long}}
	for range 4095 {
		es = append(es, entry{tag: tagName, typ: typeString, cnt: 1, off: at(0)})
	}
	b := blob(append(es, sEntry(tagVersion, "1"), sEntry(tagRelease, "1"))...)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	h, err := ParseHeader(b)
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Name) != 1<<20 {
		t.Errorf("name of %d bytes, want %d", len(h.Name), 1<<20)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 2*uint64(len(b)) {
		t.Errorf("ParseHeader allocated %d bytes for a %d-byte header", alloc, len(b))
	}
}

func TestEVR(t *testing.T) {
	for _, tt := range []struct {
		h    Header
		want string
	}{
		{Header{Version: "2.28", Release: "151.el8"}, "2.28-151.el8"},
		{Header{Epoch: "1", Version: "1.1.1k", Release: "7.el8_6"}, "1:1.1.1k-7.el8_6"},
		{Header{Epoch: "0", Version: "2023c", Release: "1.el9"}, "0:2023c-1.el9"},
	} {
		if got := tt.h.EVR(); got != tt.want {
			t.Errorf("EVR() = %q, want %q", got, tt.want)
		}
	}
}
