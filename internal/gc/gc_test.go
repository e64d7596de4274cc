package gc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/gc"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// rig is a metadata store and a filesystem blob store in a temp dir.
type rig struct {
	t     testing.TB
	ctx   context.Context
	meta  *sqlmeta.Store
	blobs *fs.Store
	root  string
	sub   string
}

func newRig(t testing.TB) *rig {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db"), Synchronous: sqlmeta.SyncNormal}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	root := filepath.Join(dir, "blobs")
	blobs, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: t.Context(), meta: meta, blobs: blobs, root: root, sub: "default"}
	if _, err := meta.EnsureSubscription(r.ctx, r.sub, "Default"); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) gc(cfg gc.Config) *gc.GC {
	r.t.Helper()
	g, err := gc.New(cfg, r.meta, r.blobs, slog.New(slog.DiscardHandler))
	if err != nil {
		r.t.Fatal(err)
	}
	return g
}

func (r *rig) repo(name string) store.Repository {
	r.t.Helper()
	repo, err := r.meta.ResolveRepository(r.ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: r.sub})
	if err != nil {
		r.t.Fatal(err)
	}
	return repo
}

// upload pushes data as a blob of repo the way the registry does: bytes
// through a two-phase upload, committed inside CommitBlob.
func upload(ctx context.Context, meta store.Meta, blobs store.Blobs, repo store.Repository, data []byte) (oci.Digest, error) {
	d := digest.FromBytes(data)
	u, err := blobs.NewUpload(ctx)
	if err != nil {
		return "", err
	}
	if _, err := u.Write(data); err != nil {
		return "", err
	}
	_, err = meta.CommitBlob(ctx, repo, d, func() (store.BlobInfo, error) { return u.Commit(ctx, d) })
	if err != nil {
		_ = u.Cancel(ctx)
		return "", err
	}
	return d, nil
}

// manifestOf builds an OCI image manifest over config and layers.
func manifestOf(t testing.TB, config oci.Digest, layers ...oci.Digest) ([]byte, *oci.Manifest, oci.Digest) {
	desc := func(mt string, d oci.Digest) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":1}`, mt, d)
	}
	var ls []string
	for _, l := range layers {
		ls = append(ls, desc(oci.MediaTypeLayerGzip, l))
	}
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":%s,"layers":[%s]}`,
		oci.MediaTypeImageManifest, desc(oci.MediaTypeImageConfig, config), bytesJoin(ls)))
	m, err := oci.ParseManifest("", body)
	if err != nil {
		t.Fatalf("manifest fixture: %v", err)
	}
	return body, m, digest.FromBytes(body)
}

func bytesJoin(ss []string) string { return string(bytes.Join(toBytes(ss), []byte(","))) }

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// push uploads an image of two blobs named by seed and commits its manifest.
func (r *rig) push(repo store.Repository, seed, tag string) (oci.Digest, []oci.Digest) {
	r.t.Helper()
	var ds []oci.Digest
	for _, part := range []string{"config", "layer"} {
		d, err := upload(r.ctx, r.meta, r.blobs, repo, []byte(seed+"/"+part))
		if err != nil {
			r.t.Fatal(err)
		}
		ds = append(ds, d)
	}
	body, m, md := manifestOf(r.t, ds[0], ds[1:]...)
	if _, err := r.meta.PutManifest(r.ctx, repo, store.ManifestPut{Digest: md, Content: body, Manifest: m, Tag: tag, RequireRefs: true}); err != nil {
		r.t.Fatal(err)
	}
	return md, ds
}

