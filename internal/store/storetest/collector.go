package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// future is an olderThan that every object in the test satisfies.
func future() time.Time { return time.Now().Add(time.Hour) }

// past is an olderThan that no object in the test satisfies.
func past() time.Time { return time.Now().Add(-time.Hour) }

// pruneAll repeats PruneUntaggedManifests until nothing more goes.
func (e *env) pruneAll(olderThan time.Time) int {
	e.t.Helper()
	total := 0
	for {
		n, err := e.m.PruneUntaggedManifests(e.ctx, olderThan, 2)
		noErr(e.t, "prune untagged", err)
		total += n
		if n == 0 {
			return total
		}
	}
}

func (e *env) pruneLinks(olderThan time.Time) int {
	e.t.Helper()
	total := 0
	for {
		n, err := e.m.PruneBlobLinks(e.ctx, olderThan, 2)
		noErr(e.t, "prune links", err)
		total += n
		if n == 0 {
			return total
		}
	}
}

func (e *env) unreferenced(olderThan time.Time) []oci.Digest {
	e.t.Helper()
	ds, err := e.m.UnreferencedBlobs(e.ctx, olderThan, 1000)
	noErr(e.t, "unreferenced blobs", err)
	slices.Sort(ds)
	return ds
}

func (e *env) exists(repo store.Repository, ref string) bool {
	e.t.Helper()
	_, err := e.get(repo, ref)
	if err != nil && !errors.Is(err, store.ErrManifestUnknown) {
		e.t.Fatal(err)
	}
	return err == nil
}

func digests(bs ...Blob) []oci.Digest {
	var out []oci.Digest
	for _, b := range bs {
		out = append(out, b.Digest)
	}
	slices.Sort(out)
	return out
}

