package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

func testSubscriptions(t *testing.T, open func(t *testing.T) store.Meta) {
	ctx := t.Context()
	m := open(t)
	got, err := m.EnsureSubscription(ctx, "s2", "Second")
	noErr(t, "ensure", err)
	if got.ID != "s2" || got.Name != "Second" || got.CreatedAt.IsZero() {
		t.Fatalf("ensure: got %+v", got)
	}
	again, err := m.EnsureSubscription(ctx, "s2", "Renamed")
	noErr(t, "ensure again", err)
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("ensure is not idempotent (-first +second):\n%s", diff)
	}
	_, err = m.EnsureSubscription(ctx, "s1", "First")
	noErr(t, "ensure s1", err)
	list, err := m.ListSubscriptions(ctx)
	noErr(t, "list", err)
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"s1", "s2"}, ids); diff != "" {
		t.Errorf("ListSubscriptions (-want +got):\n%s", diff)
	}
}

func testRegistries(t *testing.T, open func(t *testing.T) store.Meta) {
	ctx := t.Context()
	m := open(t)
	for _, s := range []string{"s1", "s2"} {
		_, err := m.EnsureSubscription(ctx, s, s)
		noErr(t, "ensure", err)
	}
	r1, err := m.CreateRegistry(ctx, "s1", "team", store.RegistryTypeStandard)
	noErr(t, "create", err)
	if r1.ID == 0 || r1.Name != "team" || r1.SubscriptionID != "s1" || r1.Type != store.RegistryTypeStandard || r1.CreatedAt.IsZero() {
		t.Fatalf("create: got %+v", r1)
	}
	_, err = m.CreateRegistry(ctx, "s2", "team", store.RegistryTypeStandard)
	wantErr(t, "duplicate name in another subscription", err, store.ErrAlreadyExists)
	_, err = m.CreateRegistry(ctx, "nope", "other", store.RegistryTypeStandard)
	wantErr(t, "unknown subscription", err, store.ErrSubscriptionUnknown)
	_, err = m.CreateRegistry(ctx, "s1", "a/b", store.RegistryTypeStandard)
	wantErr(t, "nested name", err, oci.ErrInvalidName)
	_, err = m.CreateRegistry(ctx, "s1", "Upper", store.RegistryTypeStandard)
	wantErr(t, "bad name", err, oci.ErrInvalidName)
	if _, err := m.CreateRegistry(ctx, "s1", "weird", "bogus"); err == nil {
		t.Errorf("unknown registry type accepted")
	}
	_, err = m.CreateRegistry(ctx, "s2", "mirror", store.RegistryTypeExternal)
	noErr(t, "create external", err)

	got, err := m.GetRegistry(ctx, "team")
	noErr(t, "get", err)
	if diff := cmp.Diff(r1, got); diff != "" {
		t.Errorf("GetRegistry (-want +got):\n%s", diff)
	}
	_, err = m.GetRegistry(ctx, "missing")
	wantErr(t, "get missing", err, store.ErrRegistryUnknown)

	names := func(sub string) []string {
		rs, err := m.ListRegistries(ctx, sub)
		noErr(t, "list", err)
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"mirror", "team"}, names("")); diff != "" {
		t.Errorf("ListRegistries(all) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mirror"}, names("s2")); diff != "" {
		t.Errorf("ListRegistries(s2) (-want +got):\n%s", diff)
	}
}

func testResolveRepository(t *testing.T, open func(t *testing.T) store.Meta) {
	ctx := t.Context()
	m := open(t)
	_, err := m.EnsureSubscription(ctx, "s1", "s1")
	noErr(t, "ensure", err)

	_, err = m.ResolveRepository(ctx, "team/app", store.ResolveOptions{})
	wantErr(t, "unknown without create", err, store.ErrRepositoryUnknown)
	_, err = m.ResolveRepository(ctx, "team/app", store.ResolveOptions{Create: true})
	wantErr(t, "create in unknown registry without CreateRegistryIn", err, store.ErrRegistryUnknown)
	_, err = m.ResolveRepository(ctx, "team/app", store.ResolveOptions{Create: true, CreateRegistryIn: "nope"})
	wantErr(t, "create in unknown subscription", err, store.ErrSubscriptionUnknown)
	_, err = m.ResolveRepository(ctx, "Team/App", store.ResolveOptions{Create: true, CreateRegistryIn: "s1"})
	wantErr(t, "invalid name", err, oci.ErrInvalidName)
	if _, err := m.GetRegistry(ctx, "team"); err == nil {
		t.Fatalf("failed resolves created registry team")
	}

	r, err := m.ResolveRepository(ctx, "team/app/api", store.ResolveOptions{Create: true, CreateRegistryIn: "s1"})
	noErr(t, "create on first push", err)
	want := store.Repository{ID: r.ID, Name: "team/app/api", RegistryID: r.RegistryID, Registry: "team", SubscriptionID: "s1"}
	if diff := cmp.Diff(want, r); diff != "" || r.ID == 0 || r.RegistryID == 0 {
		t.Errorf("resolve (-want +got):\n%s", diff)
	}
	reg, err := m.GetRegistry(ctx, "team")
	noErr(t, "registry created on first push", err)
	if reg.ID != r.RegistryID || reg.Type != store.RegistryTypeStandard || reg.SubscriptionID != "s1" {
		t.Errorf("registry created on first push: %+v", reg)
	}
	again, err := m.ResolveRepository(ctx, "team/app/api", store.ResolveOptions{})
	noErr(t, "resolve existing", err)
	if diff := cmp.Diff(r, again); diff != "" {
		t.Errorf("resolve again (-want +got):\n%s", diff)
	}
	// A second repository in an explicitly created registry; no
	// CreateRegistryIn needed once the registry exists.
	other, err := m.ResolveRepository(ctx, "team/web", store.ResolveOptions{Create: true})
	noErr(t, "create in existing registry", err)
	if other.RegistryID != r.RegistryID || other.ID == r.ID {
		t.Errorf("second repository: %+v (first %+v)", other, r)
	}
	// A single-element name is its own registry.
	solo, err := m.ResolveRepository(ctx, "solo", store.ResolveOptions{Create: true, CreateRegistryIn: "s1"})
	noErr(t, "single element", err)
	if solo.Registry != "solo" {
		t.Errorf("single element registry = %q", solo.Registry)
	}
}

