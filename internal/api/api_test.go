package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/api"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/registry"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

func TestMain(m *testing.M) { vulndbtest.Main(m) }

var fixture = vulndbtest.Fixture

type advisories struct{ db *vulndb.DB }

func (a advisories) DB() *vulndb.DB { return a.db }

// identityAuth gives every request a fixed identity.
type identityAuth struct{ id *access.Identity }

func (a identityAuth) Authorize(r *http.Request, _ []access.Request) (*http.Request, error) {
	return r.WithContext(access.WithIdentity(r.Context(), a.id)), nil
}

type env struct {
	t    *testing.T
	meta *sqlmeta.Store
	reg  *registry.Registry
	h    *api.Handler
	p    *pipeline.Pipeline
}

// newEnv runs a registry, a pipeline and the API on one store; the API
// sees every subscription unless a request carries another identity.
func newEnv(t *testing.T) *env {
	t.Helper()
	db := vulndbtest.Shared(t, "alpine-secdb")
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	blobs, err := fs.Open(fs.Config{Root: filepath.Join(dir, "storage")})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"default", "other"} {
		if _, err := meta.EnsureSubscription(t.Context(), sub, sub); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := registry.New(registry.Config{AutoCreateRegistries: true, DefaultSubscription: "default"},
		registry.Deps{Meta: meta, Blobs: blobs, Auth: access.Open(), Logger: log, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := objects.Open(filepath.Join(dir, "scan"), false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Poll: 5 * time.Millisecond}, pipeline.Deps{Queue: meta, Results: meta, Manifests: meta,
		Blobs: blobs, Objects: objs, Advisories: advisories{db}, Plans: meta, Exemptions: meta, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h, err := api.New(api.Deps{Store: meta, Scans: p, Advisories: advisories{db}, Auth: access.Open(), Logger: log,
		ExternalRoutes: []string{"GET /api/v1/webhooks", "POST /api/v1/webhooks/{id}/ping"}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, meta: meta, reg: reg, h: h, p: p}
}

// do calls the API as id (nil: the open identity).
func (e *env) do(method, target string, body string, id *access.Identity) (int, http.Header, []byte) {
	e.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if id != nil {
		req = req.WithContext(access.WithIdentity(req.Context(), id))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Result().Header, b
}

func (e *env) getJSON(target string, id *access.Identity, v any) int {
	e.t.Helper()
	code, _, b := e.do("GET", target, "", id)
	if v != nil && code == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("GET %s: %v\n%s", target, err, b)
		}
	}
	return code
}

func alpineImage(t *testing.T, version string, extra ...lt.Entry) *st.Artifact {
	entries := append([]lt.Entry{
		lt.File("lib/apk/db/installed", fixture(t, "alpine/"+version+"/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/"+version+"/os-release")),
	}, extra...)
	return st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, entries...)}})
}

type manifest struct {
	Digest  string
	Kind    string
	Status  string
	Reason  string
	Tags    []string
	Summary map[string]int
	Images  []struct{ Platform, Status, Digest string }
	Job     string
}

// waitFinal waits until the manifest has a final status and no scan job
// in flight: an index's status is final as soon as one platform is
// unhealthy, while its other platforms are still being scanned.
func (e *env) waitFinal(repo, digest string) manifest {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var m manifest
	for time.Now().Before(deadline) {
		m = manifest{}
		if e.getJSON("/api/v1/repositories/"+repo+"/manifests/"+digest, nil, &m) == 200 &&
			m.Status != "queued" && m.Status != "scanning" && m.Job != "queued" && m.Job != "running" {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("%s@%s: not final in time: %+v", repo, digest, m)
	return m
}

// TestOpenAPIDescribesEveryRoute: the document and the served routes agree
// both ways, and external routes are listed.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if code := e.getJSON("/api/v1/openapi.json", nil, &doc); code != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %d %q", code, doc.OpenAPI)
	}
	var described []string
	for p, ops := range doc.Paths {
		for m := range ops {
			described = append(described, strings.ToUpper(m)+" "+p)
		}
	}
	served := append(e.h.Routes(), "GET /api/v1/webhooks", "POST /api/v1/webhooks/{id}/ping")
	slices.Sort(described)
	slices.Sort(served)
	if diff := cmp.Diff(served, described); diff != "" {
		t.Errorf("served routes vs described operations (-served +described):\n%s", diff)
	}
}

