package pipeline_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmtest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb"
)

// scanReport is what drydock scan reports of a: the artifact read from
// an OCI layout with db, as the CLI reads one.
func scanReport(t *testing.T, a *st.Artifact, db *vulndb.DB) *finding.Report {
	t.Helper()
	dir := t.TempDir()
	st.WriteLayout(t, dir, "v1", a)
	src, err := source.Open(t.Context(), "oci:"+dir, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	reports, err := scan.Scan(t.Context(), src, scan.Options{DB: db})
	if err != nil || len(reports) != 1 {
		t.Fatalf("scan: %d reports, %v", len(reports), err)
	}
	return reports[0]
}

// comparable is r's JSON without what differs by design between the
// server and drydock scan: the repository name (the server's, the scan's
// reference) and the scan time.
func comparable(t *testing.T, r *finding.Report) string {
	t.Helper()
	c := *r
	c.Image.Repository, c.ScannedAt = "", time.Time{}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportEqualsScan: the report of a pushed image (GET .../report) is
// the report drydock scan gives of the same image with the same
// database, whatever the outcome, and stays so after a re-evaluation:
// an image with findings; an artifact (notApplicable); an image whose
// rpm database is corrupt beside its apk packages (failed, listing the
// OS and the packages the other extractors found); an image with a layer
// that does not decompress (failed, nothing found).
func TestReportEqualsScan(t *testing.T) {
	db := importDB(t, nil)
	e := newEnv(t, pipeline.Config{}, db)
	e.start()
	ctx := t.Context()

	truncated := st.Tar(t, alpine(t, "3.4.6")...)
	images := []struct {
		name   string
		a      *st.Artifact
		status string
		pkgs   int
	}{
		{"alpine", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}), store.StatusUnhealthy, 16},
		{"artifact", st.Image(t, st.ImageSpec{ConfigMediaType: "application/vnd.example.sbom.config+json",
			Layers: [][]byte{st.Tar(t, lt.File("sbom.json", "{}"))}}), store.StatusNotApplicable, 0},
		{"corrupt-rpmdb", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...),
			st.Tar(t, lt.File("var/lib/rpm/Packages", string(rpmtest.TruncatedDB(t))))}}), store.StatusFailed, 16},
		{"truncated-layer", st.Image(t, st.ImageSpec{Layers: [][]byte{truncated[:len(truncated)/2]}}), store.StatusFailed, 0},
	}
	digests := make([]oci.Digest, len(images))
	for i, im := range images {
		digests[i] = e.push("team/"+im.name, "v1", im.a)
	}
	check := func(db *vulndb.DB) {
		t.Helper()
		for i, im := range images {
			// Images without an inventory are not evaluated again.
			rec := e.waitImage("team/"+im.name, digests[i], func(r store.ImageRecord) bool { return r.DBVersion == db.Version() || r.Inventory == "" })
			if rec.Status != im.status || rec.Packages != im.pkgs {
				t.Errorf("%s: status %s with %d packages (%s), want %s with %d", im.name, rec.Status, rec.Packages, rec.Reason,
					im.status, im.pkgs)
			}
			got, err := e.p.Report(ctx, rec)
			if err != nil {
				t.Fatalf("%s: %v", im.name, err)
			}
			if len(got.Packages) != rec.Packages {
				t.Errorf("%s: the report lists %d packages, the image record %d", im.name, len(got.Packages), rec.Packages)
			}
			want := scanReport(t, im.a, db)
			if diff := cmp.Diff(comparable(t, want), comparable(t, got)); diff != "" {
				t.Errorf("%s: report (-drydock scan +server):\n%s", im.name, diff)
			}
		}
	}
	check(db)

	// New advisory data: every image is evaluated again (the failed ones
	// with an inventory too) and stays what it was.
	db2 := importDB(t, map[string]string{"DRYDOCK-TEST-0001.json": busyboxAdvisory})
	e.adv.p.Store(db2)
	e.p.DBChanged()
	check(db2)
}
