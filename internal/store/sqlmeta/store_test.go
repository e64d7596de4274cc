package sqlmeta_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// pushImage records a small image (config + one layer) in a new repository
// name of subscription "s1" and returns the repository and digest.
func pushImage(t *testing.T, s *sqlmeta.Store, name, tag string) (store.Repository, oci.Digest) {
	t.Helper()
	return pushVariant(t, s, name, tag, "")
}

// pushVariant is pushImage of a manifest that differs by seed.
func pushVariant(t *testing.T, s *sqlmeta.Store, name, tag, seed string) (store.Repository, oci.Digest) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.EnsureSubscription(ctx, "s1", "One"); err != nil {
		t.Fatal(err)
	}
	repo, err := s.ResolveRepository(ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, layer := digest.FromString(name+"config"+seed), digest.FromString(name+"layer"+seed)
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
	return repo, d
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openTest(t, sqlmeta.Config{Path: path})
	repo, d := pushImage(t, s, "team/app", "v1")
	v1, err := s.SchemaVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // migrations are idempotent across restarts
		s = openTest(t, sqlmeta.Config{Path: path})
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != v1 || v < 2 {
			t.Fatalf("reopen %d: schema version %d, %v; want %d", i, v, err, v1)
		}
		got, err := s.ResolveRepository(t.Context(), "team/app", store.ResolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(repo, got); diff != "" {
			t.Errorf("repository after reopen (-want +got):\n%s", diff)
		}
		rec, err := s.GetManifest(t.Context(), repo.ID, "v1")
		if err != nil || rec.Digest != d {
			t.Errorf("manifest after reopen: %+v, %v", rec, err)
		}
		jobs, err := s.ListScanJobs(t.Context(), repo.ID, d)
		if err != nil || len(jobs) != 1 {
			t.Errorf("scan jobs after reopen: %v, %v", jobs, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEvents(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	repo, d := pushImage(t, s, "team/app", "v1")
	if err := s.DeleteManifest(ctx, repo.ID, d); err != nil {
		t.Fatal(err)
	}
	evs, err := s.PendingEvents(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	type payload struct {
		Repository, Digest, MediaType, Tag, SubscriptionID string
	}
	var got []payload
	var types []string
	for _, e := range evs {
		var p payload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatalf("event %d payload %s: %v", e.ID, e.Payload, err)
		}
		got = append(got, p)
		types = append(types, e.Type)
		if e.SubscriptionID != "s1" || e.CreatedAt.IsZero() {
			t.Errorf("event %+v", e)
		}
	}
	want := []payload{
		{Repository: "team/app", Digest: string(d), MediaType: oci.MediaTypeImageManifest, Tag: "v1", SubscriptionID: "s1"},
		{Repository: "team/app", Digest: string(d), MediaType: oci.MediaTypeImageManifest, SubscriptionID: "s1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event payloads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{sqlmeta.EventImagePushed, sqlmeta.EventImageDeleted}, types); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
	if err := s.MarkEventsDelivered(ctx, []int64{evs[0].ID}); err != nil {
		t.Fatal(err)
	}
	evs2, err := s.PendingEvents(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs2) != 1 || evs2[0].ID != evs[1].ID {
		t.Errorf("pending after delivery: %+v", evs2)
	}
	n, err := s.CountEvents(ctx, sqlmeta.EventImagePushed)
	if err != nil || n != 1 {
		t.Errorf("CountEvents(pushed) = %d, %v", n, err)
	}
}

func TestRecordPulls(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	repo, d := pushImage(t, s, "team/app", "v1")
	at, err := s.LastPulled(ctx, repo.ID, d)
	if err != nil || !at.IsZero() {
		t.Fatalf("LastPulled before any pull = %v, %v", at, err)
	}
	t1 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	err = s.RecordPulls(ctx, []store.Pull{
		{RepositoryID: repo.ID, Digest: d, At: t1},
		{RepositoryID: repo.ID, Digest: d, At: t1.Add(-time.Hour)}, // older: ignored
		{RepositoryID: repo.ID, Digest: digest.FromString("unknown"), At: t1},
	})
	if err != nil {
		t.Fatal(err)
	}
	at, err = s.LastPulled(ctx, repo.ID, d)
	if err != nil || !at.Equal(t1) {
		t.Errorf("LastPulled = %v, %v; want %v", at, err, t1)
	}
	if _, err := s.LastPulled(ctx, repo.ID, digest.FromString("unknown")); !errors.Is(err, store.ErrManifestUnknown) {
		t.Errorf("LastPulled(unknown) error = %v", err)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  sqlmeta.Config
		ok   bool
	}{
		{"defaults", sqlmeta.Config{Path: filepath.Join(dir, "a.db")}, true},
		{"normal", sqlmeta.Config{Path: filepath.Join(dir, "b.db"), Synchronous: "normal", ReadConns: 1, CacheKiB: 4096, BusyTimeout: time.Second}, true},
		{"no path", sqlmeta.Config{}, false},
		{"memory", sqlmeta.Config{Path: ":memory:"}, false},
		{"query in path", sqlmeta.Config{Path: filepath.Join(dir, "c.db?mode=ro")}, false},
		{"bad synchronous", sqlmeta.Config{Path: filepath.Join(dir, "d.db"), Synchronous: "OFF"}, false},
		{"negative timeout", sqlmeta.Config{Path: filepath.Join(dir, "e.db"), BusyTimeout: -1}, false},
		{"negative conns", sqlmeta.Config{Path: filepath.Join(dir, "f.db"), ReadConns: -1}, false},
		{"missing directory", sqlmeta.Config{Path: filepath.Join(dir, "nope", "g.db")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlmeta.Open(t.Context(), tc.cfg, discard())
			if (err == nil) != tc.ok {
				t.Fatalf("Open(%+v) error = %v, want ok=%v", tc.cfg, err, tc.ok)
			}
			if err == nil {
				if err := s.Ping(t.Context()); err != nil {
					t.Error(err)
				}
				s.Close()
			}
		})
	}
}

// TestDatabaseFull: a write the database cannot grow for fails with an
// error wrapping syscall.ENOSPC (the registry answers 507, as for a full
// blob store), nothing of it is kept, and the store works again once there
// is room.
func TestDatabaseFull(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, sqlmeta.Config{})
	if _, err := s.EnsureSubscription(ctx, "s1", "One"); err != nil {
		t.Fatal(err)
	}
	create := store.ResolveOptions{Create: true, CreateRegistryIn: "s1"}
	if _, err := s.ResolveRepository(ctx, "team/first", create); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := sqlmeta.PageCount(ctx, s, &pages); err != nil {
		t.Fatal(err)
	}
	if err := sqlmeta.SetMaxPageCount(ctx, s, pages); err != nil {
		t.Fatal(err)
	}
	var err error
	var failed string
	for i := range 10000 {
		name := fmt.Sprintf("team/%s-%d", strings.Repeat("x", 200), i)
		if _, err = s.ResolveRepository(ctx, name, create); err != nil {
			failed = name
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write into a full database: %v, want an error wrapping ENOSPC", err)
	}
	if _, err := s.ResolveRepository(ctx, failed, store.ResolveOptions{}); !errors.Is(err, store.ErrRepositoryUnknown) {
		t.Fatalf("the failed write left %s behind: %v", failed, err)
	}
	if err := sqlmeta.SetMaxPageCount(ctx, s, 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveRepository(ctx, failed, create); err != nil {
		t.Fatalf("after room was made: %v", err)
	}
}
