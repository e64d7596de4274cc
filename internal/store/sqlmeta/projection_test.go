package sqlmeta_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// putIn pushes a one-layer manifest to repository name of subscription sub
// (untagged for no tags) and returns its repository and digest.
func putIn(t *testing.T, s *sqlmeta.Store, sub, name string, tags ...string) (store.Repository, oci.Digest) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.EnsureSubscription(ctx, sub, sub); err != nil {
		t.Fatal(err)
	}
	repo, err := s.ResolveRepository(ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: sub})
	if err != nil {
		t.Fatal(err)
	}
	seed := name + strings.Join(tags, ",")
	cfg, layer := digest.FromString(seed+"config"), digest.FromString(seed+"layer")
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
	for _, tag := range append([]string{""}, tags...) {
		if _, err := s.PutManifest(ctx, repo, store.ManifestPut{Digest: d, Content: body, Manifest: m, Tag: tag, RequireRefs: true}); err != nil {
			t.Fatal(err)
		}
	}
	return repo, d
}

func TestProjectedImages(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	repo, tagged := putIn(t, s, "s1", "reg/app", "v1", "latest")
	_, platform := putIn(t, s, "s1", "reg/app")
	_, clean := putIn(t, s, "s1", "reg/clean", "v2")
	other, theirs := putIn(t, s, "s2", "theirs/app", "v1")
	save := func(ref store.ImageRef, sum store.Summary, fs ...store.FindingRecord) {
		t.Helper()
		status := store.StatusHealthy
		if sum.Critical+sum.High+sum.Medium+sum.Low+sum.Unknown > 0 {
			status = store.StatusUnhealthy
		}
		if _, err := s.SaveEvaluation(ctx, store.Evaluation{Image: ref, Status: status, Inventory: "inv", Summary: sum,
			Findings: fs, Fingerprint: string(ref.Digest), DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	save(store.ImageRef{RepositoryID: repo.ID, Digest: tagged, Platform: "linux/amd64"}, store.Summary{High: 1}, findingRec("CVE-1", "zlib", 3))
	// A platform of an index (here: the tagged manifest) shows the index's tags.
	save(store.ImageRef{RepositoryID: repo.ID, Digest: platform, ParentDigest: tagged, Platform: "linux/arm64"},
		store.Summary{Exempted: 1}, store.FindingRecord{AdvisoryID: "CVE-2", PackageType: "apk", PackageName: "musl", Exempted: true})
	cleanRepo, _ := s.ResolveRepository(ctx, "reg/clean", store.ResolveOptions{})
	save(store.ImageRef{RepositoryID: cleanRepo.ID, Digest: clean, Platform: "linux/amd64"}, store.Summary{})
	save(store.ImageRef{RepositoryID: other.ID, Digest: theirs, Platform: "linux/amd64"}, store.Summary{Low: 1}, findingRec("CVE-3", "zlib", 1))

	type row struct {
		Repo, Digest, MediaType string
		Tags                    []string
	}
	list := func(f store.ProjectionFilter) []row {
		t.Helper()
		imgs, err := s.ProjectedImages(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []row{}
		for _, im := range imgs {
			out = append(out, row{im.Repository, string(im.Digest), im.MediaType, im.Tags})
		}
		return out
	}
	const oci = "application/vnd.oci.image.manifest.v1+json"
	for _, tc := range []struct {
		name string
		f    store.ProjectionFilter
		want []row
	}{
		{"one subscription", store.ProjectionFilter{Subscriptions: []string{"s1"}, Limit: 10}, []row{
			{"reg/app", string(tagged), oci, []string{"latest", "v1"}},
			{"reg/app", string(platform), oci, []string{"latest", "v1"}},
			{"reg/clean", string(clean), oci, []string{"v2"}}}},
		{"with findings", store.ProjectionFilter{Subscriptions: []string{"s1"}, WithFindings: true, Limit: 10}, []row{
			{"reg/app", string(tagged), oci, []string{"latest", "v1"}},
			{"reg/app", string(platform), oci, []string{"latest", "v1"}}}},
		{"other subscription", store.ProjectionFilter{Subscriptions: []string{"s2"}, Limit: 10}, []row{
			{"theirs/app", string(theirs), oci, []string{"v1"}}}},
		{"none", store.ProjectionFilter{Subscriptions: []string{}, Limit: 10}, []row{}},
		{"narrowed to another tenant's registry", store.ProjectionFilter{Subscriptions: []string{"s1"}, Registry: "theirs", Limit: 10}, []row{}},
		{"page", store.ProjectionFilter{Subscriptions: []string{"s1"}, Limit: 1, AfterID: 1}, []row{
			{"reg/app", string(platform), oci, []string{"latest", "v1"}}}},
		{"digest", store.ProjectionFilter{Digest: clean, Limit: 10}, []row{{"reg/clean", string(clean), oci, []string{"v2"}}}},
		{"status", store.ProjectionFilter{Subscriptions: []string{"s1"}, Status: store.StatusHealthy, Limit: 10}, []row{
			{"reg/app", string(platform), oci, []string{"latest", "v1"}}, {"reg/clean", string(clean), oci, []string{"v2"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
