package querytables

import (
	"fmt"
	"log/slog"
	"sort"
	"testing"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/projection"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
)

// TestDynamicOf: the direct conversion gives what the JSON round trip
// gives, for every resource the projection renders of the fixture.
func TestDynamicOf(t *testing.T) {
	f := pt.New(t)
	p, err := projection.New(projection.Config{}, projection.Deps{Store: f.Store, Reports: f.Reports, Logger: slog.New(slog.DiscardHandler),
		Details: details{}})
	if err != nil {
		t.Fatal(err)
	}
	sc := projection.Scope{Identity: &access.Identity{}, RegistryHost: "h"}
	var rs []projection.Resource
	as, err := p.Assessments(t.Context(), sc, "")
	if err != nil {
		t.Fatal(err)
	}
	rs = append(rs, as...)
	p.EachSubAssessment(t.Context(), sc, nil, projection.Position{}, func(r projection.Resource, _ projection.Position) error {
		rs = append(rs, r)
		return nil
	})
	if len(rs) != 150 {
		t.Fatalf("%d resources", len(rs))
	}
	for _, r := range rs {
		want, err := kql.Dynamic(r.Properties)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dynamicOf(r.Properties)
		if err != nil {
			t.Fatal(err)
		}
		wb, _ := want.MarshalJSON()
		gb, _ := got.MarshalJSON()
		if string(wb) != string(gb) {
			t.Fatalf("%s:\n got %s\nwant %s", r.ID, gb, wb)
		}
		// Types too: a long stays a long, a real a real.
		if typeTree(want.Interface()) != typeTree(got.Interface()) {
			t.Fatalf("%s: value kinds differ", r.ID)
		}
	}
}

// details knows every CVE, so that dates and CWEs are rendered.
type details struct{}

func (details) CVE(string) (projection.CVEDetails, bool) {
	return projection.CVEDetails{LastModified: pt.ScannedAt, CWEs: []string{"CWE-20"}}, true
}

// typeTree describes the Go types of a value tree.
func typeTree(v any) string {
	switch x := v.(type) {
	case []any:
		s := "["
		for _, e := range x {
			s += typeTree(e) + ","
		}
		return s + "]"
	case map[string]any:
		s := "{"
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s += k + ":" + typeTree(x[k]) + ","
		}
		return s + "}"
	}
	return fmt.Sprintf("%T", v)
}
