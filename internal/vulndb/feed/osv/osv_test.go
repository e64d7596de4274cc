package osv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func parseFile(t *testing.T, name string) []feed.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !(Parser{}).Sniff(name, data[:min(len(data), 4096)]) {
		t.Fatalf("Sniff(%s) = false", name)
	}
	var recs []feed.Record
	err = Parser{}.Parse(t.Context(), name, bytes.NewReader(data), func(r feed.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return recs
}

func TestParse(t *testing.T) {
	tests := []struct {
		file     string
		id       string
		pkg      string
		events   []osv.Event
		versions int
		bad      string
	}{
		{file: "GO-2024-3228.json", id: "GO-2024-3228", pkg: "github.com/coder/coder", events: []osv.Event{{Introduced: "0"}}},
		{file: "PYSEC-2020-342.yaml", id: "PYSEC-2020-342", pkg: "apache-skywalking", events: []osv.Event{{Introduced: "0"}}, versions: 10},
		{file: "handwritten.yaml", id: "DRYDOCK-TEST-2024-0001", pkg: "Example_Package", events: []osv.Event{{Introduced: "0"}, {Fixed: "1.10"}}, versions: 3},
		{file: "malformed.yaml", bad: "no introduced event"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			recs := parseFile(t, tc.file)
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			r := recs[0]
			if tc.bad != "" {
				if r.Bad == nil || !strings.Contains(r.Bad.Error(), tc.bad) || !errors.Is(r.Bad, osv.ErrInvalid) {
					t.Fatalf("got %+v, want a Bad record about %q", r, tc.bad)
				}
				if r.Bad.Record != "DRYDOCK-TEST-2024-0002" {
					t.Errorf("Bad.Record = %q, want the record id", r.Bad.Record)
				}
				return
			}
			e := r.Advisory
			if e == nil {
				t.Fatalf("got %+v, want an advisory", r)
			}
			a := e.Affected[0]
			if e.ID != tc.id || a.Package.Name != tc.pkg || len(a.Versions) != tc.versions {
				t.Errorf("got %s %s %d versions", e.ID, a.Package.Name, len(a.Versions))
			}
			if diff := cmp.Diff(tc.events, a.Ranges[0].Events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandwrittenYAMLDetails(t *testing.T) {
	e := parseFile(t, "handwritten.yaml")[0].Advisory
	if got := e.Affected[0].Versions; !cmp.Equal(got, []string{"1.0", "1.9", "1.10rc1"}) {
		t.Errorf("versions = %q", got)
	}
	if got := string(e.Affected[0].DatabaseSpecific); got != `{"source":"hand-written","cvss_score":7.5,"reviewed":true}` {
		t.Errorf("database_specific = %s", got)
	}
	if got := e.Published.Format("2006-01-02"); got != "2024-04-30" {
		t.Errorf("published = %s", got)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name, head string
		want       bool
	}{
		{"a.json", `{"id":"X","modified":"2024"}`, true},
		{"a.json", ` {"schema_version":"1.6.0"`, true},
		{"a.json", `{"vulnerabilities":[]}`, false},
		{"a.yaml", "id: X\nmodified: 2024\n", true},
		{"a.txt", "id: X\n", false},
		{"a.yaml", "distroversion: v3.11\n", false},
	}
	for _, tc := range tests {
		if got := (Parser{}).Sniff(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("Sniff(%q, %q) = %v, want %v", tc.name, tc.head, got, tc.want)
		}
	}
}

func TestNotJSON(t *testing.T) {
	var bad *feed.Problem
	err := Parser{}.Parse(t.Context(), "x.json", strings.NewReader(`{"id": "TRUNC`), func(r feed.Record) error {
		bad = r.Bad
		return nil
	})
	if err != nil || bad == nil || bad.Record != "x.json" {
		t.Fatalf("err %v, bad %v; want a Bad record named after the file", err, bad)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"GO-2024-3228.json", "PYSEC-2020-342.yaml", "handwritten.yaml", "malformed.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Ext(n), b)
	}
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		err := Parser{}.Parse(t.Context(), "f"+ext, bytes.NewReader(data), func(r feed.Record) error {
			if (r.Advisory == nil) == (r.Bad == nil) {
				t.Fatalf("record with neither or both of Advisory and Bad: %+v", r)
			}
			if r.Advisory != nil {
				if err := r.Advisory.Validate(); err != nil {
					t.Fatalf("emitted an invalid advisory: %v", err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Parse returned %v; a single-record file reports problems as Bad records", err)
		}
	})
}
