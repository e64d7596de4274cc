package registry

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// fullDisk is a blob store on a disk with free bytes left: writes past
// them fail with ENOSPC after writing what fits, as write(2) does, and a
// new session fails when nothing is free.
type fullDisk struct {
	store.Blobs
	free atomic.Int64
}

func (d *fullDisk) NewUpload(ctx context.Context) (store.Upload, error) {
	if d.free.Load() <= 0 {
		return nil, &os.PathError{Op: "mkdir", Path: "uploads/x", Err: syscall.ENOSPC}
	}
	u, err := d.Blobs.NewUpload(ctx)
	return &fullDiskUpload{Upload: u, d: d}, err
}

func (d *fullDisk) ResumeUpload(ctx context.Context, id string) (store.Upload, error) {
	u, err := d.Blobs.ResumeUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	return &fullDiskUpload{Upload: u, d: d}, nil
}

type fullDiskUpload struct {
	store.Upload
	d *fullDisk
}

func (u *fullDiskUpload) Write(p []byte) (int, error) {
	n := int64(len(p))
	if free := u.d.free.Add(-n) + n; free < n {
		u.d.free.Add(n - max(free, 0)) // only what fit was used
		w, _ := u.Upload.Write(p[:max(free, 0)])
		return w, &os.PathError{Op: "write", Path: "uploads/x/data", Err: syscall.ENOSPC}
	}
	return u.Upload.Write(p)
}

// TestUploadDiskFull: an upload that runs out of disk gets a 507 with an
// OCI error body, leaves no session bytes and no blob, and the same upload
// succeeds once space is free again.
func TestUploadDiskFull(t *testing.T) {
	var disk *fullDisk
	e := newEnv(t, func(_ *Config, d *Deps) {
		disk = &fullDisk{Blobs: d.Blobs}
		d.Blobs = disk
	})
	flows := []struct {
		name string
		flow uploadFlow
		free int64 // of the 64 KiB blob's bytes, fewer than all
	}{
		{"monolithic", flowMonolithic, 0},
		{"POST then PUT", flowPostPut, 32 << 10},
		{"stream", func(e *env, repo string, b []byte, d oci.Digest) resp {
			r := e.do("PATCH", startSession(e, repo), b, hdr("Content-Type", "application/octet-stream"))
			if r.Status != http.StatusAccepted {
				return r
			}
			return e.do("PUT", withDigest(r.Header.Get("Location"), d), nil, nil)
		}, 32 << 10},
		{"chunked, the last chunk in the PUT fills the disk", flowChunked(true), 48 << 10},
	}
	for _, tc := range flows {
		t.Run(tc.name, func(t *testing.T) {
			b := randBytes(t, 64<<10)
			d := digest.SHA256.FromBytes(b)
			disk.free.Store(max(tc.free, 1))
			r := tc.flow(e, "team/full", b, d)
			if r.Status != http.StatusInsufficientStorage || errCode(t, r) != codeUnknown {
				t.Fatalf("upload on a full disk: %d %s, want 507 %s", r.Status, r.Body, codeUnknown)
			}
			var env envelope
			if err := json.Unmarshal(r.Body, &env); err != nil || env.Errors[0].Message == "" {
				t.Errorf("error body %q: %v", r.Body, err)
			}
			if r := e.do("HEAD", "/v2/team/full/blobs/"+d.String(), nil, nil); r.Status != http.StatusNotFound {
				t.Errorf("HEAD of the failed blob: %d", r.Status)
			}
			if _, err := e.blobs.Stat(t.Context(), d); err == nil {
				t.Errorf("the failed blob is in the blob store")
			}
			left, err := os.ReadDir(filepath.Join(e.dir, "blobs", "uploads"))
			if err != nil || len(left) != 0 {
				t.Errorf("upload sessions left on disk: %v %v", left, err)
			}
			if ids, err := e.meta.ExpiredUploads(t.Context(), e.clock.Now().Add(1<<40), 100); err != nil || len(ids) != 0 {
				t.Errorf("upload sessions left in metadata: %v %v", ids, err)
			}

			disk.free.Store(1 << 30)
			if r := tc.flow(e, "team/full", b, d); r.Status != http.StatusCreated {
				t.Fatalf("upload with free space: %d %s", r.Status, r.Body)
			}
		})
	}
	t.Run("no space for a new session", func(t *testing.T) {
		disk.free.Store(0)
		r := e.do("POST", "/v2/team/full/blobs/uploads/", nil, nil)
		if r.Status != http.StatusInsufficientStorage || errCode(t, r) != codeUnknown {
			t.Fatalf("POST on a full disk: %d %s", r.Status, r.Body)
		}
	})
}
