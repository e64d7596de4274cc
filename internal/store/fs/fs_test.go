package fs

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadCommitAndRead(t *testing.T) {
	tests := []struct {
		name   string
		alg    digest.Algorithm
		chunks int  // number of resumes
		wrong  bool // commit with a wrong digest
	}{
		{name: "sha256 monolithic", alg: digest.SHA256, chunks: 1},
		{name: "sha256 chunked", alg: digest.SHA256, chunks: 4},
		{name: "sha512 chunked", alg: oci.SHA512, chunks: 3},
		{name: "digest mismatch", alg: digest.SHA256, chunks: 2, wrong: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s, err := New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data := randBytes(t, 3<<20+17)
			want := tc.alg.FromBytes(data)
			u, err := s.NewUpload(ctx)
			if err != nil {
				t.Fatal(err)
			}
			id := u.ID()
			step := len(data)/tc.chunks + 1
			for off := 0; off < len(data); off += step {
				end := min(off+step, len(data))
				if _, err := u.Write(data[off:end]); err != nil {
					t.Fatal(err)
				}
				if end < len(data) {
					if err := u.Close(); err != nil {
						t.Fatal(err)
					}
					if u, err = s.ResumeUpload(ctx, id); err != nil {
						t.Fatal(err)
					}
					if u.Size() != int64(end) {
						t.Fatalf("resumed size %d, want %d", u.Size(), end)
					}
				}
			}
			if tc.wrong {
				_, err := u.Commit(ctx, digest.SHA256.FromString("other"))
				if !errors.Is(err, store.ErrDigestMismatch) {
					t.Fatalf("commit with wrong digest: %v, want ErrDigestMismatch", err)
				}
				if _, err := s.Stat(ctx, want); !errors.Is(err, store.ErrBlobUnknown) {
					t.Fatalf("blob visible after failed commit: %v", err)
				}
				if _, err := s.ResumeUpload(ctx, id); !errors.Is(err, store.ErrUploadUnknown) {
					t.Fatalf("session kept after failed commit: %v", err)
				}
				return
			}
			if _, err := s.Stat(ctx, want); !errors.Is(err, store.ErrBlobUnknown) {
				t.Fatalf("blob visible before commit: %v", err)
			}
			info, err := u.Commit(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != int64(len(data)) || info.Digest != want {
				t.Fatalf("commit info %+v", info)
			}
			r, err := s.Open(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			r.Close()
			if !bytes.Equal(got, data) {
				t.Fatal("content differs")
			}
			if _, ok := r.(*os.File); !ok {
				t.Errorf("Open returned %T, want *os.File for sendfile", r)
			}
		})
	}
}

func TestResumeAfterRestartRehashes(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	s, _ := New(root)
	data := randBytes(t, 1<<20)
	u, _ := s.NewUpload(ctx)
	u.Write(data[:1000])
	u.Close()
	// A new Store (process restart) has no in-memory hash; the persisted
	// state is used, and a corrupted state falls back to rehashing.
	os.WriteFile(filepath.Join(root, "uploads", u.ID(), "hashstate"), []byte("5\ngarbage"), 0o640)
	s2, _ := New(root)
	u2, err := s2.ResumeUpload(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	u2.Write(data[1000:])
	if _, err := u2.Commit(ctx, digest.FromBytes(data)); err != nil {
		t.Fatal(err)
	}
}

func TestCommitExistingAndDelete(t *testing.T) {
	ctx := t.Context()
	s, _ := New(t.TempDir())
	data := []byte("hello")
	d := digest.FromBytes(data)
	for range 2 {
		u, _ := s.NewUpload(ctx)
		u.Write(data)
		if _, err := u.Commit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	var seen []store.BlobInfo
	if err := s.Walk(ctx, func(b store.BlobInfo) error { seen = append(seen, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Digest != d || seen[0].Size != 5 {
		t.Fatalf("walk saw %+v", seen)
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, d); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Stat(ctx, d); !errors.Is(err, store.ErrBlobUnknown) {
		t.Fatalf("stat after delete: %v", err)
	}
}

func TestUploadIDsAreConfined(t *testing.T) {
	ctx := t.Context()
	s, _ := New(t.TempDir())
	for _, id := range []string{"", "../../etc", "0123456789abcdef0123456789abcdeg", "../blobs"} {
		if _, err := s.ResumeUpload(ctx, id); !errors.Is(err, store.ErrUploadUnknown) {
			t.Errorf("ResumeUpload(%q) = %v, want ErrUploadUnknown", id, err)
		}
	}
	if _, err := s.Open(ctx, "sha256:../../x"); err == nil {
		t.Error("Open of a path-like digest succeeded")
	}
}

func TestWalkUploadsAndCancel(t *testing.T) {
	ctx := t.Context()
	s, _ := New(t.TempDir())
	u, _ := s.NewUpload(ctx)
	u.Write([]byte("abc"))
	u.Close()
	var ids []string
	s.WalkUploads(ctx, func(id string, started time.Time) error {
		if time.Since(started) > time.Minute {
			t.Errorf("start time %v", started)
		}
		ids = append(ids, id)
		return nil
	})
	if len(ids) != 1 || ids[0] != u.ID() {
		t.Fatalf("uploads %v", ids)
	}
	u2, _ := s.ResumeUpload(ctx, u.ID())
	if err := u2.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResumeUpload(ctx, u.ID()); !errors.Is(err, store.ErrUploadUnknown) {
		t.Fatalf("resume after cancel: %v", err)
	}
}

func BenchmarkUpload64MiB(b *testing.B) {
	ctx := b.Context()
	s, _ := New(b.TempDir())
	data := make([]byte, 64<<20)
	rand.Read(data)
	d := digest.FromBytes(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		u, _ := s.NewUpload(ctx)
		io.Copy(u, bytes.NewReader(data))
		if _, err := u.Commit(ctx, d); err != nil {
			b.Fatal(err)
		}
		s.Delete(ctx, d)
	}
}
