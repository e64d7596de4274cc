package pipeline_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/report"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
)

// TestAttachSBOM: with AttachSBOM a scanned image gets one CycloneDX
// referrer whose blob is the API's SBOM download; a re-scan of the same
// inventory adds none, and the SBOM artifact itself ends notApplicable.
func TestAttachSBOM(t *testing.T) {
	db := importDB(t, nil)
	e := newEnv(t, pipeline.Config{AttachSBOM: true, ToolVersion: "test"}, db)
	e.start()
	ctx := t.Context()
	d := e.push("team/alpine", "3.4.6", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	im := e.waitImage("team/alpine", d, nil)
	repo := e.repo("team/alpine")

	refs := waitReferrers(t, e, repo.ID, d, 1)
	if refs[0].ArtifactType != pipeline.SBOMArtifactType || refs[0].Annotations[pipeline.SBOMDBVersionAnnotation] != db.Version() ||
		refs[0].Annotations["org.opencontainers.image.created"] == "" {
		t.Errorf("referrer: %+v", refs[0])
	}
	rec, err := e.meta.GetManifest(ctx, repo.ID, string(refs[0].Digest))
	if err != nil {
		t.Fatal(err)
	}
	m, err := oci.ParseManifest(rec.MediaType, rec.Content)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != oci.MediaTypeEmptyJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != pipeline.SBOMArtifactType ||
		m.Subject == nil || m.Subject.Digest != d {
		t.Fatalf("SBOM manifest: %s", rec.Content)
	}
	rc, err := e.blobs.Open(ctx, m.Layers[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()

	// The API's download: Report of the stored image, rendered.
	rep, err := e.p.Report(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	hd, err := report.NewWithOptions("cyclonedx", &want, report.Options{ToolVersion: "test", Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Replay(ctx, rep, hd); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("SBOM blob differs from the API's download (-want +got):\n%s", diff)
	}
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	if err := json.Unmarshal(got, &bom); err != nil || bom.BOMFormat != "CycloneDX" || len(bom.Components) < 16 {
		t.Errorf("SBOM: format %q, %d components, err %v", bom.BOMFormat, len(bom.Components), err)
	}

	// The artifact is scanned as a pushed manifest: notApplicable, no SBOM.
	if a := e.waitImage("team/alpine", refs[0].Digest, nil); a.Status != store.StatusNotApplicable {
		t.Errorf("SBOM artifact: %+v", a)
	}
	// A re-scan of the same inventory adds no referrer.
	if _, err := e.p.Rescan(ctx, store.ScanScope{SubscriptionID: repo.SubscriptionID, Repository: "team/alpine", Digest: d}); err != nil {
		t.Fatal(err)
	}
	waitJobs(t, e, repo.ID, d, 2)
	if refs, err := e.meta.Referrers(ctx, repo.ID, d, ""); err != nil || len(refs) != 1 {
		t.Errorf("after re-scan: %d referrers (%v)", len(refs), err)
	}
	if refs, err := e.meta.Referrers(ctx, repo.ID, refs[0].Digest, ""); err != nil || len(refs) != 0 {
		t.Errorf("SBOM artifact has referrers: %+v (%v)", refs, err)
	}
}

func waitReferrers(t *testing.T, e *env, repoID int64, d oci.Digest, n int) []store.Referrer {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		refs, err := e.meta.Referrers(t.Context(), repoID, d, pipeline.SBOMArtifactType)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) >= n {
			return refs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d referrers, want %d", d, len(refs), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJobs waits until n jobs of d are finished.
func waitJobs(t *testing.T, e *env, repoID int64, d oci.Digest, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		jobs, err := e.meta.ListScanJobs(t.Context(), repoID, d)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range jobs {
			if j.State == store.JobDone {
				done++
			}
		}
		if done >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d jobs done, want %d: %+v", d, done, n, jobs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
