package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xeipuuv/gojsonschema"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

// testAuth authenticates by the X-Test-User header: a small fake of an
// identity service with fixed users.
type testAuth struct{}

var testUsers = map[string]*access.Identity{
	"root":   {Name: "root"},                                                                    // every subscription
	"alice":  {Name: "alice", Subscriptions: []string{"s1"}},                                    // tenant 1
	"bob":    {Name: "bob", Subscriptions: []string{"s2"}},                                      // tenant 2
	"scoped": {Name: "scoped", Subscriptions: []string{"s1"}, Repositories: []string{"team/*"}}, // repository token
	"nobody": nil,                                                                               // authenticated, no identity
}

func (testAuth) Authorize(r *http.Request, _ []access.Request) (*http.Request, error) {
	name := r.Header.Get("X-Test-User")
	id, ok := testUsers[name]
	if !ok {
		return nil, access.ErrUnauthenticated
	}
	if id == nil {
		return r, nil
	}
	return r.WithContext(access.WithIdentity(r.Context(), id)), nil
}

func (testAuth) Challenge(*http.Request, []access.Request) string { return `Basic realm="test"` }

// apiClient calls the handler as one user and checks every JSON answer
// against the OpenAPI fragment.
type apiClient struct {
	t    *testing.T
	srv  *httptest.Server
	user string
}

