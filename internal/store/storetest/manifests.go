package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

func (e *env) get(repo store.Repository, ref string) (store.ManifestRecord, error) {
	return e.m.GetManifest(e.ctx, repo.ID, ref)
}

func (e *env) tags(repo store.Repository) []string {
	e.t.Helper()
	tags, err := e.m.ListTags(e.ctx, repo.ID, "", -1)
	noErr(e.t, "list tags", err)
	return tags
}

func (e *env) jobs(repo store.Repository, d oci.Digest) []store.ScanJob {
	e.t.Helper()
	jobs, err := e.m.ListScanJobs(e.ctx, repo.ID, d)
	noErr(e.t, "list scan jobs", err)
	return jobs
}

func testPutManifest(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "app")
	before := time.Now().Add(-time.Second)
	res := e.push(e.repo, img, "v1", blobs...)
	if !res.Created {
		t.Errorf("first put: Created = false")
	}
	for _, ref := range []string{"v1", string(img.Digest)} {
		rec, err := e.get(e.repo, ref)
		noErr(t, "get "+ref, err)
		want := store.ManifestRecord{
			RepositoryID: e.repo.ID, Digest: img.Digest, MediaType: oci.MediaTypeImageManifest,
			Size: int64(len(img.Content)), Content: img.Content, PushedAt: rec.PushedAt,
		}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("GetManifest(%s) (-want +got):\n%s", ref, diff)
		}
		if rec.PushedAt.Before(before) || rec.PushedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("PushedAt = %v", rec.PushedAt)
		}
	}
	_, err := e.get(e.repo, "v2")
	wantErr(t, "get unknown tag", err, store.ErrManifestUnknown)
	_, err = e.get(e.repo, string(NewBlob("x").Digest))
	wantErr(t, "get unknown digest", err, store.ErrManifestUnknown)
	other := e.resolve("a/other", e.sub)
	_, err = e.get(other, string(img.Digest))
	wantErr(t, "get from another repository", err, store.ErrManifestUnknown)

	jobs := e.jobs(e.repo, img.Digest)
	if len(jobs) != 1 {
		t.Fatalf("scan jobs after push: %d, want 1", len(jobs))
	}
	j := jobs[0]
	wantJob := store.ScanJob{ID: j.ID, SubscriptionID: e.sub, RepositoryID: e.repo.ID, Repository: e.repo.Name,
		Digest: img.Digest, Reason: "push", Priority: 100, State: "queued", CreatedAt: j.CreatedAt}
	if diff := cmp.Diff(wantJob, j); diff != "" || j.CreatedAt.Before(before) {
		t.Errorf("scan job (-want +got):\n%s", diff)
	}
	if n, ok := e.countEvents("image.pushed"); ok && n != 1 {
		t.Errorf("image.pushed events = %d, want 1", n)
	}

	// Re-push of the same digest: not created, no new job or event, but the
	// tag still moves.
	res, err = e.m.PutManifest(e.ctx, e.repo, img.Put("v2"))
	noErr(t, "re-put", err)
	if res.Created {
		t.Errorf("re-put: Created = true")
	}
	rec, err := e.get(e.repo, "v2")
	noErr(t, "get v2", err)
	if rec.Digest != img.Digest {
		t.Errorf("v2 -> %s, want %s", rec.Digest, img.Digest)
	}
	if n := len(e.jobs(e.repo, img.Digest)); n != 1 {
		t.Errorf("scan jobs after re-put: %d, want 1", n)
	}
	if n, ok := e.countEvents("image.pushed"); ok && n != 1 {
		t.Errorf("image.pushed events after re-put = %d, want 1", n)
	}
	// Same manifest in another repository of the subscription: a new
	// record there, with its own job.
	e.commit(other, blobs...)
	res, err = e.m.PutManifest(e.ctx, other, img.Put(""))
	noErr(t, "put in other", err)
	if !res.Created {
		t.Errorf("put in another repository: Created = false")
	}
	if n := len(e.jobs(other, img.Digest)); n != 1 {
		t.Errorf("scan jobs in other: %d", n)
	}
	if n := len(e.jobs(store.Repository{}, img.Digest)); n != 2 {
		t.Errorf("scan jobs of digest in any repository: %d, want 2", n)
	}
	// By digest without a tag, references not checked.
	lonely := ImageOf(t, NewBlob("absent config"), nil)
	p := lonely.Put("")
	p.RequireRefs = false
	_, err = e.m.PutManifest(e.ctx, e.repo, p)
	noErr(t, "put without RequireRefs", err)
	if diff := cmp.Diff([]string{"v1", "v2"}, e.tags(e.repo)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	// Non-distributable layers need not be present.
	foreign := mustImage(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageManifest,
		"config": descriptor{MediaType: oci.MediaTypeImageConfig, Digest: blobs[0].Digest, Size: int64(len(blobs[0].Data))},
		"layers": []descriptor{{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
			Digest: NewBlob("windows base").Digest, Size: 1 << 30}},
	})
	_, err = e.m.PutManifest(e.ctx, e.repo, foreign.Put("foreign"))
	noErr(t, "put with a non-distributable layer", err)

	// Docker schema 2 manifest and manifest list keep their media types.
	docker := mustImage(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeDockerManifest,
		"config": descriptor{MediaType: oci.MediaTypeDockerConfig, Digest: blobs[0].Digest, Size: int64(len(blobs[0].Data))},
		"layers": []descriptor{{MediaType: oci.MediaTypeDockerLayerGzip, Digest: blobs[1].Digest, Size: int64(len(blobs[1].Data))}},
	})
	list := mustImage(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeDockerList,
		"manifests": []descriptor{{MediaType: oci.MediaTypeDockerManifest, Digest: docker.Digest, Size: int64(len(docker.Content))}},
	})
	for _, img := range []Image{docker, list} {
		_, err := e.m.PutManifest(e.ctx, e.repo, img.Put(""))
		noErr(t, "put "+img.Parsed.MediaType, err)
		rec, err := e.get(e.repo, string(img.Digest))
		noErr(t, "get "+img.Parsed.MediaType, err)
		if rec.MediaType != img.Parsed.MediaType || !bytes.Equal(rec.Content, img.Content) {
			t.Errorf("stored %s as %s", img.Parsed.MediaType, rec.MediaType)
		}
	}

	// A stale Repository (no such id) writes nothing.
	gone := store.Repository{ID: 1 << 40, Name: "a/gone", SubscriptionID: e.sub}
	if _, err := e.m.PutManifest(e.ctx, gone, img.Put("x")); err == nil {
		t.Errorf("put into an unknown repository id succeeded")
	}
	if _, err := e.m.CommitBlob(e.ctx, gone, blobs[0].Digest, func() (store.BlobInfo, error) {
		return store.BlobInfo{Digest: blobs[0].Digest, Size: int64(len(blobs[0].Data))}, nil
	}); err == nil {
		t.Errorf("commit blob into an unknown repository id succeeded")
	}
}