func testListRepositories(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open) // a/app in sub-a
	e.ensureSub("sub-b")
	e.ensureSub("sub-c")
	for _, n := range []string{"a/zeta", "a/beta"} {
		e.resolve(n, "sub-a")
	}
	for _, n := range []string{"b/one", "b/two"} {
		e.resolve(n, "sub-b")
	}
	e.resolve("c/only", "sub-c")
	tests := []struct {
		name string
		subs []string
		last string
		n    int
		want []string
	}{
		{"all", nil, "", -1, []string{"a/app", "a/beta", "a/zeta", "b/one", "b/two", "c/only"}},
		{"first page", nil, "", 2, []string{"a/app", "a/beta"}},
		{"next page", nil, "a/beta", 2, []string{"a/zeta", "b/one"}},
		{"last page", nil, "b/one", 10, []string{"b/two", "c/only"}},
		{"past the end", nil, "c/only", 10, []string{}},
		{"zero", nil, "", 0, []string{}},
		{"one subscription", []string{"sub-b"}, "", -1, []string{"b/one", "b/two"}},
		{"two subscriptions merged", []string{"sub-c", "sub-a"}, "", 3, []string{"a/app", "a/beta", "a/zeta"}},
		{"two subscriptions paged", []string{"sub-c", "sub-a"}, "a/beta", 2, []string{"a/zeta", "c/only"}},
		{"empty list means none", []string{}, "", -1, []string{}},
		{"unknown subscription", []string{"nope"}, "", -1, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.m.ListRepositories(e.ctx, tc.subs, tc.last, tc.n)
			noErr(t, "list", err)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListRepositories(%v, %q, %d) (-want +got):\n%s", tc.subs, tc.last, tc.n, diff)
			}
		})
	}
}

// testTenancy checks that nothing about subscription A's blobs is visible to
// subscription B, even when B knows the digest.
func testTenancy(t *testing.T, open func(t *testing.T) store.Meta) {
	e := newEnv(t, open)
	secret := NewBlob("secret layer of A")
	e.commit(e.repo, secret)
	e.ensureSub("sub-b")
	rb := e.resolve("b/app", "sub-b")

	_, err := e.m.StatBlob(e.ctx, rb.ID, secret.Digest)
	wantErr(t, "stat from B", err, store.ErrBlobUnknown)
	_, err = e.m.MountBlob(e.ctx, rb, secret.Digest, e.repo.Name)
	wantErr(t, "mount A's blob into B", err, store.ErrBlobUnknown)
	_, err = e.m.StatBlob(e.ctx, rb.ID, secret.Digest)
	wantErr(t, "stat from B after refused mount", err, store.ErrBlobUnknown)
	holders, err := e.m.BlobHolders(e.ctx, "sub-b", secret.Digest, 10)
	noErr(t, "holders", err)
	if len(holders) != 0 {
		t.Errorf("BlobHolders(sub-b) = %v, want none", holders)
	}
	// A manifest in B cannot reference A's blob either.
	img := ImageOf(t, secret, nil)
	_, err = e.m.PutManifest(e.ctx, rb, img.Put("x"))
	var mre *store.MissingReferenceError
	if !errAs(err, &mre) || mre.Digest != secret.Digest {
		t.Errorf("put in B referencing A's blob: got %v, want MissingReferenceError for %s", err, secret.Digest)
	}
	// Once B uploads the same bytes itself, B sees them; the bytes are
	// recorded once.
	e.commit(rb, secret)
	_, err = e.m.StatBlob(e.ctx, rb.ID, secret.Digest)
	noErr(t, "stat after own upload", err)
	holders, err = e.m.BlobHolders(e.ctx, "sub-b", secret.Digest, 10)
	noErr(t, "holders", err)
	if diff := cmp.Diff([]string{"b/app"}, holders); diff != "" {
		t.Errorf("BlobHolders(sub-b) (-want +got):\n%s", diff)
	}
	// Unlinking in B does not affect A.
	noErr(t, "unlink in B", e.m.UnlinkBlob(e.ctx, rb.ID, secret.Digest))
	_, err = e.m.StatBlob(e.ctx, e.repo.ID, secret.Digest)
	noErr(t, "A still sees its blob", err)
}
