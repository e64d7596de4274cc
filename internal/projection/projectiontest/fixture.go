// Package projectiontest builds a real metadata store holding two tenants'
// scanned images, for the tests of the projection, the provider API and
// the query tables. The findings are those of the real Alpine 3.4.6 scan
// report (internal/report/testdata/alpine-3.4.6.json).
package projectiontest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// The fixture's tenants and registries.
const (
	TenantA  = "tenant-a" // registries alpha (standard) and mirror (external)
	TenantB  = "tenant-b" // registry beta
	RepoA    = "alpha/alpine"
	RepoB    = "beta/alpine"
	RepoA2   = "alpha/clean"
	Registry = "alpha"
)

// ScannedAt is when every fixture image was evaluated.
var ScannedAt = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

// Fixture is a store with scanned images and the reports of its images.
type Fixture struct {
	Store *sqlmeta.Store
	// Reports renders each image's report (the projection's Reports).
	Reports *Reports
	// AlpineA and AlpineB are the digests of the Alpine 3.4.6 images of
	// tenants A and B; Clean is tenant A's healthy image.
	AlpineA, AlpineB, Clean oci.Digest
	// Report is the Alpine 3.4.6 report (as read from testdata).
	Report *finding.Report
}

// Reports answers reports by image digest and counts the calls.
type Reports struct {
	mu      sync.Mutex
	reports map[oci.Digest]*finding.Report
	Calls   int
}

// Report implements projection.Reports.
func (r *Reports) Report(_ context.Context, im store.ImageRecord) (*finding.Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Calls++
	rep, ok := r.reports[im.Digest]
	if !ok {
		return nil, fmt.Errorf("%w: %s", pipeline.ErrNotEvaluated, im.Digest)
	}
	return rep, nil
}

// AlpineReport reads the real Alpine 3.4.6 report.
func AlpineReport(t testing.TB) *finding.Report {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "report", "testdata", "alpine-3.4.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r finding.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// New builds the fixture: tenant A has alpha/alpine:3.4.6 (unhealthy, the
// report's 36 findings), alpha/clean:v1 (healthy) and an external registry
// mirror; tenant B has beta/alpine:3.4.6 (the same findings).
func New(t testing.TB) *Fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: filepath.Join(t.TempDir(), "meta.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &Fixture{Store: s, Reports: &Reports{reports: map[oci.Digest]*finding.Report{}}, Report: AlpineReport(t)}
	for _, sub := range []string{TenantA, TenantB} {
		if _, err := s.EnsureSubscription(ctx, sub, sub); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateRegistry(ctx, TenantA, "mirror", store.RegistryTypeExternal); err != nil {
		t.Fatal(err)
	}
	f.AlpineA = f.scanned(t, TenantA, RepoA, "3.4.6", f.Report)
	f.AlpineB = f.scanned(t, TenantB, RepoB, "3.4.6", f.Report)
	clean := *f.Report
	clean.Findings, clean.Summary, clean.Status, clean.RemediationPlan = []finding.Finding{}, finding.Summary{}, finding.StatusHealthy, nil
	f.Clean = f.scanned(t, TenantA, RepoA2, "v1", &clean)
	return f
}

// Scanned adds an image to the fixture: a manifest pushed to repository
// name of sub, tagged tag, and the evaluation of report rep saved for it,
// as the pipeline would.
func (f *Fixture) Scanned(t testing.TB, sub, name, tag string, rep *finding.Report) oci.Digest {
	t.Helper()
	return f.scanned(t, sub, name, tag, rep)
}

// scanned pushes a manifest to repository name of sub, tagged tag, and
// saves the evaluation of report rep for it, as the pipeline would.
func (f *Fixture) scanned(t testing.TB, sub, name, tag string, rep *finding.Report) oci.Digest {
	t.Helper()
	ctx := context.Background()
	s := f.Store
	repo, err := s.ResolveRepository(ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: sub})
	if err != nil {
		t.Fatal(err)
	}
	cfg, layer := digest.FromString(name+"config"), digest.FromString(name+"layer")
	for _, d := range []oci.Digest{cfg, layer} {
		if _, err := s.CommitBlob(ctx, repo, d, func() (store.BlobInfo, error) { return store.BlobInfo{Digest: d, Size: 7}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + string(cfg) + `","size":7},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + string(layer) + `","size":7}]}`)
	m, err := oci.ParseManifest("", body)
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(body)
	if _, err := s.PutManifest(ctx, repo, store.ManifestPut{Digest: d, Content: body, Manifest: m, Tag: tag, RequireRefs: true}); err != nil {
		t.Fatal(err)
	}
	r := *rep
	r.Image.Repository, r.Image.Digest, r.ScannedAt = name, string(d), ScannedAt
	f.Reports.mu.Lock()
	f.Reports.reports[d] = &r
	f.Reports.mu.Unlock()
	ev := store.Evaluation{Image: store.ImageRef{RepositoryID: repo.ID, Digest: d, Platform: r.Image.Platform}, Status: string(r.Status),
		OSFamily: r.Image.OS.Family, OSVersion: r.Image.OS.Version, OSEOL: r.Image.OS.EOL, Inventory: "inventory/" + string(d),
		Packages: len(r.Packages), DBVersion: r.DB.Version, At: ScannedAt, Scan: true, Attempts: 1, Fingerprint: string(d),
		Summary: store.Summary{Critical: r.Summary.Critical, High: r.Summary.High, Medium: r.Summary.Medium, Low: r.Summary.Low,
			Unknown: r.Summary.Unknown, Exempted: r.Summary.Exempted}}
	seen := map[string]bool{}
	for i := range r.Findings {
		x := &r.Findings[i]
		rec := store.FindingRecord{AdvisoryID: x.ID, PackageType: x.Package.Type, PackageName: x.Package.Name,
			PackageVersion: x.Package.Version, PackageArch: x.Package.Arch, PackagePath: x.Package.Path, PURL: x.Package.PURL,
			Severity:     int(x.Severity),
			FixedVersion: x.FixedVersion, FixStatus: x.FixStatus.String(), Title: x.Title, Layer: x.Layer, Exempted: x.Exempted}
		if x.Exemption != nil {
			rec.ExemptionID = x.Exemption.ID
		}
		if !seen[rec.Key()] {
			seen[rec.Key()] = true
			ev.Findings = append(ev.Findings, rec)
		}
	}
	if _, err := s.SaveEvaluation(ctx, ev); err != nil {
		t.Fatal(err)
	}
	return d
}