// testPutManifestAtomic checks that a refused manifest commit writes nothing.
func testPutManifestAtomic(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "partial")
	e.commit(e.repo, blobs[0], blobs[1]) // layer1 missing
	_, err := e.m.PutManifest(e.ctx, e.repo, img.Put("latest"))
	var mre *store.MissingReferenceError
	if !errAs(err, &mre) {
		t.Fatalf("put with a missing layer: got %v, want *MissingReferenceError", err)
	}
	if mre.Digest != blobs[2].Digest || mre.Manifest {
		t.Errorf("MissingReferenceError = %+v, want blob %s", mre, blobs[2].Digest)
	}
	_, err = e.get(e.repo, "latest")
	wantErr(t, "tag after failed put", err, store.ErrManifestUnknown)
	_, err = e.get(e.repo, string(img.Digest))
	wantErr(t, "manifest after failed put", err, store.ErrManifestUnknown)
	if tags := e.tags(e.repo); len(tags) != 0 {
		t.Errorf("tags after failed put: %v", tags)
	}
	if jobs := e.jobs(e.repo, img.Digest); len(jobs) != 0 {
		t.Errorf("scan jobs after failed put: %v", jobs)
	}
	n, err := e.m.CountScanJobs(e.ctx, "")
	noErr(t, "count", err)
	if n != 0 {
		t.Errorf("CountScanJobs after failed put = %d", n)
	}
	if n, ok := e.countEvents(""); ok && n != 0 {
		t.Errorf("events after failed put = %d", n)
	}
	// The same put succeeds once the layer is there.
	e.commit(e.repo, blobs[2])
	res, err := e.m.PutManifest(e.ctx, e.repo, img.Put("latest"))
	noErr(t, "put after upload", err)
	if !res.Created {
		t.Errorf("Created = false after an earlier failed put")
	}
}

