package kev

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

func TestCatalog(t *testing.T) {
	data, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	if !(Parser{}).Sniff("kev.json", data[:min(len(data), 4096)]) {
		t.Fatal("Sniff = false")
	}
	var got []*feed.KEV
	var bad []string
	err = Parser{}.Parse(t.Context(), "kev.json", bytes.NewReader(data), func(r feed.Record) error {
		if r.Bad != nil {
			bad = append(bad, r.Bad.Record)
		} else {
			got = append(got, r.KEV)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []*feed.KEV{
		{CVE: "CVE-2021-44228", DateAdded: time.Date(2021, 12, 10, 0, 0, 0, 0, time.UTC), DueDate: time.Date(2021, 12, 24, 0, 0, 0, 0, time.UTC),
			Ransomware: "Known", Vendor: "Apache", Product: "Log4j2", Name: "Apache Log4j2 Remote Code Execution Vulnerability",
			RequiredAction: "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks."},
		{CVE: "CVE-2024-3094", DateAdded: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), DueDate: time.Date(2024, 4, 22, 0, 0, 0, 0, time.UTC),
			Ransomware: "Unknown", Vendor: "hand-written", Product: "xz", Name: "hand-written entry", RequiredAction: "Apply updates."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CVE-XXXX", "CVE-2024-0001"}, bad); diff != "" {
		t.Errorf("bad (-want +got):\n%s", diff)
	}
}

func TestNotCatalog(t *testing.T) {
	for _, doc := range []string{`[]`, `{"catalogVersion":"1"}`, `{"vulnerabilities":`} {
		if err := (Parser{}).Parse(t.Context(), "x.json", strings.NewReader(doc), func(feed.Record) error { return nil }); err == nil {
			t.Errorf("Parse(%s) = nil, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/kev.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Parser{}.Parse(t.Context(), "f.json", bytes.NewReader(data), func(r feed.Record) error {
			if r.KEV != nil && (r.KEV.CVE == "" || r.KEV.DateAdded.IsZero()) {
				t.Fatalf("emitted incomplete record %+v", r.KEV)
			}
			return nil
		})
	})
}