func testCollectUntagged(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	tagged, tb := simpleImage(t, "tagged")
	untagged, ub := simpleImage(t, "untagged")
	moved, mb := simpleImage(t, "moved")
	deltag, db := simpleImage(t, "deltag")
	e.push(e.repo, tagged, "keep", tb...)
	e.push(e.repo, untagged, "", ub...)
	e.push(e.repo, moved, "latest", mb...)
	e.push(e.repo, deltag, "gone", db...)
	_, err := e.m.PutManifest(e.ctx, e.repo, tagged.Put("latest")) // moved loses its tag
	noErr(t, "move tag", err)
	noErr(t, "delete tag", e.m.DeleteTag(e.ctx, e.repo.ID, "gone"))

	if n := e.pruneAll(past()); n != 0 {
		t.Fatalf("pruned %d manifests inside the grace period", n)
	}
	if n := e.pruneAll(future()); n != 3 {
		t.Errorf("pruned %d manifests, want 3", n)
	}
	for _, img := range []Image{untagged, moved, deltag} {
		if e.exists(e.repo, string(img.Digest)) {
			t.Errorf("untagged manifest %s survived", img.Digest)
		}
	}
	if !e.exists(e.repo, string(tagged.Digest)) {
		t.Errorf("tagged manifest was collected")
	}
	if n, ok := e.countEvents("image.deleted"); ok && n != 3 {
		t.Errorf("image.deleted events = %d, want 3", n)
	}
	if diff := cmp.Diff([]string{"keep", "latest"}, e.tags(e.repo)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func testCollectKeepsLive(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	child, cb := simpleImage(t, "child")
	e.push(e.repo, child, "", cb...)
	idx := IndexOf(t, child)
	e.push(e.repo, idx, "multi")
	subject, sb := simpleImage(t, "subject")
	e.push(e.repo, subject, "v1", sb...)
	empty := NewBlob("{}")
	e.commit(e.repo, empty)
	sig := ImageOf(t, empty, nil, subject, "application/vnd.example.signature")
	e.push(e.repo, sig, "")
	orphanSubject, _ := simpleImage(t, "never pushed")
	orphanSig := ImageOf(t, empty, nil, orphanSubject, "application/vnd.example.signature")
	e.push(e.repo, orphanSig, "")

	if n := e.pruneAll(future()); n != 1 {
		t.Errorf("pruned %d, want 1 (the referrer of an absent subject)", n)
	}
	for _, img := range []Image{child, idx, subject, sig} {
		if !e.exists(e.repo, string(img.Digest)) {
			t.Errorf("live manifest %s was collected", img.Digest)
		}
	}
	if e.exists(e.repo, string(orphanSig.Digest)) {
		t.Errorf("referrer of an absent subject survived")
	}
	// Untag the index and the subject: then everything goes, children and
	// referrers after their parents.
	noErr(t, "untag index", e.m.DeleteTag(e.ctx, e.repo.ID, "multi"))
	noErr(t, "untag subject", e.m.DeleteTag(e.ctx, e.repo.ID, "v1"))
	if n := e.pruneAll(future()); n != 4 {
		t.Errorf("pruned %d, want 4", n)
	}
	for _, img := range []Image{child, idx, subject, sig} {
		if e.exists(e.repo, string(img.Digest)) {
			t.Errorf("manifest %s survived", img.Digest)
		}
	}
}

func testCollectBlobs(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	img, blobs := simpleImage(t, "img")
	e.push(e.repo, img, "v1", blobs...)
	other := e.resolve("a/other", e.sub)
	e.commit(other, blobs[0]) // the config is also linked elsewhere
	abandoned := NewBlob("uploaded, never referenced")
	e.commit(e.repo, abandoned)

	if n := e.pruneLinks(future()); n != 2 {
		t.Fatalf("pruned %d links, want 2 (the abandoned upload here and the unused config link in a/other)", n)
	}
	_, err := e.m.StatBlob(e.ctx, e.repo.ID, blobs[1].Digest)
	noErr(t, "referenced link survives", err)
	if diff := cmp.Diff(digests(abandoned), e.unreferenced(future())); diff != "" {
		t.Errorf("UnreferencedBlobs (-want +got):\n%s", diff)
	}

	noErr(t, "delete manifest", e.m.DeleteManifest(e.ctx, e.repo.ID, img.Digest))
	if n := e.pruneLinks(past()); n != 0 {
		t.Errorf("pruned %d links inside the grace period", n)
	}
	if n := e.pruneLinks(future()); n != 3 {
		t.Errorf("pruned %d links after the manifest went, want 3", n)
	}
	if got := e.unreferenced(past()); len(got) != 0 {
		t.Errorf("UnreferencedBlobs inside the grace period = %v", got)
	}
	want := digests(append([]Blob{abandoned}, blobs...)...)
	if diff := cmp.Diff(want, e.unreferenced(future())); diff != "" {
		t.Fatalf("UnreferencedBlobs (-want +got):\n%s", diff)
	}

	victim := blobs[2].Digest
	removed := 0
	// remove fails: nothing is forgotten.
	ok, err := e.m.DeleteBlobIfUnreferenced(e.ctx, victim, future(), func() error { removed++; return errBoom })
	wantErr(t, "delete with failing remove", err, errBoom)
	if ok {
		t.Errorf("reported deleted although remove failed")
	}
	if known, err := e.m.KnownBlob(e.ctx, victim); err != nil || !known {
		t.Errorf("KnownBlob after failed remove = %v, %v", known, err)
	}
	// Too young.
	ok, err = e.m.DeleteBlobIfUnreferenced(e.ctx, victim, past(), func() error { removed++; return nil })
	noErr(t, "delete young", err)
	if ok || removed != 1 {
		t.Errorf("young blob: deleted=%v, remove calls=%d", ok, removed)
	}
	// Linked again before the collector got to it (a concurrent push).
	e.commit(other, NewBlob("x"))
	_, err = e.m.MountBlob(e.ctx, other, blobs[1].Digest, e.repo.Name)
	wantErr(t, "mount of an unlinked blob", err, store.ErrBlobUnknown)
	e.commit(other, blobs[1])
	ok, err = e.m.DeleteBlobIfUnreferenced(e.ctx, blobs[1].Digest, future(), func() error { removed++; return nil })
	noErr(t, "delete relinked", err)
	if ok || removed != 1 {
		t.Errorf("re-linked blob: deleted=%v, remove calls=%d", ok, removed)
	}
	// Success.
	ok, err = e.m.DeleteBlobIfUnreferenced(e.ctx, victim, future(), func() error { removed++; return nil })
	noErr(t, "delete", err)
	if !ok || removed != 2 {
		t.Errorf("delete: deleted=%v, remove calls=%d", ok, removed)
	}
	if known, err := e.m.KnownBlob(e.ctx, victim); err != nil || known {
		t.Errorf("KnownBlob after delete = %v, %v", known, err)
	}
	if slices.Contains(e.unreferenced(future()), victim) {
		t.Errorf("deleted blob still listed as unreferenced")
	}
	// A digest with no record at all (orphan bytes) is removed.
	orphan := NewBlob("orphan").Digest
	ok, err = e.m.DeleteBlobIfUnreferenced(e.ctx, orphan, future(), func() error { removed++; return nil })
	noErr(t, "delete unrecorded", err)
	if !ok || removed != 3 {
		t.Errorf("unrecorded: deleted=%v, remove calls=%d", ok, removed)
	}

	// A manifest keeps its bytes even when the blob was unlinked by hand.
	keep, kb := simpleImage(t, "keep")
	e.push(e.repo, keep, "keep", kb...)
	noErr(t, "unlink", e.m.UnlinkBlob(e.ctx, e.repo.ID, kb[1].Digest))
	for _, d := range e.unreferenced(future()) {
		if slices.Contains(digests(kb...), d) {
			t.Errorf("blob %s of a live manifest listed as unreferenced", d)
		}
	}
	ok, err = e.m.DeleteBlobIfUnreferenced(e.ctx, kb[1].Digest, future(), func() error { removed++; return nil })
	noErr(t, "delete referenced", err)
	if ok || removed != 3 {
		t.Errorf("blob of a live manifest: deleted=%v, remove calls=%d", ok, removed)
	}
}