func testIndex(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	amd, amdBlobs := simpleImage(t, "amd64")
	arm, armBlobs := simpleImage(t, "arm64")
	idx := IndexOf(t, amd, arm)
	e.push(e.repo, amd, "", amdBlobs...)
	_, err := e.m.PutManifest(e.ctx, e.repo, idx.Put("multi"))
	var mre *store.MissingReferenceError
	if !errAs(err, &mre) || !mre.Manifest || mre.Digest != arm.Digest {
		t.Fatalf("index with a missing child: got %v, want MissingReferenceError{%s, Manifest: true}", err, arm.Digest)
	}
	if tags := e.tags(e.repo); len(tags) != 0 {
		t.Errorf("tags after failed index put: %v", tags)
	}
	e.push(e.repo, arm, "", armBlobs...)
	res := e.push(e.repo, idx, "multi")
	if !res.Created {
		t.Errorf("index put: Created = false")
	}
	rec, err := e.get(e.repo, "multi")
	noErr(t, "get index", err)
	if rec.MediaType != oci.MediaTypeImageIndex || !bytes.Equal(rec.Content, idx.Content) {
		t.Errorf("index record: %+v", rec)
	}
	// A child in another repository does not count.
	other := e.resolve("a/other", e.sub)
	_, err = e.m.PutManifest(e.ctx, other, idx.Put("multi"))
	if !errAs(err, &mre) || !mre.Manifest {
		t.Errorf("index whose children are in another repository: got %v", err)
	}
}

func testTags(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	one, blobs1 := simpleImage(t, "one")
	two, blobs2 := simpleImage(t, "two")
	e.push(e.repo, one, "v1", blobs1...)
	e.push(e.repo, two, "v2", blobs2...)
	for _, tag := range []string{"latest", "b", "a", "V1", "v1.0", "v1_0", "z"} {
		_, err := e.m.PutManifest(e.ctx, e.repo, one.Put(tag))
		noErr(t, "tag "+tag, err)
	}
	// Moving a tag.
	_, err := e.m.PutManifest(e.ctx, e.repo, two.Put("latest"))
	noErr(t, "move latest", err)
	rec, err := e.get(e.repo, "latest")
	noErr(t, "get latest", err)
	if rec.Digest != two.Digest {
		t.Errorf("latest -> %s after move, want %s", rec.Digest, two.Digest)
	}
	_, err = e.m.PutManifest(e.ctx, e.repo, one.Put("bad tag"))
	wantErr(t, "invalid tag", err, oci.ErrInvalidTag)

	all := []string{"V1", "a", "b", "latest", "v1", "v1.0", "v1_0", "v2", "z"}
	tests := []struct {
		name string
		last string
		n    int
		want []string
	}{
		{"all", "", -1, all},
		{"first", "", 3, all[:3]},
		{"after", "b", 3, []string{"latest", "v1", "v1.0"}},
		{"after a non-tag", "c", 2, []string{"latest", "v1"}},
		{"end", "z", 5, []string{}},
		{"zero", "", 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.m.ListTags(e.ctx, e.repo.ID, tc.last, tc.n)
			noErr(t, "list", err)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListTags(%q, %d) (-want +got):\n%s", tc.last, tc.n, diff)
			}
		})
	}
	noErr(t, "delete tag", e.m.DeleteTag(e.ctx, e.repo.ID, "latest"))
	wantErr(t, "delete tag again", e.m.DeleteTag(e.ctx, e.repo.ID, "latest"), store.ErrTagUnknown)
	_, err = e.get(e.repo, "latest")
	wantErr(t, "get deleted tag", err, store.ErrManifestUnknown)
	_, err = e.get(e.repo, string(two.Digest))
	noErr(t, "manifest survives its tag", err)
	other := e.resolve("a/other", e.sub)
	if tags := e.tags(other); len(tags) != 0 {
		t.Errorf("tags of an empty repository: %v", tags)
	}
}

func testDeleteManifest(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "doomed")
	keep, keepBlobs := simpleImage(t, "kept")
	e.push(e.repo, img, "v1", blobs...)
	e.push(e.repo, keep, "keep", keepBlobs...)
	_, err := e.m.PutManifest(e.ctx, e.repo, img.Put("v1-alias"))
	noErr(t, "second tag", err)

	noErr(t, "delete", e.m.DeleteManifest(e.ctx, e.repo.ID, img.Digest))
	_, err = e.get(e.repo, string(img.Digest))
	wantErr(t, "get deleted", err, store.ErrManifestUnknown)
	_, err = e.get(e.repo, "v1")
	wantErr(t, "get deleted tag", err, store.ErrManifestUnknown)
	if diff := cmp.Diff([]string{"keep"}, e.tags(e.repo)); diff != "" {
		t.Errorf("tags after delete (-want +got):\n%s", diff)
	}
	if jobs := e.jobs(e.repo, img.Digest); len(jobs) != 0 {
		t.Errorf("queued scan jobs survive delete: %v", jobs)
	}
	if n := len(e.jobs(e.repo, keep.Digest)); n != 1 {
		t.Errorf("scan jobs of the kept image: %d", n)
	}
	if n, ok := e.countEvents("image.deleted"); ok && n != 1 {
		t.Errorf("image.deleted events = %d, want 1", n)
	}
	wantErr(t, "delete again", e.m.DeleteManifest(e.ctx, e.repo.ID, img.Digest), store.ErrManifestUnknown)
	// The blobs stay linked until GC; a re-push works and is new again.
	res := e.push(e.repo, img, "v1")
	if !res.Created {
		t.Errorf("re-push after delete: Created = false")
	}
}

