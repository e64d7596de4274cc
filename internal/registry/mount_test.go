package registry

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// policyAuth is a small Authorizer with behaviour: it refuses the actions
// deny names (ErrDenied unless deny returns another error), gives every
// allowed request ident, and remembers what it was asked.
type policyAuth struct {
	ident *access.Identity
	deny  func(repo string, a access.Action) error
	mu    sync.Mutex
	asked [][]access.Request
}

func (p *policyAuth) Authorize(r *http.Request, reqs []access.Request) (*http.Request, error) {
	p.mu.Lock()
	p.asked = append(p.asked, reqs)
	p.mu.Unlock()
	for _, q := range reqs {
		for _, a := range q.Actions {
			if p.deny != nil {
				if err := p.deny(q.Repository, a); err != nil {
					return nil, err
				}
			}
		}
	}
	id := p.ident
	if id == nil {
		id = &access.Identity{}
	}
	return r.WithContext(access.WithIdentity(r.Context(), id)), nil
}

func (p *policyAuth) Challenge(_ *http.Request, reqs []access.Request) string {
	var scopes []string
	for _, q := range reqs {
		var acts []string
		for _, a := range q.Actions {
			acts = append(acts, string(a))
		}
		scopes = append(scopes, "repository:"+q.Repository+":"+strings.Join(acts, ","))
	}
	return fmt.Sprintf(`Bearer realm="https://auth.example/token",service="drydock",scope=%q`, strings.Join(scopes, " "))
}

// denyActions refuses action on the listed repositories.
func denyActions(action access.Action, repos ...string) func(string, access.Action) error {
	return func(repo string, a access.Action) error {
		if a == action {
			for _, r := range repos {
				if r == repo {
					return fmt.Errorf("%w: %s on %s", access.ErrDenied, a, repo)
				}
			}
		}
		return nil
	}
}