func newAPI(t *testing.T, s store.Webhooks, cfg Config) *httptest.Server {
	t.Helper()
	h, err := NewHandler(cfg, HandlerDeps{Store: s, Auth: testAuth{}, Logger: slog.New(slog.DiscardHandler), Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range Patterns {
		mux.Handle(p, h)
	}
	mux.Handle("/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot) // another engineer's catch-all
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func (c apiClient) do(method, path string, body any, wantStatus int, schema string, out any) http.Header {
	c.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+path, rd)
	if c.user != "" {
		req.Header.Set("X-Test-User", c.user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, c.user, resp.StatusCode, wantStatus, b)
	}
	if resp.StatusCode >= 400 {
		schema = "WebhookProblem"
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			c.t.Errorf("error content type %q", ct)
		}
	}
	if schema != "" {
		validate(c.t, schema, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.Header
}

// validate checks doc against a schema of the OpenAPI fragment.
func validate(t *testing.T, schema string, doc []byte) {
	t.Helper()
	_, comps, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	root := map[string]any{"components": comps, "$ref": "#/components/schemas/" + schema}
	res, err := gojsonschema.Validate(gojsonschema.NewGoLoader(root), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		t.Fatalf("validate against %s: %v", schema, err)
	}
	if !res.Valid() {
		t.Errorf("answer does not match schema %s: %v\n%s", schema, res.Errors(), doc)
	}
}

func TestAPILifecycle(t *testing.T) {
	s := openStore(t)
	srv := newAPI(t, s, Config{AllowPrivateTargets: true, MaxPerSubscription: 2})
	alice := apiClient{t: t, srv: srv, user: "alice"}

	var created webhookJSON
	hdr := alice.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/a", "events": []string{"scan.failed", "image.pushed"}}, 201, "Webhook", &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Secret) < 40 {
		t.Errorf("generated secret %q", created.Secret)
	}
	if hdr.Get("Location") != "/api/v1/webhooks/"+created.ID {
		t.Errorf("Location %q", hdr.Get("Location"))
	}
	want := webhookJSON{ID: created.ID, Subscription: "s1", URL: "https://hooks.example.com/a", Events: []string{"image.pushed", "scan.failed"},
		Active: true, CreatedBy: "alice", CreatedAt: stamp(t0), UpdatedAt: stamp(t0)}
	got := created
	got.Secret = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	stored, err := s.GetWebhook(t.Context(), created.ID)
	if err != nil || stored.Secret != created.Secret {
		t.Fatalf("stored secret differs from the one shown: %v", err)
	}
	// The secret is shown once.
	var fetched webhookJSON
	alice.do("GET", "/api/v1/webhooks/"+created.ID, nil, 200, "Webhook", &fetched)
	if diff := cmp.Diff(want, fetched); diff != "" {
		t.Errorf("GET (-want +got):\n%s", diff)
	}
	var given webhookJSON
	alice.do("POST", "/api/v1/webhooks", map[string]any{"subscription": "s1", "url": "http://127.0.0.1:9/x", "secret": "my-own-secret-of-20b", "registry": "team", "active": false}, 201, "Webhook", &given)
	if given.Secret != "my-own-secret-of-20b" || given.Registry != "team" || given.Active || !cmp.Equal(given.Events, []string{"*"}) {
		t.Errorf("created with a given secret: %+v", given)
	}
	alice.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example.com/"}, 409, "", nil) // MaxPerSubscription 2

	var list struct{ Items []webhookJSON }
	alice.do("GET", "/api/v1/webhooks", nil, 200, "WebhookList", &list)
	if len(list.Items) != 2 || list.Items[0].Secret != "" || list.Items[1].Secret != "" {
		t.Errorf("list: %+v", list.Items)
	}

	var updated webhookJSON
	alice.do("PATCH", "/api/v1/webhooks/"+given.ID, map[string]any{"active": true, "events": []string{"finding.new"}, "registry": ""}, 200, "Webhook", &updated)
	if !updated.Active || !cmp.Equal(updated.Events, []string{"finding.new"}) || updated.Registry != "" || updated.URL != given.URL {
		t.Errorf("updated %+v", updated)
	}

	// Deliveries: three pings, the first delivered, paged two at a time.
	var pings []deliveryJSON
	for range 3 {
		var d deliveryJSON
		alice.do("POST", "/api/v1/webhooks/"+given.ID+"/ping", nil, 202, "WebhookDelivery", &d)
		if d.State != "pending" || d.Event.Type != EventPing || d.Webhook != given.ID {
			t.Errorf("ping delivery %+v", d)
		}
		pings = append(pings, d)
	}
	cs, err := s.ClaimDeliveries(t.Context(), "test", t0, time.Minute, 1, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim %v %v", cs, err)
	}
	if err := s.RecordAttempt(t.Context(), "test", cs[0].Tasks[0].Delivery.Seq, store.AttemptResult{
		Attempt: store.DeliveryAttempt{N: 1, At: t0, Status: 200, Latency: 1500 * time.Microsecond, Response: "ok"},
		State:   store.DeliveryDelivered,
	}); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items    []deliveryJSON
		NextLink string
	}
	alice.do("GET", "/api/v1/webhooks/"+given.ID+"/deliveries?limit=2", nil, 200, "WebhookDeliveryList", &page)
	if len(page.Items) != 2 || page.Items[0].ID != pings[2].ID || page.Items[1].ID != pings[1].ID || page.NextLink == "" {
		t.Fatalf("first page %+v", page)
	}
	var page2 struct {
		Items    []deliveryJSON
		NextLink string
	}
	alice.do("GET", page.NextLink, nil, 200, "WebhookDeliveryList", &page2)
	if len(page2.Items) != 1 || page2.Items[0].ID != pings[0].ID || page2.NextLink != "" {
		t.Fatalf("second page %+v", page2)
	}
	var one deliveryJSON
	alice.do("GET", "/api/v1/webhooks/"+given.ID+"/deliveries/"+pings[0].ID, nil, 200, "WebhookDelivery", &one)
	wantHist := []attemptJSON{{Attempt: 1, At: stamp(t0), StatusCode: 200, LatencyMs: 1.5, Response: "ok"}}
	if one.State != "delivered" || one.LastStatusCode != 200 || one.LastLatencyMs == nil || *one.LastLatencyMs != 1.5 || !cmp.Equal(wantHist, one.History) {
		t.Errorf("delivery with history %+v", one)
	}
	alice.do("POST", "/api/v1/webhooks/"+given.ID+"/deliveries/"+pings[1].ID+"/redeliver", nil, 409, "", nil) // still pending
	var re deliveryJSON
	alice.do("POST", "/api/v1/webhooks/"+given.ID+"/deliveries/"+pings[0].ID+"/redeliver", nil, 202, "WebhookDelivery", &re)
	if re.RedeliveryOf != pings[0].ID || re.Event.ID != pings[0].Event.ID || re.ID == pings[0].ID {
		t.Errorf("redelivery %+v", re)
	}
	alice.do("POST", "/api/v1/webhooks/"+given.ID+"/deliveries/nope/redeliver", nil, 404, "", nil)

	// Paused webhooks are not pinged.
	alice.do("PATCH", "/api/v1/webhooks/"+given.ID, map[string]any{"active": false}, 200, "Webhook", nil)
	alice.do("POST", "/api/v1/webhooks/"+given.ID+"/ping", nil, 409, "", nil)

	alice.do("DELETE", "/api/v1/webhooks/"+given.ID, nil, 204, "", nil)
	alice.do("GET", "/api/v1/webhooks/"+given.ID, nil, 404, "", nil)
	alice.do("GET", "/api/v1/webhooks/"+given.ID+"/deliveries", nil, 404, "", nil)
}

func TestAPIValidation(t *testing.T) {
	s := openStore(t)
	srv := newAPI(t, s, Config{})
	root := apiClient{t: t, srv: srv, user: "root"}
	tests := []struct {
		name string
		body any
		want int
	}{
		{"no subscription for a multi-subscription caller", map[string]any{"url": "https://a.example.com/"}, 400},
		{"unknown subscription", map[string]any{"subscription": "zz", "url": "https://a.example.com/"}, 404},
		{"no url", map[string]any{"subscription": "s1"}, 400},
		{"loopback url", map[string]any{"subscription": "s1", "url": "http://127.0.0.1:8080/"}, 400},
		{"metadata address", map[string]any{"subscription": "s1", "url": "http://169.254.169.254/"}, 400},
		{"scheme", map[string]any{"subscription": "s1", "url": "file:///etc/passwd"}, 400},
		{"unknown event", map[string]any{"subscription": "s1", "url": "https://a.example.com/", "events": []string{"image.pulled"}}, 400},
		{"registry with a slash", map[string]any{"subscription": "s1", "url": "https://a.example.com/", "registry": "a/b"}, 400},
		{"registry with capitals", map[string]any{"subscription": "s1", "url": "https://a.example.com/", "registry": "Team"}, 400},
		{"short secret", map[string]any{"subscription": "s1", "url": "https://a.example.com/", "secret": "short"}, 400},
		{"unknown field", map[string]any{"subscription": "s1", "url": "https://a.example.com/", "evnets": []string{}}, 400},
		{"not JSON", "{", 400},
		{"empty body", "", 400},
		{"two values", `{"subscription":"s1","url":"https://a.example.com/"} {}`, 400},
		{"ok", map[string]any{"subscription": "s1", "url": "https://a.example.com/"}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root.t = t
			root.do("POST", "/api/v1/webhooks", tt.body, tt.want, "Webhook", nil)
		})
	}
	t.Run("update", func(t *testing.T) {
		root.t = t
		var w webhookJSON
		root.do("POST", "/api/v1/webhooks", map[string]any{"subscription": "s2", "url": "https://b.example.com/"}, 201, "Webhook", &w)
		root.do("PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"url": "http://10.0.0.1/"}, 400, "", nil)
		root.do("PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"events": []string{"*", "scan.failed"}}, 400, "", nil)
		root.do("PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"secret": "changing-secrets-is-not-here"}, 400, "", nil)
		root.do("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?limit=0", nil, 400, "", nil)
		root.do("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?limit=101", nil, 400, "", nil)
		root.do("GET", "/api/v1/webhooks/"+w.ID+"/deliveries?before=x", nil, 400, "", nil)
	})
}

// TestAPITenantIsolation: a caller sees and touches only the webhooks of
// its subscriptions; everything else looks absent.
func TestAPITenantIsolation(t *testing.T) {
	s := openStore(t)
	srv := newAPI(t, s, Config{})
	alice := apiClient{t: t, srv: srv, user: "alice"}
	bob := apiClient{t: t, srv: srv, user: "bob"}
	root := apiClient{t: t, srv: srv, user: "root"}
	var a, b webhookJSON
	alice.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://a.example.com/"}, 201, "Webhook", &a)
	bob.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://b.example.com/"}, 201, "Webhook", &b)
	if a.Subscription != "s1" || b.Subscription != "s2" {
		t.Fatalf("default subscriptions: %s, %s", a.Subscription, b.Subscription)
	}
	var ping deliveryJSON
	bob.do("POST", "/api/v1/webhooks/"+b.ID+"/ping", nil, 202, "WebhookDelivery", &ping)

	ids := func(c apiClient, query string) []string {
		var l struct{ Items []webhookJSON }
		c.do("GET", "/api/v1/webhooks"+query, nil, 200, "WebhookList", &l)
		var out []string
		for _, w := range l.Items {
			out = append(out, w.ID)
		}
		slices.Sort(out)
		return out
	}
	both := []string{a.ID, b.ID}
	slices.Sort(both)
	for _, tc := range []struct {
		name string
		c    apiClient
		q    string
		want []string
	}{
		{"alice", alice, "", []string{a.ID}},
		{"bob", bob, "", []string{b.ID}},
		{"root", root, "", both},
		{"root filtered", root, "?subscription=s2", []string{b.ID}},
		{"alice asks for s2", alice, "?subscription=s2", nil},
		{"no identity", apiClient{t: t, srv: srv, user: "nobody"}, "", nil},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.c, tc.q)); diff != "" {
			t.Errorf("%s: list (-want +got):\n%s", tc.name, diff)
		}
	}
	// Every route on bob's webhook answers 404 to alice, and changes nothing.
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/webhooks/" + b.ID},
		{"PATCH", "/api/v1/webhooks/" + b.ID},
		{"DELETE", "/api/v1/webhooks/" + b.ID},
		{"GET", "/api/v1/webhooks/" + b.ID + "/deliveries"},
		{"GET", "/api/v1/webhooks/" + b.ID + "/deliveries/" + ping.ID},
		{"POST", "/api/v1/webhooks/" + b.ID + "/deliveries/" + ping.ID + "/redeliver"},
		{"POST", "/api/v1/webhooks/" + b.ID + "/ping"},
	} {
		alice.do(r.method, r.path, map[string]any{"active": false}, 404, "", nil)
	}
	// A delivery id of bob's read through alice's webhook is not found either.
	alice.do("GET", "/api/v1/webhooks/"+a.ID+"/deliveries/"+ping.ID, nil, 404, "", nil)
	alice.do("POST", "/api/v1/webhooks", map[string]any{"subscription": "s2", "url": "https://a.example.com/"}, 404, "", nil)
	var still webhookJSON
	bob.do("GET", "/api/v1/webhooks/"+b.ID, nil, 200, "Webhook", &still)
	if !still.Active {
		t.Error("alice's PATCH changed bob's webhook")
	}
	if ds, _ := s.ListDeliveries(t.Context(), b.ID, 0, 10); len(ds) != 1 {
		t.Errorf("bob's webhook has %d deliveries after alice's attempts, want 1", len(ds))
	}
	// Credentials limited to repositories cannot use the API at all, and
	// unauthenticated requests are challenged.
	apiClient{t: t, srv: srv, user: "scoped"}.do("GET", "/api/v1/webhooks", nil, 403, "", nil)
	hdr := apiClient{t: t, srv: srv}.do("GET", "/api/v1/webhooks", nil, 401, "", nil)
	if hdr.Get("WWW-Authenticate") == "" {
		t.Error("401 without a challenge")
	}
	apiClient{t: t, srv: srv, user: "nobody"}.do("GET", "/api/v1/webhooks/"+a.ID, nil, 404, "", nil)

	// Behind a guard that already authenticated the request, its identity
	// is the caller even when the handler's own Authorizer is open.
	h, err := NewHandler(Config{}, HandlerDeps{Store: s, Auth: access.Open(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	guarded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(access.WithIdentity(r.Context(), testUsers["bob"])))
	})
	rec := httptest.NewRecorder()
	guarded.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/webhooks/"+a.ID, nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("guarded bob reading alice's webhook through an open handler: %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	guarded.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/webhooks", nil))
	var l struct{ Items []webhookJSON }
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || len(l.Items) != 1 || l.Items[0].ID != b.ID {
		t.Errorf("guarded bob's list: %s", rec.Body)
	}
}

// TestPatternsAndOpenAPI: every pattern is served by the handler (not by
// a catch-all on the same mux) and described in the OpenAPI fragment,
// whose references all resolve.
func TestPatternsAndOpenAPI(t *testing.T) {
	s := openStore(t)
	srv := newAPI(t, s, Config{})
	paths, comps, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Patterns {
		method, path, _ := strings.Cut(p, " ")
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("%s: no path item", p)
			continue
		}
		if _, ok := item[strings.ToLower(method)]; !ok {
			t.Errorf("%s: no %s operation", p, method)
		}
		url := strings.NewReplacer("{id}", "x", "{delivery}", "y").Replace(path)
		apiClient{t: t, srv: srv}.do(method, url, nil, 401, "", nil) // the handler's challenge, not the teapot
	}
	ops := 0
	for _, item := range paths {
		for k := range item.(map[string]any) {
			if k != "parameters" {
				ops++
			}
		}
	}
	if ops != len(Patterns) {
		t.Errorf("OpenAPI has %d operations, Patterns %d", ops, len(Patterns))
	}
	b, _ := json.Marshal(paths)
	for _, ref := range refs(string(b)) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		section, _ := comps[parts[0]].(map[string]any)
		if len(parts) != 2 || section[parts[1]] == nil {
			t.Errorf("unresolved $ref %s", ref)
		}
	}
}

func refs(doc string) []string {
	var out []string
	for {
		i := strings.Index(doc, `"$ref":"`)
		if i < 0 {
			return out
		}
		doc = doc[i+8:]
		j := strings.IndexByte(doc, '"')
		out = append(out, doc[:j])
		doc = doc[j:]
	}
}
