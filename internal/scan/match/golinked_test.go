package match

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// TestNotLinked: a Go advisory about packages a binary has no code of is
// exempted, saying which; one about a linked package, or one that names
// no packages, stands; a GHSA record of the same vulnerability (no
// packages named) does not keep the finding active; a module whose
// linked packages are not known keeps every finding.
func TestNotLinked(t *testing.T) {
	goAdv := func(id, module string, imports ...string) *osv.Entry {
		a := affected("Go", module, rng(osv.RangeSemver, intro("0"), fixed("1.21.8")))
		if imports != nil {
			var spec struct {
				Imports []map[string]string `json:"imports"`
			}
			for _, p := range imports {
				spec.Imports = append(spec.Imports, map[string]string{"path": p})
			}
			a.EcosystemSpecific, _ = json.Marshal(spec)
		}
		return &osv.Entry{ID: id, Affected: []osv.Affected{a}}
	}
	mail := goAdv("GO-2024-2609", "stdlib", "net/mail")
	mailGHSA := &osv.Entry{ID: "GHSA-mail", Aliases: []string{"GO-2024-2609"},
		Affected: []osv.Affected{affected("Go", "stdlib", rng(osv.RangeEcosystem, intro("0"), fixed("1.21.8")))}}
	http := goAdv("GO-2024-2599", "stdlib", "net/textproto", "net/http")
	tarzip := goAdv("GO-2024-2888", "stdlib", "archive/zip", "archive/tar")
	unnamed := goAdv("GO-2024-0001", "stdlib")
	db := fakeDB{entries: []*osv.Entry{mail, mailGHSA, http, tarzip, unnamed}}

	linked := []string{"crypto/tls", "net/http", "runtime"} // sorted, as extracted
	pkgs := []pkg.Package{
		{Name: "stdlib", Version: "1.20.14", Type: pkg.TypeGoModule, Path: "usr/bin/app", GoPackages: linked},
		{Name: "stdlib", Version: "1.20.14", Type: pkg.TypeGoModule, Path: "usr/bin/old"}, // not known
	}
	fs, err := Match(t.Context(), db, pkgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Path, ID, Exemption string }
	var got []row
	for _, f := range fs {
		r := row{Path: f.Package.Path, ID: f.ID}
		if f.Exempted {
			r.Exemption = f.Exemption.Source + ": " + f.Exemption.Reason
		}
		got = append(got, r)
	}
	want := []row{
		{"usr/bin/app", "GO-2024-0001", ""},
		{"usr/bin/app", "GO-2024-2599", ""}, // net/http is linked
		{"usr/bin/app", "GO-2024-2609", finding.ExemptionNotLinked + ": usr/bin/app links no code of package net/mail, where the vulnerability is"},
		{"usr/bin/app", "GO-2024-2888", finding.ExemptionNotLinked + ": usr/bin/app links no code of packages archive/tar and archive/zip, where the vulnerability is"},
		{"usr/bin/old", "GO-2024-0001", ""},
		{"usr/bin/old", "GO-2024-2599", ""},
		{"usr/bin/old", "GO-2024-2609", ""},
		{"usr/bin/old", "GO-2024-2888", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Exempted == f.Active() {
			t.Errorf("%s: exempted %t, active %t", f.ID, f.Exempted, f.Active())
		}
	}
}