func testReferrers(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	subject, blobs := simpleImage(t, "subject")
	empty := NewBlob("{}")
	e.commit(e.repo, empty)
	sig := ImageOf(t, empty, nil, subject, "application/vnd.example.signature", map[string]string{"org.example.signer": "alice"})
	sbom := ImageOf(t, empty, nil, subject, "application/vnd.example.sbom")
	// The subject need not exist.
	e.push(e.repo, sig, "")
	e.push(e.repo, subject, "v1", blobs...)
	e.push(e.repo, sbom, "")
	got, err := e.m.Referrers(e.ctx, e.repo.ID, subject.Digest, "")
	noErr(t, "referrers", err)
	want := []store.Referrer{
		{Digest: sig.Digest, MediaType: oci.MediaTypeImageManifest, ArtifactType: "application/vnd.example.signature",
			Size: int64(len(sig.Content)), Annotations: map[string]string{"org.example.signer": "alice"}},
		{Digest: sbom.Digest, MediaType: oci.MediaTypeImageManifest, ArtifactType: "application/vnd.example.sbom",
			Size: int64(len(sbom.Content))},
	}
	sortRefs := cmpopts.SortSlices(func(a, b store.Referrer) bool { return a.Digest < b.Digest })
	if diff := cmp.Diff(want, got, sortRefs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Referrers (-want +got):\n%s", diff)
	}
	got, err = e.m.Referrers(e.ctx, e.repo.ID, subject.Digest, "application/vnd.example.sbom")
	noErr(t, "referrers filtered", err)
	if diff := cmp.Diff(want[1:], got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Referrers(sbom) (-want +got):\n%s", diff)
	}
	got, err = e.m.Referrers(e.ctx, e.repo.ID, sig.Digest, "")
	noErr(t, "referrers of a referrer", err)
	if len(got) != 0 {
		t.Errorf("Referrers(sig) = %v", got)
	}
	other := e.resolve("a/other", e.sub)
	got, err = e.m.Referrers(e.ctx, other.ID, subject.Digest, "")
	noErr(t, "referrers elsewhere", err)
	if len(got) != 0 {
		t.Errorf("referrers leak across repositories: %v", got)
	}
	noErr(t, "delete referrer", e.m.DeleteManifest(e.ctx, e.repo.ID, sig.Digest))
	got, err = e.m.Referrers(e.ctx, e.repo.ID, subject.Digest, "")
	noErr(t, "referrers after delete", err)
	if diff := cmp.Diff(want[1:], got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Referrers after delete (-want +got):\n%s", diff)
	}
}

func testRecordPulls(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "pulled")
	e.push(e.repo, img, "v1", blobs...)
	now := time.Now()
	noErr(t, "record none", e.m.RecordPulls(e.ctx, nil))
	noErr(t, "record", e.m.RecordPulls(e.ctx, []store.Pull{
		{RepositoryID: e.repo.ID, Digest: img.Digest, At: now},
		{RepositoryID: e.repo.ID, Digest: img.Digest, At: now.Add(-time.Hour)},
		{RepositoryID: e.repo.ID, Digest: NewBlob("gone").Digest, At: now}, // deleted meanwhile: ignored
		{RepositoryID: 1 << 40, Digest: img.Digest, At: now},
	}))
}

