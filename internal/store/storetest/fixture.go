package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// EventCounter is implemented by stores whose outbox can be counted; the
// suite then checks that events are written with their changes.
type EventCounter interface {
	CountEvents(ctx context.Context, typ string) (int64, error)
}

// Blob is test content with its digest.
type Blob struct {
	Digest oci.Digest
	Data   []byte
}

// NewBlob returns a blob with content derived from seed.
func NewBlob(seed string) Blob {
	b := []byte("blob:" + seed)
	return Blob{Digest: digest.FromBytes(b), Data: b}
}

// Image is a manifest document ready for PutManifest.
type Image struct {
	Digest  oci.Digest
	Content []byte
	Parsed  *oci.Manifest
}

// Put returns the ManifestPut of img with tag, requiring references.
func (img Image) Put(tag string) store.ManifestPut {
	return store.ManifestPut{Digest: img.Digest, Content: img.Content, Manifest: img.Parsed, Tag: tag, RequireRefs: true}
}

type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       oci.Digest        `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

func mustImage(t testing.TB, doc map[string]any) Image {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := oci.ParseManifest("", b)
	if err != nil {
		t.Fatalf("fixture manifest: %v\n%s", err, b)
	}
	return Image{Digest: digest.FromBytes(b), Content: b, Parsed: m}
}

// ImageOf builds an OCI image manifest with config and layers.
// Options: an *oci.Digest subject, a string artifactType, a
// map[string]string of annotations.
func ImageOf(t testing.TB, config Blob, layers []Blob, opts ...any) Image {
	t.Helper()
	doc := map[string]any{
		"schemaVersion": 2,
		"mediaType":     oci.MediaTypeImageManifest,
		"config":        descriptor{MediaType: oci.MediaTypeImageConfig, Digest: config.Digest, Size: int64(len(config.Data))},
	}
	ls := []descriptor{}
	for _, l := range layers {
		ls = append(ls, descriptor{MediaType: oci.MediaTypeLayerGzip, Digest: l.Digest, Size: int64(len(l.Data))})
	}
	doc["layers"] = ls
	for _, o := range opts {
		switch o := o.(type) {
		case Image:
			doc["subject"] = descriptor{MediaType: oci.MediaTypeImageManifest, Digest: o.Digest, Size: int64(len(o.Content))}
		case string:
			doc["artifactType"] = o
		case map[string]string:
			doc["annotations"] = o
		default:
			t.Fatalf("ImageOf: unknown option %T", o)
		}
	}
	return mustImage(t, doc)
}

// IndexOf builds an OCI index of children.
func IndexOf(t testing.TB, children ...Image) Image {
	t.Helper()
	ms := []descriptor{}
	for _, c := range children {
		ms = append(ms, descriptor{MediaType: c.Parsed.MediaType, Digest: c.Digest, Size: int64(len(c.Content))})
	}
	return mustImage(t, map[string]any{"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex, "manifests": ms})
}

// env is a store with one subscription and repository ready.
type env struct {
	t    *testing.T
	ctx  context.Context
	m    store.Meta
	sub  string
	repo store.Repository
}

func newEnv(t *testing.T, open func(t *testing.T) store.Meta) *env {
	t.Helper()
	e := &env{t: t, ctx: t.Context(), m: open(t), sub: "sub-a"}
	e.ensureSub("sub-a")
	e.repo = e.resolve("a/app", "sub-a")
	return e
}

func (e *env) ensureSub(id string) {
	e.t.Helper()
	if _, err := e.m.EnsureSubscription(e.ctx, id, "Subscription "+id); err != nil {
		e.t.Fatal(err)
	}
}

// resolve creates (on first push) repository name with its registry in sub.
func (e *env) resolve(name, sub string) store.Repository {
	e.t.Helper()
	r, err := e.m.ResolveRepository(e.ctx, name, store.ResolveOptions{Create: true, CreateRegistryIn: sub})
	if err != nil {
		e.t.Fatalf("resolve %s: %v", name, err)
	}
	return r
}

// commit records blob b in repo, as an upload commit would.
func (e *env) commit(repo store.Repository, bs ...Blob) {
	e.t.Helper()
	for _, b := range bs {
		info, err := e.m.CommitBlob(e.ctx, repo, b.Digest, func() (store.BlobInfo, error) {
			return store.BlobInfo{Digest: b.Digest, Size: int64(len(b.Data)), ModTime: time.Now()}, nil
		})
		if err != nil {
			e.t.Fatalf("commit blob %s: %v", b.Digest, err)
		}
		if info.Digest != b.Digest || info.Size != int64(len(b.Data)) {
			e.t.Fatalf("commit blob %s: got %+v", b.Digest, info)
		}
	}
}

// push commits img's blobs and the manifest with tag.
func (e *env) push(repo store.Repository, img Image, tag string, blobs ...Blob) store.PutResult {
	e.t.Helper()
	e.commit(repo, blobs...)
	res, err := e.m.PutManifest(e.ctx, repo, img.Put(tag))
	if err != nil {
		e.t.Fatalf("put manifest %s: %v", img.Digest, err)
	}
	return res
}

// simpleImage returns an image of seed with its config and two layers.
func simpleImage(t testing.TB, seed string, opts ...any) (Image, []Blob) {
	cfg := NewBlob(seed + "/config")
	layers := []Blob{NewBlob(seed + "/layer0"), NewBlob(seed + "/layer1")}
	return ImageOf(t, cfg, layers, opts...), append([]Blob{cfg}, layers...)
}

func (e *env) countEvents(typ string) (int64, bool) {
	e.t.Helper()
	ec, ok := e.m.(EventCounter)
	if !ok {
		return 0, false
	}
	n, err := ec.CountEvents(e.ctx, typ)
	if err != nil {
		e.t.Fatal(err)
	}
	return n, true
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var errBoom = fmt.Errorf("storetest: injected failure")

func errAs[T error](err error, target *T) bool { return errors.As(err, target) }
