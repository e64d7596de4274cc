package alpine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func parse(t *testing.T, name string) (map[string]*osv.Entry, []*feed.Problem) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !(Parser{}).Sniff(name, data[:min(4096, len(data))]) {
		t.Fatalf("Sniff(%s) = false", name)
	}
	recs := map[string]*osv.Entry{}
	var bad []*feed.Problem
	err = Parser{}.Parse(t.Context(), name, bytes.NewReader(data), func(r feed.Record) error {
		switch {
		case r.Bad != nil:
			bad = append(bad, r.Bad)
		case r.Advisory != nil && r.Merge:
			if recs[r.Advisory.ID] != nil {
				t.Errorf("record %s emitted twice", r.Advisory.ID)
			}
			recs[r.Advisory.ID] = r.Advisory
		default:
			t.Errorf("unexpected record %+v", r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, bad
}

func fixedIn(e *osv.Entry) []string {
	var out []string
	for _, a := range e.Affected {
		out = append(out, a.Package.Ecosystem+" "+a.Package.Name+" "+a.Ranges[0].Events[1].Fixed)
	}
	return out
}

func TestRealV38Main(t *testing.T) {
	recs, bad := parse(t, "v3.8-main.yaml")
	affected := 0
	for _, e := range recs {
		affected += len(e.Affected)
	}
	if len(recs) != 1084 || affected != 1132 || len(bad) != 0 {
		t.Fatalf("got %d records, %d affected, %d bad; want 1084, 1132, 0 (see testdata/README.md)", len(recs), affected, len(bad))
	}
	tests := []struct {
		id      string
		aliases []string
		fixed   []string
	}{
		{id: "ALPINE-XSA-207", aliases: []string{"XSA-207"}, fixed: []string{"Alpine:v3.8 xen 4.7.1-r5"}},
		{id: "ALPINE-CVE-2017-17434", aliases: []string{"CVE-2017-17434"}, fixed: []string{"Alpine:v3.8 rsync 3.1.2-r7"}},
		{id: "ALPINE-CVE-2019-5060", aliases: []string{"CVE-2019-5060", "TALOS-2019-0844"}, fixed: []string{"Alpine:v3.8 sdl2_image 2.0.5-r0"}},
		{id: "ALPINE-CVE-2016-0682"}, // only "fixed" in "0": never affected
	}
	for _, tc := range tests {
		e := recs[tc.id]
		if tc.fixed == nil {
			if e != nil {
				t.Errorf("%s: got a record for a never-affected issue: %v", tc.id, fixedIn(e))
			}
			continue
		}
		if e == nil {
			t.Errorf("%s missing", tc.id)
			continue
		}
		if diff := cmp.Diff(tc.aliases, e.Aliases); diff != "" {
			t.Errorf("%s aliases (-want +got):\n%s", tc.id, diff)
		}
		if diff := cmp.Diff(tc.fixed, fixedIn(e)); diff != "" {
			t.Errorf("%s affected (-want +got):\n%s", tc.id, diff)
		}
	}
}

func TestHandwrittenJSON(t *testing.T) {
	recs, bad := parse(t, "v3.18-main.json")
	got := map[string][]string{}
	for id, e := range recs {
		got[id] = fixedIn(e)
	}
	want := map[string][]string{
		"ALPINE-CVE-2023-5363":  {"Alpine:v3.18 openssl 3.1.4-r0"},
		"ALPINE-CVE-2023-3817":  {"Alpine:v3.18 openssl 3.1.2-r0"},
		"ALPINE-CVE-2023-2975":  {"Alpine:v3.18 openssl 3.1.2-r0"},
		"ALPINE-CVE-2022-48174": {"Alpine:v3.18 busybox 1.36.1-r1", "Alpine:v3.18 busybox 1.36.1-r2"},
		"ALPINE-CVE-2023-20593": {"Alpine:v3.18 xen 4.17.2-r0"},
		"ALPINE-XSA-434":        {"Alpine:v3.18 xen 4.17.2-r0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	var reasons []string
	for _, b := range bad {
		reasons = append(reasons, b.Record+": "+b.Err.Error())
	}
	wantBad := []string{
		`broken 1.0-r0: no advisory identifier in "CVE-????-?????"`,
		`broken bad version: bad fixed version "bad version"`,
	}
	if diff := cmp.Diff(wantBad, reasons); diff != "" {
		t.Errorf("bad records (-want +got):\n%s", diff)
	}
	if e := recs["ALPINE-CVE-2023-5363"]; e.References[0].URL != "https://security.alpinelinux.org/vuln/CVE-2023-5363" {
		t.Errorf("reference = %v", e.References)
	}
}

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"CVE-2019-14904", []string{"CVE-2019-14904"}},
		{"CVE_2019-2426", []string{"CVE-2019-2426"}},
		{"CVE 2018-16859", []string{"CVE-2018-16859"}},
		{"CVE-2019-19451.patch", []string{"CVE-2019-19451"}},
		{"CVE-2017-17434-1", []string{"CVE-2017-17434"}},
		{"CVE-2018-3639   XSA-263", []string{"CVE-2018-3639", "XSA-263"}},
		{"CVE-2018-10103 (SMB - partially fixed, but SMB printing disabled)", []string{"CVE-2018-10103"}},
		{"CVE-????-?????  XSA-295", []string{"XSA-295"}},
		{"wnpa-sec-2017-18", []string{"WNPA-SEC-2017-18"}},
		{"CVE-????-?????", nil},
		{"fixed upstream", nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Identifiers(tc.in)); diff != "" {
			t.Errorf("Identifiers(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestNotSecdb(t *testing.T) {
	for _, doc := range []string{`{"distroversion": "3.18", "packages": []}`, `[1,2]`, "distroversion: [\n"} {
		err := Parser{}.Parse(t.Context(), "x.json", strings.NewReader(doc), func(feed.Record) error { return nil })
		if err == nil {
			t.Errorf("Parse(%q) = nil, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"v3.4-community.yaml", "v3.18-main.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Parser{}.Parse(t.Context(), "f.yaml", bytes.NewReader(data), func(r feed.Record) error {
			if r.Advisory != nil {
				if err := r.Advisory.Validate(); err != nil {
					t.Fatalf("emitted an invalid advisory: %v", err)
				}
			}
			return nil
		})
	})
}
