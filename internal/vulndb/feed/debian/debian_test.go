package debian

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

func TestTracker(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "tracker.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !(Parser{}).Sniff("json", data[:min(4096, len(data))]) {
		t.Fatal("Sniff = false")
	}
	got := map[string][]string{}
	aliases := map[string][]string{}
	var bad []string
	err = Parser{}.Parse(t.Context(), "tracker.json", bytes.NewReader(data), func(r feed.Record) error {
		if r.Bad != nil {
			bad = append(bad, r.Bad.Record)
			return nil
		}
		if !r.Merge {
			t.Errorf("%s: not marked as a fragment", r.Advisory.ID)
		}
		e := r.Advisory
		aliases[e.ID] = e.Aliases
		for _, a := range e.Affected {
			ev := a.Ranges[0].Events
			fixed := "-"
			if len(ev) == 2 {
				fixed = ev[1].Fixed
			}
			got[e.ID] = append(got[e.ID], a.Package.Ecosystem+" "+a.Package.Name+" fixed="+fixed+" "+string(a.EcosystemSpecific))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"DEBIAN-CVE-2023-0286": {
			`Debian:10 openssl fixed=- {"status":"open","urgency":"end-of-life"}`,
			`Debian:11 openssl fixed=1.1.1t-0+deb11u1 {"status":"resolved","urgency":"high"}`,
			`Debian:12 openssl fixed=3.0.8-1 {"status":"resolved","urgency":"not yet assigned"}`,
		},
		"DEBIAN-CVE-2010-0928": {
			`Debian:12 openssl fixed=- {"status":"open","urgency":"unimportant"}`,
			`Debian:13 openssl fixed=- {"status":"open","urgency":"unimportant"}`,
		},
		"DEBIAN-CVE-2023-38545": {
			`Debian:12 curl fixed=7.88.1-10+deb12u4 {"status":"resolved","urgency":"high"}`,
		},
		"DEBIAN-CVE-2024-2398": {
			`Debian:11 curl fixed=- {"status":"undetermined","urgency":"low*","nodsa":"Minor issue","nodsa_reason":"ignored"}`,
			`Debian:12 curl fixed=- {"status":"open","urgency":"medium**","nodsa":"Minor issue","nodsa_reason":"postponed"}`,
		},
		"DEBIAN-TEMP-0000000-ABCDEF": {
			`Debian:12 curl fixed=- {"status":"open","urgency":"low"}`,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CVE-2023-0286"}, aliases["DEBIAN-CVE-2023-0286"]); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if aliases["DEBIAN-TEMP-0000000-ABCDEF"] != nil {
		t.Errorf("TEMP id got aliases %v", aliases["DEBIAN-TEMP-0000000-ABCDEF"])
	}
	wantBad := []string{"broken/CVE-2024-0001", "broken/CVE-2024-0002", "broken/CVE-2024-0003", "broken/CVE-2024-0004", "broken/DSA-5000-1"}
	if diff := cmp.Diff(wantBad, bad); diff != "" {
		t.Errorf("bad (-want +got):\n%s", diff)
	}
}

func TestReleasesAreNumbers(t *testing.T) {
	for name, num := range Releases {
		if num == "" || strings.ContainsAny(num, " :") {
			t.Errorf("%s -> %q", name, num)
		}
	}
	if Releases["bookworm"] != "12" || Releases["bullseye"] != "11" || Releases["trixie"] != "13" {
		t.Error("bookworm/bullseye/trixie mapping wrong")
	}
}

func TestNotTracker(t *testing.T) {
	for _, doc := range []string{`[1]`, `{"openssl": {"CVE-1": }`, `{"a": 1`} {
		err := Parser{}.Parse(t.Context(), "x.json", strings.NewReader(doc), func(feed.Record) error { return nil })
		if err == nil {
			t.Errorf("Parse(%q) = nil, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "tracker.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"p":{"CVE-2024-1":{"releases":{"bookworm":{"status":"resolved","fixed_version":"1"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Parser{}.Parse(t.Context(), "f.json", bytes.NewReader(data), func(r feed.Record) error {
			if r.Advisory != nil {
				if err := r.Advisory.Validate(); err != nil {
					t.Fatalf("emitted an invalid advisory: %v", err)
				}
				var _ *osv.Entry = r.Advisory
			}
			return nil
		})
	})
}