// files returns the digests stored in the blob store.
func (r *rig) files() []oci.Digest {
	r.t.Helper()
	out := []oci.Digest{}
	err := r.blobs.Walk(r.ctx, func(b store.BlobInfo) error {
		out = append(out, b.Digest)
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// orphan stores data in the blob store without metadata (as a crash between
// the rename and the metadata commit leaves it) and ages its file.
func (r *rig) orphan(data []byte, age time.Duration) oci.Digest {
	r.t.Helper()
	d := digest.FromBytes(data)
	u, err := r.blobs.NewUpload(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := u.Write(data); err != nil {
		r.t.Fatal(err)
	}
	if _, err := u.Commit(r.ctx, d); err != nil {
		r.t.Fatal(err)
	}
	p := filepath.Join(r.root, "blobs", string(d.Algorithm()), d.Encoded()[:2], d.Encoded())
	old := time.Now().Add(-age)
	if err := os.Chtimes(p, old, old); err != nil {
		r.t.Fatal(err)
	}
	return d
}

func sorted(ds ...oci.Digest) []oci.Digest {
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}

var ignoreDuration = cmpopts.IgnoreFields(gc.Stats{}, "Duration")

func TestRunOnce(t *testing.T) {
	tests := []struct {
		name              string
		cfg               gc.Config
		want              gc.Stats
		untaggedSurvives  bool
		abandonedSurvives bool
	}{
		{
			name: "grace protects everything", cfg: gc.Config{DeleteUntagged: true},
			want: gc.Stats{}, untaggedSurvives: true, abandonedSurvives: true,
		},
		{
			name: "untagged kept by default", cfg: gc.Config{GracePeriod: gc.NoGrace},
			want:             gc.Stats{LinksPruned: 1, BlobsDeleted: 1, BytesFreed: int64(len("abandoned"))},
			untaggedSurvives: true,
		},
		{
			name: "delete untagged", cfg: gc.Config{GracePeriod: gc.NoGrace, DeleteUntagged: true, BatchSize: 1},
			want: gc.Stats{ManifestsDeleted: 1, LinksPruned: 3, BlobsDeleted: 3,
				BytesFreed: int64(len("abandoned") + len("untagged/config") + len("untagged/layer"))},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			repo := r.repo("team/app")
			tagged, taggedBlobs := r.push(repo, "tagged", "v1")
			untagged, untaggedBlobs := r.push(repo, "untagged", "")
			abandoned, err := upload(r.ctx, r.meta, r.blobs, repo, []byte("abandoned"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.gc(tc.cfg).RunOnce(r.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, ignoreDuration); diff != "" {
				t.Errorf("RunOnce stats (-want +got):\n%s", diff)
			}
			want := slices.Clone(taggedBlobs)
			if tc.untaggedSurvives {
				want = append(want, untaggedBlobs...)
			}
			if tc.abandonedSurvives {
				want = append(want, abandoned)
			}
			if diff := cmp.Diff(sorted(want...), r.files()); diff != "" {
				t.Errorf("stored blobs (-want +got):\n%s", diff)
			}
			if _, err := r.meta.GetManifest(r.ctx, repo.ID, string(tagged)); err != nil {
				t.Errorf("tagged manifest: %v", err)
			}
			_, err = r.meta.GetManifest(r.ctx, repo.ID, string(untagged))
			if survived := err == nil; survived != tc.untaggedSurvives {
				t.Errorf("untagged manifest survived = %v, want %v (err %v)", survived, tc.untaggedSurvives, err)
			}
			// A second run finds nothing more.
			again, err := r.gc(tc.cfg).RunOnce(r.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(gc.Stats{}, again, ignoreDuration); diff != "" {
				t.Errorf("second run (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSharedBlobSurvives(t *testing.T) {
	r := newRig(t)
	a, b := r.repo("team/a"), r.repo("team/b")
	r.push(a, "same", "v1")
	md, blobs := r.push(b, "same", "v1")
	if err := r.meta.DeleteManifest(r.ctx, b.ID, md); err != nil {
		t.Fatal(err)
	}
	st, err := r.gc(gc.Config{GracePeriod: gc.NoGrace}).RunOnce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gc.Stats{LinksPruned: 2}, st, ignoreDuration); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(blobs...), r.files()); diff != "" {
		t.Errorf("stored blobs (-want +got):\n%s", diff)
	}
	if _, err := r.meta.StatBlob(r.ctx, b.ID, blobs[0]); !errors.Is(err, store.ErrBlobUnknown) {
		t.Errorf("link in team/b after GC: %v, want ErrBlobUnknown", err)
	}
}

func TestOrphanSweep(t *testing.T) {
	r := newRig(t)
	repo := r.repo("team/app")
	_, kept := r.push(repo, "kept", "v1")
	// Recorded blobs with old files are not orphans.
	for _, d := range kept {
		p := filepath.Join(r.root, "blobs", string(d.Algorithm()), d.Encoded()[:2], d.Encoded())
		old := time.Now().Add(-48 * time.Hour)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	old := r.orphan([]byte("crashed before the metadata commit"), 2*time.Hour)
	young := r.orphan([]byte("commit in flight"), time.Minute)
	st, err := r.gc(gc.Config{}).RunOnce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := gc.Stats{OrphansDeleted: 1, BytesFreed: int64(len("crashed before the metadata commit"))}
	if diff := cmp.Diff(want, st, ignoreDuration); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(append(kept, young)...), r.files()); diff != "" {
		t.Errorf("stored blobs (-want +got):\n%s", diff)
	}
	if slices.Contains(r.files(), old) {
		t.Errorf("old orphan survived")
	}
}

func TestExpireUploads(t *testing.T) {
	r := newRig(t)
	repo := r.repo("team/app")
	u, err := r.blobs.NewUpload(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write([]byte("half an upload")); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.meta.CreateUpload(r.ctx, repo.ID, u.ID(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, err := r.gc(gc.Config{UploadTTL: time.Hour}).RunOnce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.UploadsExpired != 0 {
		t.Errorf("expired %d uploads younger than the TTL", st.UploadsExpired)
	}
	st, err = r.gc(gc.Config{UploadTTL: time.Nanosecond}).RunOnce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.UploadsExpired != 1 {
		t.Errorf("UploadsExpired = %d, want 1", st.UploadsExpired)
	}
	if _, err := r.blobs.ResumeUpload(r.ctx, u.ID()); !errors.Is(err, store.ErrUploadUnknown) {
		t.Errorf("resume expired upload: %v, want ErrUploadUnknown", err)
	}
	if _, err := r.meta.GetUpload(r.ctx, u.ID()); !errors.Is(err, store.ErrUploadUnknown) {
		t.Errorf("metadata of expired upload: %v, want ErrUploadUnknown", err)
	}
}

func TestConfig(t *testing.T) {
	r := newRig(t)
	tests := []struct {
		name string
		cfg  gc.Config
		ok   bool
	}{
		{"zero", gc.Config{}, true},
		{"no grace", gc.Config{GracePeriod: gc.NoGrace}, true},
		{"negative grace", gc.Config{GracePeriod: -time.Minute}, false},
		{"negative interval", gc.Config{Interval: -time.Second}, false},
		{"negative batch", gc.Config{BatchSize: -1}, false},
		{"negative upload ttl", gc.Config{UploadTTL: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gc.New(tc.cfg, r.meta, r.blobs, slog.New(slog.DiscardHandler))
			if (err == nil) != tc.ok {
				t.Errorf("New(%+v) error = %v, want ok=%v", tc.cfg, err, tc.ok)
			}
		})
	}
	if _, err := gc.New(gc.Config{}, nil, r.blobs, slog.New(slog.DiscardHandler)); err == nil {
		t.Errorf("New without a metadata store succeeded")
	}
}

func TestRunLoop(t *testing.T) {
	r := newRig(t)
	d := r.orphan([]byte("swept by the loop"), 0)
	g := r.gc(gc.Config{GracePeriod: gc.NoGrace})
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(r.files(), d) {
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep the orphan within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

// TestRaceWithPushes runs the collector with no grace period, deleting
// untagged manifests, while pushers upload blobs (some shared), commit
// manifests, move tags, delete manifests and abandon uploads. No manifest may
// ever be left with a blob that is gone, and once everything stops a last
// run leaves exactly the blobs live manifests reference.
func TestRaceWithPushes(t *testing.T) {
	if testing.Short() {
		t.Skip("race test")
	}
	r := newRig(t)
	repos := []store.Repository{r.repo("team/a"), r.repo("team/b"), r.repo("other/c")}
	g := r.gc(gc.Config{GracePeriod: gc.NoGrace, DeleteUntagged: true, BatchSize: 3})

	type pushed struct {
		repo store.Repository
		d    oci.Digest
	}
	var (
		mu        sync.Mutex
		manifests []pushed
		retries   atomic.Int64
		gcRuns    atomic.Int64
		stop      = make(chan struct{})
		gcErr     = make(chan error, 1)
	)
	go func() {
		var err error
		defer func() { gcErr <- err }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err = g.RunOnce(r.ctx); err != nil {
				return
			}
			gcRuns.Add(1)
		}
	}()

	const pushers, perPusher = 4, 30
	errs := make(chan error, pushers)
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			errs <- func() error {
				for i := range perPusher {
					repo := repos[(p+i)%len(repos)]
					// Layers: one shared base (relinked by every push) and
					// one of this push; a config of this push.
					datas := [][]byte{
						[]byte(fmt.Sprintf("config %d/%d", p, i)),
						[]byte("base layer shared by everyone"),
						[]byte(fmt.Sprintf("layer %d/%d", p, i)),
					}
					if i%5 == 4 {
						// An abandoned upload: bytes and link, never referenced.
						if _, err := upload(r.ctx, r.meta, r.blobs, repo, []byte(fmt.Sprintf("abandoned %d/%d", p, i))); err != nil {
							return err
						}
					}
					for attempt := 0; ; attempt++ {
						var ds []oci.Digest
						for _, data := range datas {
							d, err := upload(r.ctx, r.meta, r.blobs, repo, data)
							if err != nil {
								return fmt.Errorf("upload: %w", err)
							}
							ds = append(ds, d)
						}
						body, m, md := manifestOf(t, ds[0], ds[1:]...)
						tag := fmt.Sprintf("t%d", i%3) // tags move: older images become untagged
						_, err := r.meta.PutManifest(r.ctx, repo, store.ManifestPut{Digest: md, Content: body, Manifest: m, Tag: tag, RequireRefs: true})
						var mre *store.MissingReferenceError
						if errors.As(err, &mre) && attempt < 20 {
							// The collector pruned an upload of ours before the
							// manifest came (no grace period): push again.
							retries.Add(1)
							continue
						}
						if err != nil {
							return fmt.Errorf("put manifest: %w", err)
						}
						mu.Lock()
						manifests = append(manifests, pushed{repo, md})
						mu.Unlock()
						if i%7 == 6 {
							if err := r.meta.DeleteManifest(r.ctx, repo.ID, md); err != nil && !errors.Is(err, store.ErrManifestUnknown) {
								return fmt.Errorf("delete manifest: %w", err)
							}
						}
						break
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	close(stop)
	if err := <-gcErr; err != nil {
		t.Fatalf("collector: %v", err)
	}
	t.Logf("%d manifests pushed, %d collector runs, %d pushes retried after a prune", len(manifests), gcRuns.Load(), retries.Load())
	if gcRuns.Load() < 2 {
		t.Errorf("collector ran only %d times during the pushes; the test did not race", gcRuns.Load())
	}

	// check asserts that every manifest still stored has its blobs, linked
	// and present, and returns the blobs they reference.
	check := func(when string) []oci.Digest {
		live := map[oci.Digest]bool{}
		for _, p := range manifests {
			rec, err := r.meta.GetManifest(r.ctx, p.repo.ID, string(p.d))
			if errors.Is(err, store.ErrManifestUnknown) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := oci.ParseManifest(rec.MediaType, rec.Content)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range m.BlobReferences() {
				live[b.Digest] = true
				if _, err := r.blobs.Stat(r.ctx, b.Digest); err != nil {
					t.Errorf("%s: manifest %s in %s: blob %s: %v", when, p.d, p.repo.Name, b.Digest, err)
				}
				if _, err := r.meta.StatBlob(r.ctx, p.repo.ID, b.Digest); err != nil {
					t.Errorf("%s: manifest %s in %s: link %s: %v", when, p.d, p.repo.Name, b.Digest, err)
				}
			}
		}
		var out []oci.Digest
		for d := range live {
			out = append(out, d)
		}
		slices.Sort(out)
		return out
	}
	check("after the race")
	// Garbage made by a run (links of the manifests it deleted) is
	// collected by the next one: run until nothing goes.
	for i := 0; ; i++ {
		st, err := g.RunOnce(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(gc.Stats{}, st, ignoreDuration) {
			break
		}
		if i == 5 {
			t.Fatalf("still collecting after %d quiet runs: %+v", i, st)
		}
	}
	live := check("after the final runs")
	if diff := cmp.Diff(live, r.files()); diff != "" {
		t.Errorf("after the final runs the store holds other blobs than live manifests reference (-live +stored):\n%s", diff)
	}
}
