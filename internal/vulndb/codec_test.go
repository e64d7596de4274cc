package vulndb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func TestCodecRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("osv/testdata/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := osv.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEntry(encodeEntry(nil, e))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if diff := cmp.Diff(e, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", f, diff)
		}
	}
	n := &feed.NVD{CVE: "CVE-1", Published: day(1), CVSS: []feed.CVSS{{Version: "3.1", Vector: "v", Score: 9.8, Source: "s", Primary: true}}, CWEs: []string{"CWE-1"}}
	var en Enrichment
	if err := decodePart(encodeNVD(nil, n), &en); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, en.NVD); diff != "" {
		t.Errorf("NVD (-want +got):\n%s", diff)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	files, _ := filepath.Glob("osv/testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		e, err := osv.Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(encodeEntry(nil, e))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntry(data)
		if err != nil {
			return
		}
		if _, err := decodeEntry(encodeEntry(nil, e)); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzLoad feeds arbitrary bytes (with a valid frame around them, so the
// fuzzer gets past the checksum) to the database loader.
func FuzzLoad(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte("\x02\x03abc\x01\x01"), uint8(2))
	f.Add([]byte("\x01\x05npm\x00a\x01\x08"), uint8(secPackageIndex))
	f.Fuzz(func(t *testing.T, body []byte, sec uint8) {
		data := frame(body, int(sec)%numSections)
		db, err := load("fuzz", data)
		if err != nil {
			return
		}
		for _, k := range db.keys() {
			eco, name, _ := strings.Cut(k, "\x00")
			_, _ = db.Lookup(eco, name)
			c := db.Candidates(eco, name)
			for c.Next() {
				_, _ = db.Advisory(c.Ref())
			}
		}
		_, _ = db.Get("x")
		_, _ = db.Enrichment("CVE-2024-1")
	})
}

// frame wraps body as section sec of an otherwise empty, well-formed file.
func frame(body []byte, sec int) []byte {
	var ft footer
	ft.format = formatVersion
	data := []byte(magicStart)
	for i := range ft.sections {
		ft.sections[i].off = uint64(len(data))
		if i == sec {
			ft.sections[i].n = uint64(len(body))
		}
	}
	data = append(data, body...)
	for i := range ft.sections { // meta and stamp must be JSON objects to get further
		if i != sec && (i == secMeta || i == secStamp) {
			ft.sections[i] = section{uint64(len(data)), 2}
			data = append(data, "{}"...)
		}
	}
	data = append(data, ft.marshalPrefix()...)
	sum := sha256Sum(data)
	data = append(data, sum[:]...)
	return append(data, magicEnd...)
}