func testUploads(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Microsecond)
	noErr(t, "create old", e.m.CreateUpload(e.ctx, e.repo.ID, "old", t0))
	noErr(t, "create new", e.m.CreateUpload(e.ctx, e.repo.ID, "new", t0.Add(2*time.Hour)))
	wantErr(t, "create duplicate", e.m.CreateUpload(e.ctx, e.repo.ID, "old", t0), store.ErrAlreadyExists)
	u, err := e.m.GetUpload(e.ctx, "old")
	noErr(t, "get", err)
	if u.ID != "old" || u.RepositoryID != e.repo.ID || !u.StartedAt.Equal(t0) {
		t.Errorf("GetUpload = %+v, want started %v", u, t0)
	}
	_, err = e.m.GetUpload(e.ctx, "nope")
	wantErr(t, "get unknown", err, store.ErrUploadUnknown)
	ids, err := e.m.ExpiredUploads(e.ctx, t0.Add(time.Hour), 10)
	noErr(t, "expired", err)
	if diff := cmp.Diff([]string{"old"}, ids); diff != "" {
		t.Errorf("ExpiredUploads (-want +got):\n%s", diff)
	}
	ids, err = e.m.ExpiredUploads(e.ctx, t0.Add(3*time.Hour), 1)
	noErr(t, "expired limit", err)
	if diff := cmp.Diff([]string{"old"}, ids); diff != "" {
		t.Errorf("ExpiredUploads(limit 1) (-want +got):\n%s", diff)
	}
	noErr(t, "delete", e.m.DeleteUpload(e.ctx, "old"))
	_, err = e.m.GetUpload(e.ctx, "old")
	wantErr(t, "get deleted", err, store.ErrUploadUnknown)
}

func testScanJobs(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	a, ab := simpleImage(t, "a")
	b, bb := simpleImage(t, "b")
	e.push(e.repo, a, "a", ab...)
	e.push(e.repo, b, "b", bb...)
	other := e.resolve("a/other", e.sub)
	e.push(other, a, "a", ab...)
	jobs := e.jobs(store.Repository{}, a.Digest)
	if len(jobs) != 2 || jobs[0].ID <= jobs[1].ID || jobs[0].RepositoryID != other.ID {
		t.Errorf("ListScanJobs(any) not newest first: %+v", jobs)
	}
	for _, tc := range []struct {
		state string
		want  int64
	}{{"", 3}, {"queued", 3}, {"done", 0}} {
		n, err := e.m.CountScanJobs(e.ctx, tc.state)
		noErr(t, "count", err)
		if n != tc.want {
			t.Errorf("CountScanJobs(%q) = %d, want %d", tc.state, n, tc.want)
		}
	}
}

func testConcurrentFirstPush(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	const n = 16
	repos := make([]store.Repository, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := "fresh/app"
			if i%2 == 1 {
				name = "fresh/web"
			}
			repos[i], errs[i] = e.m.ResolveRepository(e.ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: e.sub})
		})
	}
	wg.Wait()
	for i := range n {
		noErr(t, "concurrent first push", errs[i])
		if repos[i] != repos[i%2] {
			t.Errorf("push %d resolved %+v, push %d resolved %+v", i, repos[i], i%2, repos[i%2])
		}
	}
	if repos[0].RegistryID != repos[1].RegistryID || repos[0].ID == repos[1].ID {
		t.Errorf("repositories %+v and %+v", repos[0], repos[1])
	}
	regs, err := e.m.ListRegistries(e.ctx, e.sub)
	noErr(t, "list registries", err)
	if len(regs) != 2 { // "a" from newEnv and "fresh"
		t.Errorf("registries: %+v", regs)
	}
}

func testConcurrentPutManifest(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "contended")
	e.commit(e.repo, blobs...)
	const n = 16
	created := make([]bool, n)
	errs := make([]error, n)
	distinct := make([]Image, n)
	for i := range n {
		distinct[i], _ = simpleImage(t, "distinct"+string(rune('a'+i)))
		_, b := simpleImage(t, "distinct"+string(rune('a'+i)))
		e.commit(e.repo, b...)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := e.m.PutManifest(e.ctx, e.repo, img.Put("t"+string(rune('a'+i))))
			created[i], errs[i] = res.Created, err
			if err == nil {
				_, errs[i] = e.m.PutManifest(e.ctx, e.repo, distinct[i].Put("d"+string(rune('a'+i))))
			}
		})
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		noErr(t, "concurrent put", errs[i])
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Errorf("%d concurrent puts of one manifest reported Created, want 1", nCreated)
	}
	if got := len(e.tags(e.repo)); got != 2*n {
		t.Errorf("tags after concurrent puts: %d, want %d", got, 2*n)
	}
	if jobs := e.jobs(e.repo, img.Digest); len(jobs) != 1 {
		t.Errorf("scan jobs of the contended manifest: %d, want 1", len(jobs))
	}
	total, err := e.m.CountScanJobs(e.ctx, "")
	noErr(t, "count", err)
	if total != n+1 {
		t.Errorf("scan jobs: %d, want %d", total, n+1)
	}
}
