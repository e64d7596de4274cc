package provider_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/projection"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
	"github.com/drydock/drydock/internal/provider"
)

// users are the test callers, chosen with the X-Test-User header (the
// server's guard puts the identity in the context the same way).
var users = map[string]*access.Identity{
	"alice": {Name: "alice", Subscriptions: []string{pt.TenantA}},
	"bob":   {Name: "bob", Subscriptions: []string{pt.TenantB}},
	"admin": {Name: "admin"},
}

type env struct {
	t   *testing.T
	f   *pt.Fixture
	p   *projection.Projector
	srv *httptest.Server
}

func newEnv(t *testing.T, cfg provider.Config) *env {
	t.Helper()
	f := pt.New(t)
	p, err := projection.New(projection.Config{ScanningEnabledByDefault: true},
		projection.Deps{Store: f.Store, Reports: f.Reports, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := provider.New(cfg, provider.Deps{Projector: p, Auth: access.Open(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := users[r.Header.Get("X-Test-User")]; ok {
			r = r.WithContext(access.WithIdentity(r.Context(), id))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &env{t: t, f: f, p: p, srv: srv}
}

// get requests path (relative, or an absolute nextLink) as user and
// returns the status and body.
func (e *env) get(user, method, path string) (int, []byte) {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.srv.URL + path
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("X-Test-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type page struct {
	Value []struct {
		ID, Name, Type string
		Properties     json.RawMessage
	}
	NextLink *string `json:"nextLink"`
}

// all follows nextLink until the list is exhausted and returns every id.
func (e *env) all(user, path string) []string {
	e.t.Helper()
	var ids []string
	for n := 0; path != ""; n++ {
		if n > 200 {
			e.t.Fatalf("nextLink did not end: %s", path)
		}
		st, b := e.get(user, "GET", path)
		if st != 200 {
			e.t.Fatalf("GET %s: %d %s", path, st, b)
		}
		var p page
		if err := json.Unmarshal(b, &p); err != nil {
			e.t.Fatal(err)
		}
		for _, v := range p.Value {
			ids = append(ids, v.ID)
		}
		path = ""
		if p.NextLink != nil {
			if !strings.HasPrefix(*p.NextLink, e.srv.URL+"/subscriptions/") || !strings.Contains(*p.NextLink, "api-version=") {
				e.t.Fatalf("nextLink %q", *p.NextLink)
			}
			path = *p.NextLink
		}
	}
	return ids
}

const av = "?api-version=2019-01-01-preview"

var (
	subA   = projection.SubscriptionID(pt.TenantA)
	subB   = projection.SubscriptionID(pt.TenantB)
	regA   = "/subscriptions/" + subA + "/resourceGroups/drydock/providers/Microsoft.ContainerRegistry/registries/alpha"
	regB   = "/subscriptions/" + subB + "/resourceGroups/drydock/providers/Microsoft.ContainerRegistry/registries/beta"
	keyNew = projection.KeyAzureContainerRegistry
	keyOld = projection.KeyContainerRegistry
)

// TestPaging follows nextLink with several page sizes until each list is
// exhausted: every resource once, in the order of one unpaged read.
func TestPaging(t *testing.T) {
	e := newEnv(t, provider.Config{})
	for _, path := range []string{
		regA + "/providers/Microsoft.Security/assessments/" + keyNew + "/subAssessments" + av,
		"/subscriptions/" + subA + "/providers/Microsoft.Security/subAssessments" + av,
		"/subscriptions/" + subA + "/providers/Microsoft.Security/assessments" + av,
	} {
		full := e.all("alice", path+"&$top=1000")
		if len(full) == 0 || len(slices.Compact(slices.Clone(full))) != len(full) {
			t.Fatalf("%s: %d resources, or duplicates", path, len(full))
		}
		for _, top := range []string{"1", "7", "36", "71"} {
			if diff := cmp.Diff(full, e.all("alice", path+"&$top="+top)); diff != "" {
				t.Errorf("%s $top=%s (-unpaged +paged):\n%s", path, top, diff)
			}
		}
	}
	if n := len(e.all("alice", "/subscriptions/"+subA+"/providers/Microsoft.Security/subAssessments"+av)); n != 72 {
		t.Errorf("tenant A has %d sub-assessments, want 72 (36 findings x 2 keys)", n)
	}
	// The default page size applies without $top.
	e2 := newEnv(t, provider.Config{PageSize: 10})
	st, b := e2.get("alice", "GET", regA+"/providers/Microsoft.Security/assessments/"+keyOld+"/subAssessments"+av)
	var p page
	json.Unmarshal(b, &p)
	if st != 200 || len(p.Value) != 10 || p.NextLink == nil {
		t.Errorf("default page: %d, %d values, nextLink %v", st, len(p.Value), p.NextLink)
	}
}

// TestResponses checks the responses against the projection they render,
// and the provider's errors.
func TestResponses(t *testing.T) {
	e := newEnv(t, provider.Config{})
	ctx := t.Context()
	var first projection.Resource
	host := strings.TrimPrefix(e.srv.URL, "http://")
	e.p.EachSubAssessment(ctx, projection.Scope{Identity: users["alice"], RegistryHost: host}, []string{keyNew}, projection.Position{},
		func(r projection.Resource, _ projection.Position) error { first = r; return projection.ErrStop })
	for _, tc := range []struct {
		name, user, method, path string
		status                   int
		code                     string // error code, or "" for success
	}{
		{"list subscriptions", "alice", "GET", "/subscriptions" + av, 200, ""},
		{"get subscription by id", "alice", "GET", "/subscriptions/" + subA + av, 200, ""},
		{"get subscription by drydock name", "alice", "GET", "/subscriptions/" + pt.TenantA + av, 200, ""},
		{"sub-assessment", "alice", "GET", first.ID + av, 200, ""},
		{"sub-assessment, any case", "alice", "GET", strings.ToLower(first.ID) + av, 200, ""},
		{"sub-assessment at subscription scope", "alice", "GET", "/subscriptions/" + subA + "/providers/Microsoft.Security/assessments/" + keyNew + "/subAssessments/" + first.Name + av, 200, ""},
		{"assessment", "alice", "GET", regA + "/providers/Microsoft.Security/assessments/" + keyOld + av, 200, ""},
		{"resource group scope", "alice", "GET", "/subscriptions/" + subA + "/resourceGroups/drydock/providers/Microsoft.Security/assessments" + av, 200, ""},
		{"no api-version", "alice", "GET", first.ID, 400, "MissingApiVersionParameter"},
		{"bad api-version", "alice", "GET", first.ID + "?api-version=latest", 400, "InvalidApiVersionParameter"},
		{"write", "alice", "DELETE", first.ID + av, 405, "MethodNotAllowed"},
		{"unknown key", "alice", "GET", regA + "/providers/Microsoft.Security/assessments/00000000-0000-0000-0000-000000000000/subAssessments" + av, 404, "AssessmentNotFound"},
		{"unknown resource group", "alice", "GET", strings.Replace(first.ID, "/drydock/", "/other/", 1) + av, 404, "ResourceGroupNotFound"},
		{"unknown registry", "alice", "GET", strings.Replace(regA, "/alpha", "/nope", 1) + "/providers/Microsoft.Security/assessments" + av, 404, "ResourceNotFound"},
		{"unknown sub-assessment", "alice", "GET", regA + "/providers/Microsoft.Security/assessments/" + keyNew + "/subAssessments/00000000-0000-0000-0000-000000000000" + av, 404, "SubAssessmentNotFound"},
		{"bad skip token", "alice", "GET", regA + "/providers/Microsoft.Security/subAssessments" + av + "&$skipToken=xyz", 400, "InvalidSkipToken"},
		{"bad $top", "alice", "GET", regA + "/providers/Microsoft.Security/subAssessments" + av + "&$top=0", 400, "InvalidParameter"},
		{"no route", "alice", "GET", "/subscriptions/" + subA + "/providers/Microsoft.Compute/virtualMachines" + av, 404, "NotFound"},
		// Tenant isolation: another subscription's ids are not found,
		// whichever way they are written.
		{"B's subscription", "alice", "GET", "/subscriptions/" + subB + "/providers/Microsoft.Security/assessments" + av, 404, "SubscriptionNotFound"},
		{"B's subscription by name", "alice", "GET", "/subscriptions/" + pt.TenantB + av, 404, "SubscriptionNotFound"},
		{"B's registry under A", "alice", "GET", strings.Replace(regB, subB, subA, 1) + "/providers/Microsoft.Security/assessments" + av, 404, "ResourceNotFound"},
		{"A's sub-assessment as bob", "bob", "GET", first.ID + av, 404, "SubscriptionNotFound"},
		{"A's sub-assessment under B", "bob", "GET", strings.Replace(strings.Replace(first.ID, subA, subB, 1), "/alpha/", "/beta/", 1) + av, 404, "SubAssessmentNotFound"},
		{"anonymous", "", "GET", first.ID + av, 200, ""}, // access.Open: authentication is off
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, b := e.get(tc.user, tc.method, tc.path)
			var body struct {
				Error *struct{ Code, Message string }
			}
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatalf("%d %s: not JSON: %v", st, b, err)
			}
			code := ""
			if body.Error != nil {
				code = body.Error.Code
				if body.Error.Message == "" {
					t.Errorf("error without a message: %s", b)
				}
			}
			if st != tc.status || code != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s\n%s", tc.method, tc.path, st, code, tc.status, tc.code, b)
			}
			for _, secret := range []string{pt.TenantB, subB, "beta/alpine", string(e.f.AlpineB)} {
				if tc.user == "alice" && !strings.Contains(tc.path, secret) && strings.Contains(string(b), secret) {
					t.Errorf("alice sees %q: %s", secret, b)
				}
			}
		})
	}
	// The sub-assessment is the projection's, byte for byte.
	_, b := e.get("alice", "GET", first.ID+av)
	want, _ := json.Marshal(first)
	if got := strings.TrimSpace(string(b)); got != string(want) {
		t.Errorf("GET sub-assessment:\n%s\nwant\n%s", got, want)
	}
	// Subscriptions: only the caller's, with the ids the routes take.
	_, b = e.get("alice", "GET", "/subscriptions"+av)
	var subs struct {
		Value []struct{ ID, SubscriptionID, DisplayName, TenantID, State string }
	}
	json.Unmarshal(b, &subs)
	if len(subs.Value) != 1 || subs.Value[0].SubscriptionID != subA || subs.Value[0].ID != "/subscriptions/"+subA ||
		subs.Value[0].DisplayName != pt.TenantA || subs.Value[0].TenantID != projection.DefaultTenantID {
		t.Errorf("alice's subscriptions: %s", b)
	}
	// Bob's lists hold only B's resources.
	for _, id := range e.all("bob", "/subscriptions/"+subB+"/providers/Microsoft.Security/subAssessments"+av) {
		if !strings.HasPrefix(id, regB+"/") {
			t.Errorf("bob's list holds %s", id)
		}
	}
	if st, b := e.get("bob", "GET", "/subscriptions/"+pt.TenantA+"/providers/Microsoft.Security/subAssessments"+av); st != 404 || strings.Contains(string(b), "alpha") {
		t.Errorf("bob lists A: %d %s", st, b)
	}
}