func TestImagesReportsFindings(t *testing.T) {
	e := newEnv(t)
	old := alpineImage(t, "3.4.6")
	st.Push(t, e.reg, "team/apps/alpine", "3.4.6", old)
	fresh := alpineImage(t, "3.11.13")
	st.Push(t, e.reg, "team/apps/alpine", "3.11.13", fresh)
	od, fd := string(old.Root.Desc.Digest), string(fresh.Root.Desc.Digest)
	if m := e.waitFinal("team/apps/alpine", od); m.Status != "unhealthy" || m.Kind != "image" || m.Tags[0] != "3.4.6" || m.Summary["unknown"] == 0 {
		t.Errorf("3.4.6: %+v", m)
	}
	if m := e.waitFinal("team/apps/alpine", fd); m.Status != "healthy" {
		t.Errorf("3.11.13: %+v", m)
	}
	// The name may be written escaped.
	if m := e.waitFinal("team%2Fapps%2Falpine", fd); m.Status != "healthy" {
		t.Errorf("escaped name: %+v", m)
	}

	// The report (schema drydock.report/v1) of a repository whose name
	// has slashes.
	var rep struct {
		Schema string
		Status string
		Image  struct{ Repository, Digest string }
		DB     struct{ Version string }
	}
	if code := e.getJSON("/api/v1/repositories/team/apps/alpine/manifests/"+od+"/report", nil, &rep); code != 200 ||
		rep.Schema != "drydock.report/v1" || rep.Status != "unhealthy" || rep.Image.Repository != "team/apps/alpine" || rep.DB.Version == "" {
		t.Errorf("report: %d %+v", code, rep)
	}
	for _, format := range []string{"cyclonedx", "spdx"} {
		code, h, b := e.do("GET", "/api/v1/repositories/team/apps/alpine/manifests/"+od+"/sbom?format="+format, "", nil)
		if code != 200 || !strings.Contains(h.Get("Content-Type"), format) || !strings.Contains(string(b), "busybox") {
			t.Errorf("sbom %s: %d %s", format, code, h.Get("Content-Type"))
		}
	}
	if code, _, _ := e.do("GET", "/api/v1/repositories/team/apps/alpine/manifests/"+od+"/sbom?format=xml", "", nil); code != 400 {
		t.Errorf("sbom of an unknown format: %d", code)
	}

	// Findings: filters, pagination, CSV.
	var page struct {
		Items []struct {
			ID       string
			Severity string
			Package  struct{ Name string }
			Image    struct{ Repository, Digest string }
		}
		NextCursor string
	}
	e.getJSON("/api/v1/findings?package=zlib", nil, &page)
	var ids []string
	for _, f := range page.Items {
		ids = append(ids, f.ID)
	}
	if diff := cmp.Diff([]string{"CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843"}, ids); diff != "" {
		t.Errorf("zlib findings (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		page.Items, page.NextCursor = nil, ""
		e.getJSON("/api/v1/findings?limit=7&fixAvailable=true&cursor="+cursor, nil, &page)
		pages++
		for _, f := range page.Items {
			key := f.ID + "/" + f.Package.Name
			if seen[key] {
				t.Fatalf("%s on two pages", key)
			}
			seen[key] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages < 3 || len(seen) < 20 {
		t.Errorf("%d findings over %d pages", len(seen), pages)
	}
	_, h, b := e.do("GET", "/api/v1/findings?id=CVE-2017-3735", "", nil)
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	req := httptest.NewRequest("GET", "/api/v1/findings?id=CVE-2017-3735", nil)
	req.Header.Set("Accept", "text/csv")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][5] != "advisory" || rows[1][5] != "CVE-2017-3735" {
		t.Errorf("csv: %v %q (from %s)", err, rows, b)
	}
	for _, bad := range []string{"severity=Huge", "fixAvailable=maybe", "limit=0", "cursor=!!", "format=xml", "digest=nope"} {
		if code, _, _ := e.do("GET", "/api/v1/findings?"+bad, "", nil); code != 400 {
			t.Errorf("findings?%s: %d, want 400", bad, code)
		}
	}

	// Usage and assessments.
	var usage struct{ Total int }
	e.getJSON("/api/v1/usage", nil, &usage)
	if usage.Total != 2 {
		t.Errorf("usage total %d", usage.Total)
	}
	code, _, csvb := e.do("GET", "/api/v1/usage?format=csv", "", nil)
	if code != 200 || !strings.HasPrefix(string(csvb), "subscription,registry,day,images\ndefault,team,") {
		t.Errorf("usage csv: %d %s", code, csvb)
	}
	var as struct {
		Items []struct{ Registry, Assessment string }
	}
	e.getJSON("/api/v1/assessments", nil, &as)
	if len(as.Items) != 1 || as.Items[0].Assessment != "Unhealthy" {
		t.Errorf("assessments: %+v", as)
	}

	// Tenancy: another subscription's caller sees none of it.
	other := &access.Identity{Name: "o", Subscriptions: []string{"other"}}
	for _, path := range []string{"/api/v1/repositories/team/apps/alpine/manifests/" + od + "/report",
		"/api/v1/repositories/team/apps/alpine", "/api/v1/registries/team", "/api/v1/subscriptions/default"} {
		if code, _, _ := e.do("GET", path, "", other); code != 404 {
			t.Errorf("other tenant GET %s: %d, want 404", path, code)
		}
	}
	var fp struct{ Items []json.RawMessage }
	e.getJSON("/api/v1/findings", other, &fp)
	var ip struct{ Items []json.RawMessage }
	e.getJSON("/api/v1/images", other, &ip)
	e.getJSON("/api/v1/usage", other, &usage)
	if len(fp.Items) != 0 || len(ip.Items) != 0 || usage.Total != 0 {
		t.Errorf("other tenant sees %d findings, %d images, %d usage", len(fp.Items), len(ip.Items), usage.Total)
	}
	if code, _, _ := e.do("POST", "/api/v1/registries/team/rescan", "", other); code != 404 {
		t.Errorf("other tenant rescan: %d", code)
	}
	// A credential limited to another repository sees nothing of this one.
	scoped := &access.Identity{Name: "s", Repositories: []string{"team/other"}}
	e.getJSON("/api/v1/findings", scoped, &fp)
	if len(fp.Items) != 0 {
		t.Errorf("repository-scoped credential sees %d findings", len(fp.Items))
	}
	if code, _, _ := e.do("PUT", "/api/v1/registries/team/plan", `{"scanning":false}`, scoped); code != 403 {
		t.Errorf("repository-scoped plan change: %d", code)
	}

	// Rescan of one image, then of the registry.
	var rs struct{ Queued int }
	code, _, b = e.do("POST", "/api/v1/repositories/team/apps/alpine/manifests/"+fd+"/rescan", "", nil)
	if json.Unmarshal(b, &rs); code != 202 || rs.Queued != 1 {
		t.Errorf("rescan: %d %s", code, b)
	}
	if code, _, _ := e.do("DELETE", "/api/v1/registries/team", "", nil); code != 405 {
		t.Errorf("DELETE registry: %d, want 405", code)
	}
	if code, _, _ := e.do("PUT", "/api/v1/registries/team/plan", `{"scanning":"yes"}`, nil); code != 400 {
		t.Errorf("bad plan body: %d", code)
	}
}

// TestIndexAndNames: an index reports per platform; a repository named
// like a sub-resource stays reachable.
func TestIndexAndNames(t *testing.T) {
	e := newEnv(t)
	amd := st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.4.6/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/3.4.6/os-release")))}})
	arm := st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: [][]byte{st.Tar(t, lt.File("lib/apk/db/installed", fixture(t, "alpine/3.11.13/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/3.11.13/os-release")))}})
	idx := st.Index(t, amd, arm)
	st.Push(t, e.reg, "team/images", "v1", idx)
	m := e.waitFinal("team/images", string(idx.Root.Desc.Digest))
	var got []string
	for _, im := range m.Images {
		got = append(got, im.Platform+" "+im.Status)
	}
	if diff := cmp.Diff([]string{"linux/amd64 unhealthy", "linux/arm64 healthy"}, got); diff != "" || m.Kind != "index" || m.Status != "unhealthy" {
		t.Errorf("index %+v (-want +got):\n%s", m, diff)
	}
	var ir struct {
		Reports []struct {
			Status string
			Image  struct{ Platform string }
		}
	}
	if code := e.getJSON("/api/v1/repositories/team/images/manifests/"+string(idx.Root.Desc.Digest)+"/report", nil, &ir); code != 200 || len(ir.Reports) != 2 {
		t.Errorf("index report: %d %+v", code, ir)
	}
	// "team/images" is a repository, though /images is also a sub-resource.
	var repo struct{ Name string }
	if code := e.getJSON("/api/v1/repositories/team/images", nil, &repo); code != 200 || repo.Name != "team/images" {
		t.Errorf("repository named team/images: %d %+v", code, repo)
	}
	var list struct{ Items []manifest }
	if code := e.getJSON("/api/v1/repositories/team/images/images", nil, &list); code != 200 || len(list.Items) != 3 {
		t.Errorf("images of team/images: %d, %d items", code, len(list.Items))
	}
	if code, _, _ := e.do("GET", "/api/v1/repositories/team/nothing/manifests/"+string(idx.Root.Desc.Digest)+"/report", "", nil); code != 404 {
		t.Errorf("unknown repository: %d", code)
	}
	if code, _, _ := e.do("GET", "/api/v1/repositories/team/images/manifests/sha256:nope/report", "", nil); code != 400 {
		t.Errorf("bad digest: %d", code)
	}
	// Plan off then on for the registry, through the API.
	var pr struct{ Queued int }
	if code, _, b := e.do("PUT", "/api/v1/registries/team/plan", `{"scanning":true}`, nil); code != 200 || json.Unmarshal(b, &pr) != nil {
		t.Errorf("plan on: %d %s", code, b)
	}
	var reg struct {
		Plan       *bool
		Scanning   bool
		Assessment string
	}
	if e.getJSON("/api/v1/registries/team", nil, &reg); reg.Plan == nil || !*reg.Plan || !reg.Scanning || reg.Assessment != "Unhealthy" {
		t.Errorf("registry: %+v", reg)
	}
	_ = store.StatusHealthy
}

