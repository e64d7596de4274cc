package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/store"
)

func testBlobs(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	b := NewBlob("one")
	before := time.Now().Add(-time.Second)
	e.commit(e.repo, b)
	info, err := e.m.StatBlob(e.ctx, e.repo.ID, b.Digest)
	noErr(t, "stat", err)
	if info.Digest != b.Digest || info.Size != int64(len(b.Data)) || info.ModTime.Before(before) {
		t.Errorf("stat: got %+v", info)
	}
	known, err := e.m.KnownBlob(e.ctx, b.Digest)
	noErr(t, "known", err)
	if !known {
		t.Errorf("KnownBlob after commit = false")
	}
	// Committing again (same repository) is not an error.
	e.commit(e.repo, b)

	other := e.resolve("a/other", e.sub)
	_, err = e.m.StatBlob(e.ctx, other.ID, b.Digest)
	wantErr(t, "stat in a repository without a link", err, store.ErrBlobUnknown)
	_, err = e.m.StatBlob(e.ctx, e.repo.ID, NewBlob("never").Digest)
	wantErr(t, "stat unknown", err, store.ErrBlobUnknown)

	noErr(t, "unlink", e.m.UnlinkBlob(e.ctx, e.repo.ID, b.Digest))
	_, err = e.m.StatBlob(e.ctx, e.repo.ID, b.Digest)
	wantErr(t, "stat after unlink", err, store.ErrBlobUnknown)
	wantErr(t, "unlink again", e.m.UnlinkBlob(e.ctx, e.repo.ID, b.Digest), store.ErrBlobUnknown)
	known, err = e.m.KnownBlob(e.ctx, b.Digest)
	noErr(t, "known", err)
	if !known {
		t.Errorf("KnownBlob after unlink = false; the bytes go only through GC")
	}
}

func testCommitBlobFailure(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	b := NewBlob("fails")
	_, err := e.m.CommitBlob(e.ctx, e.repo, b.Digest, func() (store.BlobInfo, error) { return store.BlobInfo{}, errBoom })
	wantErr(t, "commit", err, errBoom)
	_, err = e.m.StatBlob(e.ctx, e.repo.ID, b.Digest)
	wantErr(t, "stat after failed commit", err, store.ErrBlobUnknown)
	known, err := e.m.KnownBlob(e.ctx, b.Digest)
	noErr(t, "known", err)
	if known {
		t.Errorf("failed commit recorded the blob")
	}
	_, err = e.m.CommitBlob(e.ctx, e.repo, b.Digest, func() (store.BlobInfo, error) {
		return store.BlobInfo{}, store.ErrDigestMismatch
	})
	wantErr(t, "digest mismatch passes through", err, store.ErrDigestMismatch)
}

func testMountBlob(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	b := NewBlob("shared")
	e.commit(e.repo, b)
	dst := e.resolve("a/dst", e.sub)
	other := e.resolve("a/empty", e.sub)

	_, err := e.m.MountBlob(e.ctx, dst, b.Digest, other.Name)
	wantErr(t, "mount from a repository without the blob", err, store.ErrBlobUnknown)
	_, err = e.m.MountBlob(e.ctx, dst, b.Digest, "a/missing")
	wantErr(t, "mount from an unknown repository", err, store.ErrBlobUnknown)

	info, err := e.m.MountBlob(e.ctx, dst, b.Digest, e.repo.Name)
	noErr(t, "mount", err)
	if info.Digest != b.Digest || info.Size != int64(len(b.Data)) {
		t.Errorf("mount: got %+v", info)
	}
	_, err = e.m.StatBlob(e.ctx, dst.ID, b.Digest)
	noErr(t, "stat after mount", err)
	_, err = e.m.MountBlob(e.ctx, dst, b.Digest, e.repo.Name)
	noErr(t, "mount twice", err)

	holders, err := e.m.BlobHolders(e.ctx, e.sub, b.Digest, 10)
	noErr(t, "holders", err)
	if diff := cmp.Diff([]string{"a/app", "a/dst"}, holders, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("BlobHolders (-want +got):\n%s", diff)
	}
	holders, err = e.m.BlobHolders(e.ctx, e.sub, b.Digest, 1)
	noErr(t, "holders limit", err)
	if len(holders) != 1 {
		t.Errorf("BlobHolders(limit 1) = %v", holders)
	}
}
