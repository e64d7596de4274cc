package osv

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseRealRecords(t *testing.T) {
	tests := []struct {
		file      string
		id        string
		affected  int
		firstEco  string
		modified  time.Time
		cves      []string
		severity0 string
	}{
		{file: "GO-2024-3228.json", id: "GO-2024-3228", affected: 2, firstEco: "Go", modified: time.Time{}.UTC()},
		{file: "RUSTSEC-2016-0001.json", id: "RUSTSEC-2016-0001", affected: 1, firstEco: "crates.io",
			modified: time.Date(2023, 6, 13, 13, 10, 24, 0, time.UTC), cves: []string{"CVE-2016-10931"},
			severity0: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{file: "GHSA-jfh8-c2jp-5v3q.json", id: "GHSA-jfh8-c2jp-5v3q", affected: 3, firstEco: "Maven", cves: []string{"CVE-2021-44228"}},
		{file: "ALSA-2022-4587.json", id: "ALSA-2022:4587", affected: 2, firstEco: "AlmaLinux:9",
			modified: time.Date(2022, 6, 30, 12, 52, 56, 0, time.UTC), cves: []string{"CVE-2022-29970"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			e, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if e.ID != tc.id || len(e.Affected) != tc.affected || e.Affected[0].Package.Ecosystem != tc.firstEco {
				t.Errorf("got id %q, %d affected, first ecosystem %q", e.ID, len(e.Affected), e.Affected[0].Package.Ecosystem)
			}
			if !tc.modified.IsZero() && !e.Modified.Equal(tc.modified) {
				t.Errorf("modified = %v, want %v", e.Modified, tc.modified)
			}
			if diff := cmp.Diff(tc.cves, e.CVEs()); diff != "" {
				t.Errorf("CVEs (-want +got):\n%s", diff)
			}
			if tc.severity0 != "" && (len(e.Severity) == 0 || e.Severity[0].Score != tc.severity0) {
				t.Errorf("severity = %v", e.Severity)
			}
			// Round trip through MarshalJSON.
			out, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if diff := cmp.Diff(e, back, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	const head = `"id":"X-1","modified":"2024-01-01T00:00:00Z"`
	tests := []struct {
		name string
		json string
		want string // substring of the error; empty: valid
	}{
		{name: "minimal", json: `{` + head + `}`},
		{name: "no id", json: `{"modified":"2024-01-01T00:00:00Z"}`, want: "id: empty"},
		{name: "space in id", json: `{"id":"A B","modified":"2024-01-01T00:00:00Z"}`, want: "white space"},
		{name: "no modified", json: `{"id":"X-1"}`, want: "missing modified"},
		{name: "bad modified", json: `{"id":"X-1","modified":"yesterday"}`, want: "modified"},
		{name: "zone-less modified", json: `{"id":"X-1","modified":"2024-01-01T10:00:00.123"}`},
		{name: "date-only published", json: `{` + head + `,"published":"2024-01-01"}`},
		{name: "not an object", json: `[1]`, want: "cannot unmarshal"},
		{name: "affected without package", json: `{` + head + `,"affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`, want: "package needs"},
		{name: "git-only without package", json: `{` + head + `,"affected":[{"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"abc"}]}]}]}`},
		{name: "git without repo", json: `{` + head + `,"affected":[{"ranges":[{"type":"GIT","events":[{"introduced":"abc"}]}]}]}`, want: "without repo"},
		{name: "unknown range type", json: `{` + head + `,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"DATE","events":[{"introduced":"0"}]}]}]}`, want: "unknown range type"},
		{name: "no events", json: `{` + head + `,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[]}]}]}`, want: "no events"},
		{name: "two fields in event", json: `{` + head + `,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}`, want: "exactly one"},
		{name: "no introduced", json: `{` + head + `,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1"}]}]}]}`, want: "no introduced"},
		{name: "last_affected and limit", json: `{` + head + `,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1.2"},{"limit":"2"}]}]}]}`},
		{name: "empty version", json: `{` + head + `,"affected":[{"package":{"ecosystem":"PyPI","name":"a"},"versions":[""]}]}`, want: "versions[0]"},
		{name: "empty severity score", json: `{` + head + `,"severity":[{"type":"CVSS_V3","score":""}]}`, want: "severity[0]"},
		{name: "reference without url", json: `{` + head + `,"references":[{"type":"WEB"}]}`, want: "references[0]"},
		{name: "null specifics", json: `{` + head + `,"database_specific":null,"affected":[{"package":{"ecosystem":"npm","name":"a"},"ecosystem_specific":null}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestSpecificsKeptRaw(t *testing.T) {
	e, err := Parse([]byte(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":{"severity":"HIGH","n":1},
		"affected":[{"package":{"ecosystem":"Debian:12","name":"a"},"ecosystem_specific":{"urgency":"low"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(e.DatabaseSpecific); got != `{"severity":"HIGH","n":1}` {
		t.Errorf("database_specific = %s", got)
	}
	if got := string(e.Affected[0].EcosystemSpecific); got != `{"urgency":"low"}` {
		t.Errorf("ecosystem_specific = %s", got)
	}
}

func TestCVEsAndGitOnly(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want []string
	}{
		{name: "id", e: Entry{ID: "CVE-2024-1234", Aliases: []string{"GHSA-x", "CVE-2024-1234"}}, want: []string{"CVE-2024-1234"}},
		{name: "aliases", e: Entry{ID: "GHSA-x", Aliases: []string{"CVE-2024-1", "CVE-2024-12345"}, Related: []string{"CVE-2000-1111"}}, want: []string{"CVE-2024-12345"}},
		{name: "related when no alias", e: Entry{ID: "ALSA-2022:1", Related: []string{"CVE-2022-29970", "RHSA-1"}}, want: []string{"CVE-2022-29970"}},
		{name: "none", e: Entry{ID: "GO-2024-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.e.CVEs()); diff != "" {
				t.Errorf("CVEs (-want +got):\n%s", diff)
			}
		})
	}
	git := Affected{Ranges: []Range{{Type: RangeGit, Repo: "r", Events: []Event{{Introduced: "a"}}}}}
	mixed := Affected{Ranges: []Range{{Type: RangeGit}, {Type: RangeSemver}}}
	withVersions := Affected{Ranges: git.Ranges, Versions: []string{"1.0"}}
	if !git.GitOnly() || mixed.GitOnly() || withVersions.GitOnly() || (&Affected{}).GitOnly() {
		t.Error("GitOnly wrong")
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"X","modified":"2024-01-01","affected":[{"ranges":[{"type":"GIT","events":[{}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal a valid entry: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
	})
}