// TestExemptionsAPI creates, lists, reads and deletes an exemption, checks
// that it flips the image and that bad rules and other tenants are refused.
func TestExemptionsAPI(t *testing.T) {
	e := newEnv(t)
	img := alpineImage(t, "3.4.6")
	st.Push(t, e.reg, "team/app", "v1", img)
	d := string(img.Root.Desc.Digest)
	if m := e.waitFinal("team/app", d); m.Status != "unhealthy" {
		t.Fatalf("before: %+v", m)
	}
	for _, bad := range []string{
		`{"subscription":"default","scope":"registry","reason":"x","noFixAvailable":true}`,
		`{"subscription":"default","scope":"image","digest":"` + d + `","reason":"x"}`,
		`{"subscription":"default","scope":"image","digest":"` + d + `","reason":"x","noFixAvailable":true,"advisoryId":"CVE-1"}`,
		`{"subscription":"default","scope":"image","digest":"` + d + `","reason":"","noFixAvailable":true}`,
		`{"subscription":"default","scope":"planet","reason":"x","noFixAvailable":true}`,
		`{"subscription":"default","scope":"repository","repository":"[","reason":"x","noFixAvailable":true}`,
		`{"subscription":"default","scope":"subscription","reason":"x","severityAtOrBelow":"Huge"}`,
		`{"subscription":"default","scope":"subscription","reason":"x","noFixAvailable":true,"expiresAt":"2001-01-01T00:00:00Z"}`,
		`{"subscription":"default","scope":"subscription","reason":"x","noFixAvailable":true,"author":"mallory"}`,
	} {
		if code, _, b := e.do("POST", "/api/v1/exemptions", bad, nil); code != 400 {
			t.Errorf("POST %s: %d %s, want 400", bad, code, b)
		}
	}
	other := &access.Identity{Name: "o", Subscriptions: []string{"other"}}
	body := `{"subscription":"default","scope":"image","digest":"` + d + `","reason":"base image upgrade planned","severityAtOrBelow":"Unknown"}`
	if code, _, _ := e.do("POST", "/api/v1/exemptions", body, other); code != 404 {
		t.Errorf("other tenant create: %d", code)
	}
	code, _, b := e.do("POST", "/api/v1/exemptions", body, &access.Identity{Name: "alice"})
	var ex struct{ ID, Author, Scope string }
	if code != 201 || json.Unmarshal(b, &ex) != nil || ex.Author != "alice" || ex.Scope != "image" {
		t.Fatalf("create: %d %s", code, b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var m manifest
		e.getJSON("/api/v1/repositories/team/app/manifests/"+d, nil, &m)
		if m.Status == "healthy" && m.Summary["exempted"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exemption did not flip the image: %+v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var list struct{ Items []struct{ ID string } }
	e.getJSON("/api/v1/exemptions", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ex.ID {
		t.Errorf("list: %+v", list)
	}
	e.getJSON("/api/v1/exemptions", other, &list)
	if len(list.Items) != 0 {
		t.Errorf("other tenant lists %d exemptions", len(list.Items))
	}
	if code, _, _ := e.do("GET", "/api/v1/exemptions/"+ex.ID, "", other); code != 404 {
		t.Errorf("other tenant get: %d", code)
	}
	var rep struct {
		Status   string
		Findings []struct {
			Exempted  bool
			Exemption struct{ ID, Source string }
		}
	}
	e.getJSON("/api/v1/repositories/team/app/manifests/"+d+"/report", nil, &rep)
	if rep.Status != "healthy" || len(rep.Findings) == 0 || !rep.Findings[0].Exempted || rep.Findings[0].Exemption.ID != ex.ID {
		t.Errorf("report with the exemption: %s, %d findings", rep.Status, len(rep.Findings))
	}
	if code, _, _ := e.do("DELETE", "/api/v1/exemptions/"+ex.ID, "", nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := e.do("DELETE", "/api/v1/exemptions/"+ex.ID, "", nil); code != 404 {
		t.Errorf("second delete: %d", code)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		var m manifest
		e.getJSON("/api/v1/repositories/team/app/manifests/"+d, nil, &m)
		if m.Status == "unhealthy" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deleting the exemption did not bring the findings back: %+v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
