package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/api"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/policy"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
)

// auditLog keeps audit events in memory and in the store (so that
// GET /api/v1/audit reads them back).
type auditLog struct {
	mu  sync.Mutex
	evs []audit.Event
	rec audit.Recorder
}

func (a *auditLog) Record(ctx context.Context, e audit.Event) {
	a.mu.Lock()
	a.evs = append(a.evs, e)
	a.mu.Unlock()
	a.rec.Record(ctx, e)
}

func (a *auditLog) actions(outcome string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.evs {
		if e.Outcome == outcome {
			out = append(out, e.Action)
		}
	}
	return out
}

// roleEnv is the API with pull policies and the audit log on newEnv's
// store, and identities built by internal/identity from role bindings.
type roleEnv struct {
	*env
	h     *api.Handler
	audit *auditLog
}

func newRoleEnv(t *testing.T) *roleEnv {
	t.Helper()
	e := newEnv(t)
	log := slog.New(slog.DiscardHandler)
	al := &auditLog{rec: audit.New(e.meta, log)}
	pol, err := policy.New(policy.Config{MaxBreakGlass: time.Hour}, policy.Deps{Store: e.meta, Audit: al, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Deps{Store: e.meta, Scans: e.p, Advisories: advisories{nil}, Auth: access.Open(), Logger: log,
		Policies: pol, Audit: al, AuditLog: e.meta, ExternalRoutes: []string{"POST /api/v1/query"},
		ExternalRoles: map[string]string{"POST /api/v1/query": "reader"}})
	if err != nil {
		t.Fatal(err)
	}
	return &roleEnv{env: e, h: h, audit: al}
}

func (e *roleEnv) call(method, target, body string, id *access.Identity) (int, []byte) {
	e.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:4242"
	if id != nil {
		req = req.WithContext(access.WithIdentity(req.Context(), id))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// user builds the identity of a user with role bindings, as the Gate does.
func user(t *testing.T, name string, roles ...store.RoleBinding) *access.Identity {
	t.Helper()
	g := identity.GrantsFor(store.User{ID: 1, Name: name}, roles, nil)
	id, err := g.Identity(name, nil, func(sub string) ([]string, error) { return []string{"team"}, nil })
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// writeOp is a state-changing operation of the OpenAPI document.
type writeOp struct {
	method, path, id, role string
}

// writeOps lists the document's operations that are not GET (the API's
// own: external routes are another handler's).
func writeOps(t *testing.T, e *roleEnv) []writeOp {
	t.Helper()
	code, b := e.call("GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Role        string `json:"x-drydock-role"`
		} `json:"paths"`
	}
	if code != 200 || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("openapi.json: %d", code)
	}
	var ops []writeOp
	for p, ms := range doc.Paths {
		for m, op := range ms {
			if m == "get" {
				if op.Role == "" {
					t.Errorf("GET %s: no role", p)
				}
				continue
			}
			if op.OperationID == "" {
				if op.Role != "reader" && op.Role != "owner" {
					t.Errorf("%s %s: external write role %q", m, p, op.Role)
				}
				continue
			}
			if op.Role != "contributor" && op.Role != "owner" {
				t.Errorf("%s %s: write without a role (%q)", m, p, op.Role)
			}
			ops = append(ops, writeOp{strings.ToUpper(m), p, op.OperationID, op.Role})
		}
	}
	slices.SortFunc(ops, func(a, b writeOp) int { return strings.Compare(a.id, b.id) })
	return ops
}

// TestWriteRoles: every write route of the OpenAPI document refuses a
// reader (403), lets a contributor do contributor work and refuses it
// owner work, and lets an owner do everything; refusals are audited.
func TestWriteRoles(t *testing.T) {
	e := newRoleEnv(t)
	img := alpineImage(t, "3.4.6")
	st.Push(t, e.reg, "team/app", "v1", img)
	d := string(img.Root.Desc.Digest)
	e.waitFinal("team/app", d)
	open := &access.Identity{Name: "setup"}
	if code, b := e.call("PUT", "/api/v1/registries/team/policy", `{"blockSeverity":"Critical"}`, open); code != 200 {
		t.Fatalf("set policy: %d %s", code, b)
	}
	exemption := func() string {
		code, b := e.call("POST", "/api/v1/exemptions", `{"subscription":"default","scope":"subscription","advisoryId":"CVE-0","reason":"r"}`, open)
		var ex struct{ ID string }
		if code != 201 || json.Unmarshal(b, &ex) != nil {
			t.Fatalf("create exemption: %d %s", code, b)
		}
		return ex.ID
	}
	bodies := map[string]string{
		"setSubscriptionPlan": `{"scanning":true}`,
		"setRegistryPlan":     `{"scanning":true}`,
		"createExemption":     `{"subscription":"default","scope":"repository","repository":"team/app","advisoryId":"CVE-1","reason":"accepted risk"}`,
		"setPullPolicy":       `{"blockSeverity":"Critical","blockUnscanned":false}`,
		"startBreakGlass":     `{"reason":"incident 42","duration":"10m"}`,
	}
	ids := map[string]*access.Identity{
		"reader": user(t, "rita", store.RoleBinding{SubscriptionID: "default", Role: "reader"},
			store.RoleBinding{SubscriptionID: "other", Role: "owner"}),
		"contributor": user(t, "carl", store.RoleBinding{SubscriptionID: "default", Role: "contributor"}),
		"owner":       user(t, "olga", store.RoleBinding{SubscriptionID: "default", Role: "owner"}),
		"registry owner": user(t, "rob", store.RoleBinding{SubscriptionID: "default", Role: "reader"},
			store.RoleBinding{SubscriptionID: "default", Registry: "team", Role: "owner"}),
	}
	ops := writeOps(t, e)
	if len(ops) < 11 {
		t.Fatalf("only %d write operations in the document", len(ops))
	}
	for _, who := range []string{"reader", "contributor", "owner", "registry owner"} {
		for _, op := range ops {
			path := strings.NewReplacer("{subscription}", "default", "{registry}", "team", "{name}", "team/app", "{digest}", d).Replace(op.path)
			if strings.Contains(path, "{id}") {
				path = strings.Replace(path, "{id}", exemption(), 1)
			}
			wantDenied := who == "reader" || (who == "contributor" && op.role == "owner") ||
				(who == "registry owner" && !strings.Contains(op.path, "{registry}") && !strings.Contains(op.path, "{name}") && op.id != "createExemption")
			code, b := e.call(op.method, path, bodies[op.id], ids[who])
			if wantDenied && code != http.StatusForbidden {
				t.Errorf("%s %s %s: %d %s, want 403", who, op.method, path, code, b)
			}
			if !wantDenied && (code < 200 || code > 299) {
				t.Errorf("%s %s %s: %d %s, want 2xx", who, op.method, path, code, b)
			}
			if wantDenied && !strings.Contains(string(b), "role") {
				t.Errorf("%s %s %s: refusal does not name the role: %s", who, op.method, path, b)
			}
		}
	}
	// Another tenant's owner does not see the subscription at all.
	stranger := user(t, "sam", store.RoleBinding{SubscriptionID: "other", Role: "owner"})
	if code, _ := e.call("PUT", "/api/v1/registries/team/policy", `{}`, stranger); code != 404 {
		t.Errorf("other tenant's owner: %d, want 404", code)
	}
	// Refusals are audited, with who and from where.
	if n := len(e.audit.actions(audit.Denied)); n < 10 {
		t.Errorf("%d refused writes audited", n)
	}
}

func TestPolicyAndAuditAPI(t *testing.T) {
	e := newRoleEnv(t)
	img := alpineImage(t, "3.4.6")
	st.Push(t, e.reg, "team/app", "v1", img)
	e.waitFinal("team/app", string(img.Root.Desc.Digest))
	owner := user(t, "olga", store.RoleBinding{SubscriptionID: "default", Role: "owner"})
	contributor := user(t, "carl", store.RoleBinding{SubscriptionID: "default", Role: "contributor"})
	otherOwner := user(t, "sam", store.RoleBinding{SubscriptionID: "other", Role: "owner"})

	var pol struct {
		Enabled        bool
		BlockSeverity  *string
		BlockUnscanned bool
		BlockUnchecked bool
		UpdatedBy      string
		BreakGlass     []struct{ ID, Reason, Actor string }
	}
	get := func(id *access.Identity) {
		t.Helper()
		code, b := e.call("GET", "/api/v1/registries/team/policy", "", id)
		pol.BreakGlass = nil
		if code != 200 || json.Unmarshal(b, &pol) != nil {
			t.Fatalf("GET policy: %d %s", code, b)
		}
	}
	get(contributor)
	if pol.Enabled || pol.BlockSeverity != nil {
		t.Errorf("policy before any: %+v", pol)
	}
	for body, want := range map[string]int{`{"blockSeverity":"Huge"}`: 400, `{"blockSeverity":"High","x":1}`: 400, `[`: 400} {
		if code, b := e.call("PUT", "/api/v1/registries/team/policy", body, owner); code != want {
			t.Errorf("PUT %s: %d %s, want %d", body, code, b, want)
		}
	}
	if code, _ := e.call("POST", "/api/v1/registries/team/breakglass", `{"reason":"x","duration":"10m"}`, contributor); code != 409 {
		t.Errorf("break-glass without a policy: %d, want 409", code)
	}
	if code, b := e.call("PUT", "/api/v1/registries/team/policy", `{"blockUnchecked":true}`, owner); code != 200 {
		t.Fatalf("PUT policy: %d %s", code, b)
	}
	get(contributor)
	if !pol.Enabled || pol.BlockSeverity != nil || pol.BlockUnscanned || !pol.BlockUnchecked {
		t.Errorf("policy blocking only unchecked packages: %+v", pol)
	}
	if code, b := e.call("PUT", "/api/v1/registries/team/policy", `{"blockSeverity":"high","blockUnscanned":true}`, owner); code != 200 {
		t.Fatalf("PUT policy: %d %s", code, b)
	}
	get(contributor)
	if !pol.Enabled || pol.BlockSeverity == nil || *pol.BlockSeverity != "High" || !pol.BlockUnscanned || pol.BlockUnchecked || pol.UpdatedBy != "olga" {
		t.Errorf("policy: %+v", pol)
	}
	for body, want := range map[string]int{
		`{"reason":"","duration":"10m"}`:         400,
		`{"reason":"x","duration":"2h"}`:         400,
		`{"reason":"x","duration":"-1m"}`:        400,
		`{"reason":"x","duration":"soon"}`:       400,
		`{"reason":"incident","duration":"30m"}`: 201,
	} {
		if code, b := e.call("POST", "/api/v1/registries/team/breakglass", body, contributor); code != want {
			t.Errorf("POST breakglass %s: %d %s, want %d", body, code, b, want)
		}
	}
	get(owner)
	if len(pol.BreakGlass) != 1 || pol.BreakGlass[0].Reason != "incident" || pol.BreakGlass[0].Actor != "carl" {
		t.Errorf("active break-glass: %+v", pol.BreakGlass)
	}
	if code, b := e.call("DELETE", "/api/v1/registries/team/breakglass", "", contributor); code != 200 || !strings.Contains(string(b), `"ended":1`) {
		t.Errorf("end break-glass: %d %s", code, b)
	}
	get(owner)
	if len(pol.BreakGlass) != 0 {
		t.Errorf("break-glass in force after ending it: %+v", pol.BreakGlass)
	}
	// An exemption, a plan switch and a rescan, audited.
	if code, b := e.call("POST", "/api/v1/exemptions", `{"subscription":"default","scope":"registry","registry":"team","noFixAvailable":true,"reason":"r"}`, contributor); code != 201 {
		t.Fatalf("exemption: %d %s", code, b)
	}
	if code, _ := e.call("PUT", "/api/v1/subscriptions/default/plan", `{"scanning":true}`, owner); code != 200 {
		t.Fatal("plan")
	}
	if code, _ := e.call("POST", "/api/v1/registries/team/rescan", "", contributor); code != 202 {
		t.Fatal("rescan")
	}
	if code, _ := e.call("PUT", "/api/v1/subscriptions/default/plan", `{"scanning":false}`, contributor); code != 403 {
		t.Fatal("contributor switched the plan")
	}

	var page struct {
		Items []struct {
			ID                                            int64
			Actor, Action, Target, SubscriptionID, Remote string
			Outcome                                       string
			Detail                                        map[string]string
		}
		NextCursor string
	}
	code, b := e.call("GET", "/api/v1/audit", "", owner)
	if code != 200 || json.Unmarshal(b, &page) != nil {
		t.Fatalf("GET audit: %d %s", code, b)
	}
	var got []string
	for _, it := range page.Items {
		got = append(got, it.Actor+" "+it.Action+" "+it.Target+" "+it.Outcome)
		if it.SubscriptionID != "default" || it.Remote != "192.0.2.7" {
			t.Errorf("audit item %+v", it)
		}
	}
	want := []string{"carl plan.change default denied", "carl rescan team ok", "olga plan.change default ok", "carl exemption.create " + page.Items[3].Target + " ok",
		"carl breakglass.end team ok", "carl breakglass.start team ok", "olga policy.change team ok", "olga policy.change team ok"}
	if !slices.Equal(got, want) {
		t.Errorf("audit, newest first:\n got %q\nwant %q", got, want)
	}
	if page.Items[5].Detail["reason"] != "incident" || page.Items[5].Detail["duration"] != "30m0s" {
		t.Errorf("break-glass detail: %+v", page.Items[5].Detail)
	}
	// Filters and paging.
	code, b = e.call("GET", "/api/v1/audit?action=breakglass&limit=1", "", owner)
	if code != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 1 || page.Items[0].Action != "breakglass.end" || page.NextCursor == "" {
		t.Fatalf("audit page 1: %d %s", code, b)
	}
	code, b = e.call("GET", "/api/v1/audit?action=breakglass&limit=1&cursor="+page.NextCursor, "", owner)
	if code != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 1 || page.Items[0].Action != "breakglass.start" {
		t.Fatalf("audit page 2: %d %s", code, b)
	}
	// Owners only, own subscriptions only.
	if code, _ := e.call("GET", "/api/v1/audit", "", contributor); code != 403 {
		t.Errorf("contributor reads the audit log: %d", code)
	}
	code, b = e.call("GET", "/api/v1/audit", "", otherOwner)
	if code != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 0 {
		t.Errorf("other tenant's owner sees %d events: %s", len(page.Items), b)
	}
	if code, _ := e.call("GET", "/api/v1/audit?subscription=default", "", otherOwner); code != 404 {
		t.Errorf("other tenant's owner asking for default: %d, want 404", code)
	}
}
