package gc_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/gc"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/registry"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb"
)

type noDB struct{}

func (noDB) DB() *vulndb.DB { return nil }

// objectNames lists the cache's objects under prefix.
func objectNames(t *testing.T, objs *objects.Dir, prefix string) []string {
	t.Helper()
	var out []string
	if err := objs.Walk(t.Context(), prefix, func(name string, _ time.Time) error { out = append(out, name); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func skeletonName(d oci.Digest) string {
	return "layers/" + string(d.Algorithm()) + "/" + d.Encoded()[:2] + "/" + d.Encoded() + ".skeleton"
}

func inventoryName(d oci.Digest) string {
	return "inventories/" + string(d.Algorithm()) + "/" + d.Encoded()[:2] + "/" + d.Encoded() + ".inventory"
}

// TestCacheObjects scans two images that share a base layer with the real
// pipeline, deletes one, and checks that a collection removes exactly the
// deleted image's inventory and the skeleton of the layer only it held.
func TestCacheObjects(t *testing.T) {
	r := newRig(t)
	log := slog.New(slog.DiscardHandler)
	objs, err := objects.Open(filepath.Join(t.TempDir(), "scan"), false)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.DefaultConfig(), registry.Deps{Meta: r.meta, Blobs: r.blobs, Auth: access.Open(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Poll: 5 * time.Millisecond}, pipeline.Deps{Queue: r.meta, Results: r.meta, Manifests: r.meta,
		Blobs: r.blobs, Objects: objs, Advisories: noDB{}, Plans: r.meta, Exemptions: r.meta, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	base := st.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.0\n"), lt.File("lib/apk/db/installed", "P:musl\nV:1.2.5-r0\n\n"))
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{base, st.Tar(t, lt.File("app/a", "a"))}})
	b := st.Image(t, st.ImageSpec{Layers: [][]byte{base, st.Tar(t, lt.File("app/b", "b"))}})
	st.Push(t, reg, "team/a", "v1", a)
	st.Push(t, reg, "team/b", "v1", b)
	layers := func(art *st.Artifact) []oci.Digest {
		m, err := oci.ParseManifest(art.Root.Desc.MediaType, art.Root.Data)
		if err != nil {
			t.Fatal(err)
		}
		var out []oci.Digest
		for _, l := range m.Layers {
			out = append(out, l.Digest)
		}
		return out
	}
	la, lb := layers(a), layers(b)
	if la[0] != lb[0] || la[1] == lb[1] {
		t.Fatalf("layers: %v %v", la, lb)
	}
	for _, art := range []*st.Artifact{a, b} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			ims, err := r.meta.ListImages(r.ctx, store.ImageFilter{Digest: art.Root.Desc.Digest, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(ims) == 1 && ims[0].Inventory != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no inventory in time: %+v", art.Root.Desc.Digest, ims)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	skeletons := []string{skeletonName(la[0]), skeletonName(la[1]), skeletonName(lb[1])}
	slices.Sort(skeletons)
	inventories := []string{inventoryName(a.Root.Desc.Digest), inventoryName(b.Root.Desc.Digest)}
	slices.Sort(inventories)
	// The names the collector parses are the ones the pipeline writes.
	if diff := cmp.Diff(skeletons, objectNames(t, objs, "layers/")); diff != "" {
		t.Fatalf("skeletons after the scans (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(inventories, objectNames(t, objs, "inventories/")); diff != "" {
		t.Fatalf("inventories after the scans (-want +got):\n%s", diff)
	}
	// Objects that are not the cache's, or too young, stay.
	stranger := "layers/README"
	if err := objs.Put(r.ctx, stranger, []byte("x")); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(reg)
	defer srv.Close()
	req, _ := http.NewRequest("DELETE", srv.URL+"/v2/team/a/manifests/"+string(a.Root.Desc.Digest), nil)
	res, err := srv.Client().Do(req)
	if err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("delete a: %v %v", res, err)
	}
	res.Body.Close()

	// Within the grace period nothing goes.
	g, err := gc.New(gc.Config{}, r.meta, r.blobs, log, gc.WithCache(objs, r.meta))
	if err != nil {
		t.Fatal(err)
	}
	if stats, err := g.RunOnce(r.ctx); err != nil || stats.CacheObjectsDeleted != 0 {
		t.Fatalf("run within the grace period: %+v %v", stats, err)
	}
	g, err = gc.New(gc.Config{GracePeriod: gc.NoGrace}, r.meta, r.blobs, log, gc.WithCache(objs, r.meta))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := g.RunOnce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.BlobsDeleted == 0 || stats.CacheObjectsDeleted != 2 {
		t.Errorf("stats: %+v, want blobs deleted and 2 cache objects", stats)
	}
	wantSkeletons := []string{skeletonName(la[0]), skeletonName(lb[1]), stranger}
	slices.Sort(wantSkeletons)
	if diff := cmp.Diff(wantSkeletons, objectNames(t, objs, "layers/")); diff != "" {
		t.Errorf("skeletons after collection (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{inventoryName(b.Root.Desc.Digest)}, objectNames(t, objs, "inventories/")); diff != "" {
		t.Errorf("inventories after collection (-want +got):\n%s", diff)
	}
	// The image still held reads its inventory: a rescan needs no layer
	// of a deleted image.
	ims, err := r.meta.ListImages(r.ctx, store.ImageFilter{Digest: b.Root.Desc.Digest, Limit: 1})
	if err != nil || len(ims) != 1 {
		t.Fatal(ims, err)
	}
	if _, err := p.Report(r.ctx, ims[0]); err != nil && !errors.Is(err, pipeline.ErrNotEvaluated) {
		t.Errorf("report of b after collection: %v", err)
	}
	if _, err := gc.New(gc.Config{}, r.meta, r.blobs, log, gc.WithCache(objs, nil)); err == nil {
		t.Error("WithCache without an image lookup accepted")
	}
}
