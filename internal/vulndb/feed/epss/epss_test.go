package epss

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

func TestCSV(t *testing.T) {
	data, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !(Parser{}).Sniff("epss.csv", data) {
		t.Fatal("Sniff = false")
	}
	var got []*feed.EPSS
	var bad []string
	err = Parser{}.Parse(t.Context(), "epss.csv", bytes.NewReader(data), func(r feed.Record) error {
		if r.Bad != nil {
			bad = append(bad, r.Bad.Record)
		} else {
			got = append(got, r.EPSS)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2025, 6, 1, 12, 55, 0, 0, time.UTC)
	want := []*feed.EPSS{
		{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99957, Date: date, Model: "v2025.03.14"},
		{CVE: "CVE-2024-3094", Score: 0.84161, Percentile: 0.99273, Date: date, Model: "v2025.03.14"},
		{CVE: "CVE-2023-4863", Score: 0.40234, Percentile: 0.9718, Date: date, Model: "v2025.03.14"},
		{CVE: "CVE-1999-0001", Score: 0.01087, Percentile: 0.77017, Date: date, Model: "v2025.03.14"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"line 7", "line 8", "line 9", "line 10"}, bad); diff != "" {
		t.Errorf("bad (-want +got):\n%s", diff)
	}
}

func TestNoComment(t *testing.T) {
	var n int
	err := Parser{}.Parse(t.Context(), "x.csv", strings.NewReader("cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n"), func(r feed.Record) error {
		if r.EPSS == nil || !r.EPSS.Date.IsZero() {
			t.Errorf("record %+v", r)
		}
		n++
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("err %v, %d records", err, n)
	}
	for _, doc := range []string{"", "a,b,c\n1,2,3\n", "#model_version:v1,score_date:never\ncve,epss,percentile\n"} {
		if err := (Parser{}).Parse(t.Context(), "x.csv", strings.NewReader(doc), func(feed.Record) error { return nil }); err == nil {
			t.Errorf("Parse(%q) = nil, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Parser{}.Parse(t.Context(), "f.csv", bytes.NewReader(data), func(r feed.Record) error {
			if r.EPSS != nil && !(r.EPSS.Score >= 0 && r.EPSS.Score <= 1 && r.EPSS.Percentile >= 0 && r.EPSS.Percentile <= 1) {
				t.Fatalf("out of range: %+v", r.EPSS)
			}
			return nil
		})
	})
}
