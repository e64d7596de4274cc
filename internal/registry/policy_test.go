package registry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/oci"
)

// denyList is a PullPolicy that refuses the digests it holds and records
// what it was asked.
type denyList struct {
	mu    sync.Mutex
	deny  map[oci.Digest]bool
	fail  bool
	asked []PullRequest
}

func (p *denyList) Check(_ context.Context, req PullRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, req)
	if p.fail {
		return errors.New("policy store down")
	}
	if p.deny[req.Digest] {
		return &PullDeniedError{Message: "blocked by test", Detail: map[string]any{"digest": req.Digest.String()}}
	}
	return nil
}

func TestPullPolicy(t *testing.T) {
	pol := &denyList{deny: map[oci.Digest]bool{}}
	e := newEnv(t, func(_ *Config, d *Deps) { d.PullPolicy = pol })
	bad, good := newImage(t, 1, nil), newImage(t, 1, nil)
	e.pushImage("team/app", "bad", bad)
	e.pushImage("team/app", "good", good)
	pol.deny[bad.digest] = true

	for _, ref := range []string{"bad", bad.digest.String()} {
		for _, method := range []string{"GET", "HEAD"} {
			r := e.do(method, "/v2/team/app/manifests/"+ref, nil, nil)
			if r.Status != http.StatusForbidden {
				t.Fatalf("%s %s: status %d, want 403", method, ref, r.Status)
			}
			if method == "HEAD" {
				continue
			}
			var env envelope
			if err := json.Unmarshal(r.Body, &env); err != nil {
				t.Fatal(err)
			}
			want := envelope{Errors: []envelopeEntry{{Code: codeDenied, Message: "blocked by test",
				Detail: map[string]any{"digest": bad.digest.String()}}}}
			if diff := cmp.Diff(want, env); diff != "" {
				t.Errorf("GET %s body (-want +got):\n%s", ref, diff)
			}
			if r.Header.Get("Docker-Content-Digest") != "" {
				t.Error("a refused manifest's digest header was sent")
			}
		}
	}
	for _, method := range []string{"GET", "HEAD"} {
		if r := e.do(method, "/v2/team/app/manifests/good", nil, nil); r.Status != http.StatusOK {
			t.Errorf("%s good: %d", method, r.Status)
		}
	}
	// Blobs are not the policy's business; unknown manifests never reach it.
	if r := e.do("GET", "/v2/team/app/manifests/nope", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown tag: %d", r.Status)
	}
	pol.mu.Lock()
	last := pol.asked[len(pol.asked)-1]
	n := len(pol.asked)
	pol.mu.Unlock()
	if n != 6 || last.Repository.Name != "team/app" || last.Digest != good.digest || last.Method != "HEAD" ||
		last.MediaType != oci.MediaTypeImageManifest || last.Remote != "127.0.0.1" {
		t.Errorf("policy asked %d times, last %+v", n, last)
	}
	// A failing policy fails the pull: it is never read as "allowed".
	pol.mu.Lock()
	pol.fail = true
	pol.mu.Unlock()
	if r := e.do("GET", "/v2/team/app/manifests/good", nil, nil); r.Status != http.StatusInternalServerError {
		t.Errorf("failing policy: %d, want 500", r.Status)
	}
}