// addSubscription creates subscription sub owning registry reg.
func addSubscription(t *testing.T, e *env, sub, reg string) {
	t.Helper()
	if _, err := e.meta.EnsureSubscription(t.Context(), sub, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := e.meta.CreateRegistry(t.Context(), sub, reg, store.RegistryTypeStandard); err != nil {
		t.Fatal(err)
	}
}

func mountURL(repo string, d oci.Digest, from string) string {
	v := url.Values{}
	v.Set("mount", d.String())
	if from != "" {
		v.Set("from", from)
	}
	return "/v2/" + repo + "/blobs/uploads/?" + v.Encode()
}

func TestMounts(t *testing.T) {
	type step struct {
		method, path string
		wantStatus   int
	}
	blob := randBytes(t, 512)
	d := digest.FromBytes(blob)
	d512 := oci.SHA512.FromBytes(blob)
	tests := []struct {
		name      string
		autoMount bool
		deny      func(string, access.Action) error
		ident     *access.Identity
		setup     func(t *testing.T, e *env) // blob d is pushed to src/a (subscription default) before
		steps     []step
	}{
		{
			name: "explicit mount in the subscription", autoMount: false,
			steps: []step{
				{"POST", mountURL("dst/b", d, "src/a"), 201},
				{"GET", "/v2/dst/b/blobs/" + d.String(), 200},
			},
		},
		{
			name: "explicit mount sha512", autoMount: false,
			setup: func(t *testing.T, e *env) {
				if r := flowMonolithic(e, "src/a", blob, d512); r.Status != 201 {
					t.Fatalf("push sha512: %d", r.Status)
				}
			},
			steps: []step{
				{"POST", mountURL("dst/b", d512, "src/a"), 201},
				{"HEAD", "/v2/dst/b/blobs/" + d512.String(), 200},
			},
		},
		{
			name: "source lacks the blob: upload session", autoMount: false,
			setup: func(t *testing.T, e *env) { e.pushBlob("src/empty", []byte("other")) },
			steps: []step{
				{"POST", mountURL("dst/b", d, "src/empty"), 202},
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
			},
		},
		{
			name: "source of another subscription: upload session", autoMount: true,
			setup: func(t *testing.T, e *env) {
				addSubscription(t, e, "s2", "other")
				e.pushBlob("other/x", []byte("only in s2"))
			},
			steps: []step{
				{"POST", mountURL("dst/b", digest.FromBytes([]byte("only in s2")), "other/x"), 202},
				{"HEAD", "/v2/dst/b/blobs/" + digest.FromBytes([]byte("only in s2")).String(), 404},
			},
		},
		{
			name: "target in another subscription never gets the blob", autoMount: true,
			setup: func(t *testing.T, e *env) { addSubscription(t, e, "s2", "other") },
			steps: []step{
				{"POST", mountURL("other/y", d, "src/a"), 202},
				{"POST", mountURL("other/y", d, ""), 202},
				{"HEAD", "/v2/other/y/blobs/" + d.String(), 404},
			},
		},
		{
			name: "source the caller may not pull: upload session", autoMount: true,
			deny:  denyActions(access.ActionPull, "src/a"),
			ident: &access.Identity{Repositories: []string{"dst/*"}},
			steps: []step{
				{"POST", mountURL("dst/b", d, "src/a"), 202},
				{"POST", mountURL("dst/b", d, ""), 202},
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
			},
		},
		{
			name: "mount without from: automatic", autoMount: true,
			steps: []step{
				{"POST", mountURL("dst/b", d, ""), 201},
				{"GET", "/v2/dst/b/blobs/" + d.String(), 200},
			},
		},
		{
			name: "mount without from, AutoMount off", autoMount: false,
			steps: []step{
				{"POST", mountURL("dst/b", d, ""), 202},
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
			},
		},
		{
			name: "HEAD links automatically, even into a new repository", autoMount: true,
			steps: []step{
				{"GET", "/v2/dst/new/blobs/" + d.String(), 404}, // GET never links
				{"HEAD", "/v2/dst/new/blobs/" + d.String(), 200},
				{"GET", "/v2/dst/new/blobs/" + d.String(), 200},
			},
		},
		{
			name: "HEAD into a new registry of the same subscription", autoMount: true,
			steps: []step{
				{"HEAD", "/v2/fresh/app/blobs/" + d.String(), 200},
			},
		},
		{
			name: "HEAD by a caller without push does not link", autoMount: true,
			deny: denyActions(access.ActionPush, "dst/b"),
			setup: func(t *testing.T, e *env) {
				e.pushBlob("dst/b", []byte("exists")) // as someone else, before the policy matters
			},
			steps: []step{
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
			},
		},
		{
			name: "HEAD after an explicit delete stays 404 until pushed again", autoMount: true,
			steps: []step{
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 200},
				{"DELETE", "/v2/dst/b/blobs/" + d.String(), 202},
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
				{"POST", mountURL("dst/b", d, "src/a"), 201},
				{"DELETE", "/v2/dst/b/blobs/" + d.String(), 202},
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
				{"POST", "/v2/dst/b/blobs/uploads/?digest=" + d.String(), 201}, // body: see below
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 200},
			},
		},
		{
			name: "HEAD AutoMount off", autoMount: false,
			steps: []step{
				{"HEAD", "/v2/dst/b/blobs/" + d.String(), 404},
			},
		},
		{
			name: "invalid mount digest", autoMount: true,
			steps: []step{
				{"POST", "/v2/dst/b/blobs/uploads/?mount=sha256:nope&from=src/a", 400},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := &policyAuth{ident: tt.ident}
			e := newEnv(t, withConfig(func(c *Config) { c.AutoMount = tt.autoMount }), withAuth(auth))
			e.pushBlob("src/a", blob)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			auth.deny = tt.deny
			for i, s := range tt.steps {
				var body []byte
				if s.method == "POST" && strings.Contains(s.path, "?digest=") {
					body = blob
				}
				r := e.do(s.method, s.path, body, nil)
				if r.Status != s.wantStatus {
					t.Fatalf("step %d %s %s: status %d, want %d: %s", i, s.method, s.path, r.Status, s.wantStatus, r.Body)
				}
				if s.method == "POST" && s.wantStatus == 202 && r.Header.Get("Location") == "" {
					t.Errorf("step %d: fallback without Location", i)
				}
				if s.method == "POST" && s.wantStatus == 201 &&
					!strings.HasSuffix(r.Header.Get("Location"), "/blobs/"+r.Header.Get("Docker-Content-Digest")) {
					t.Errorf("step %d: mount Location %q", i, r.Header.Get("Location"))
				}
			}
		})
	}
}

func TestManifestPushLinksBlobsOfTheSubscription(t *testing.T) {
	for _, autoMount := range []bool{true, false} {
		t.Run(fmt.Sprintf("AutoMount=%v", autoMount), func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *Config) { c.AutoMount = autoMount }))
			im := newImage(t, 3, nil)
			e.pushImage("base/img", "v1", im)
			r := e.do("PUT", "/v2/app/img/manifests/v1", im.manifest, hdr("Content-Type", oci.MediaTypeImageManifest))
			if autoMount {
				if r.Status != http.StatusCreated {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				if g := e.do("GET", "/v2/app/img/blobs/"+digest.FromBytes(im.layers[2]).String(), nil, nil); g.Status != 200 {
					t.Errorf("layer not linked: %d", g.Status)
				}
				return
			}
			if r.Status != http.StatusBadRequest || errCode(t, r) != codeManifestBlobUnknown {
				t.Fatalf("status %d code %s", r.Status, errCode(t, r))
			}
		})
	}
}

func TestRepositoriesOfOtherSubscriptionsLookAbsent(t *testing.T) {
	// The caller sees only s2; "default" holds team/app.
	auth := &policyAuth{ident: &access.Identity{Subscriptions: []string{"s2"}}}
	e := newEnv(t, withAuth(auth))
	addSubscription(t, e, "s2", "mine")
	auth.ident = nil // push setup as an unrestricted caller
	im := newImage(t, 1, nil)
	e.pushImage("team/app", "v1", im)
	auth.ident = &access.Identity{Subscriptions: []string{"s2"}}

	for _, c := range []struct{ method, path string }{
		{"GET", "/v2/team/app/manifests/v1"},
		{"HEAD", "/v2/team/app/manifests/" + im.digest.String()},
		{"GET", "/v2/team/app/tags/list"},
		{"GET", "/v2/team/app/blobs/" + digest.FromBytes(im.config).String()},
		{"DELETE", "/v2/team/app/manifests/v1"},
	} {
		r := e.do(c.method, c.path, nil, nil)
		if r.Status != http.StatusNotFound || (c.method != "HEAD" && errCode(t, r) != codeNameUnknown) {
			t.Errorf("%s %s: %d %s, want 404 NAME_UNKNOWN", c.method, c.path, r.Status, errCode(t, r))
		}
	}
	r := e.do("GET", "/v2/team/app/referrers/"+im.digest.String(), nil, nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "sha256:") {
		t.Errorf("referrers: %d %s", r.Status, r.Body)
	}
	// Pushing into its registry is denied; into the caller's own works, and
	// a new registry goes to the caller's only subscription.
	if r := e.do("POST", "/v2/team/app/blobs/uploads/", nil, nil); r.Status != http.StatusForbidden || errCode(t, r) != codeDenied {
		t.Errorf("push into foreign registry: %d %s", r.Status, errCode(t, r))
	}
	e.pushBlob("mine/x", []byte("ok"))
	e.pushBlob("newreg/x", []byte("ok"))
	reg, err := e.meta.GetRegistry(t.Context(), "newreg")
	if err != nil || reg.SubscriptionID != "s2" {
		t.Errorf("new registry %+v (err %v), want it in s2", reg, err)
	}
	// The catalog lists only s2.
	c := e.do("GET", "/v2/_catalog", nil, nil)
	if string(c.Body) != `{"repositories":["mine/x","newreg/x"]}`+"\n" {
		t.Errorf("catalog %s", c.Body)
	}
	if errors.Is(nil, access.ErrDenied) {
		t.Fatal("unreachable")
	}
}
