//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// busyboxOSV is a small OSV record written for this test (not a real
// advisory): newer advisory data affecting the busybox of Alpine 3.11.13
// (1.31.1-r11).
const busyboxOSV = `{"schema_version":"1.6.0","id":"DRYDOCK-TEST-0001","modified":"2026-08-01T00:00:00Z",
"published":"2026-08-01T00:00:00Z","summary":"test advisory for busybox","details":"Test data written for drydock's end-to-end test.",
"affected":[{"package":{"ecosystem":"Alpine:v3.11","name":"busybox"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.31.1-r20"}]}]}],
"database_specific":{"severity":"HIGH"}}`

// alpine346CVEs are the 20 CVEs of Alpine 3.4.6 in the secdb (see the
// shared test data's README).
var alpine346CVEs = []string{"CVE-2016-7055", "CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843",
	"CVE-2017-15650", "CVE-2017-15873", "CVE-2017-16544", "CVE-2017-3731", "CVE-2017-3732", "CVE-2017-3735",
	"CVE-2017-3736", "CVE-2017-3737", "CVE-2017-3738", "CVE-2018-0732", "CVE-2018-0733", "CVE-2018-0734",
	"CVE-2018-0737", "CVE-2018-0739", "CVE-2018-5407"}

// TestScanPipeline pushes real images with real clients and reads the
// verdicts over the API: Alpine 3.4.6 unhealthy with its 20 CVEs, Alpine
// 3.11.13 healthy, an OCI artifact notApplicable, an index one result per
// platform; then newer advisory data, imported while the server runs,
// flips the healthy image to unhealthy and raises finding.new to a
// webhook receiver; deleting an image removes its findings.
func TestScanPipeline(t *testing.T) {
	rc := newHookReceiver(t)
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, webhookEnv...)
	var hook e2eWebhook
	apiJSON(t, srv, "POST", "/api/v1/webhooks", map[string]any{"subscription": "default", "url": rc.URL + "/hook",
		"events": []string{"finding.new", "scan.completed"}}, 201, &hook)

	old := pushImage(t, platformImage(t, alpineFiles("3.4.6"), 0, "amd64"), srv.addr+"/e2e/scan/alpine:3.4.6")
	m := waitVerdict(t, srv, "e2e/scan/alpine", old, 30*time.Second, nil)
	if m.Status != "unhealthy" || len(m.Images) != 1 || m.Images[0].Platform != "linux/amd64" {
		t.Fatalf("alpine 3.4.6: %+v", m)
	}
	fs := findings(t, srv, url.Values{"repository": {"e2e/scan/alpine"}, "digest": {old}})
	ids := distinct(fs)
	slices.Sort(ids)
	if diff := cmp.Diff(alpine346CVEs, ids); diff != "" {
		t.Errorf("alpine 3.4.6 CVEs (-want +got):\n%s", diff)
	}
	var rep struct {
		Schema, Status string
		Findings       []struct{ ID string }
		Image          struct{ Repository, Digest, Platform string }
		DB             struct{ Version string }
	}
	apiGet(t, srv, "/api/v1/repositories/e2e/scan/alpine/manifests/"+old+"/report", &rep)
	if rep.Schema != "drydock.report/v1" || rep.Status != "unhealthy" || rep.Image.Digest != old || len(rep.Findings) != len(fs) || rep.DB.Version == "" {
		t.Errorf("report: %s %s %+v, %d findings (API listed %d)", rep.Schema, rep.Status, rep.Image, len(rep.Findings), len(fs))
	}

	fresh := pushImage(t, platformImage(t, alpineFiles("3.11.13"), 0, "amd64"), srv.addr+"/e2e/scan/alpine:3.11.13")
	if m := waitVerdict(t, srv, "e2e/scan/alpine", fresh, 30*time.Second, nil); m.Status != "healthy" {
		t.Fatalf("alpine 3.11.13: %+v", m)
	}

	// A release the advisory data has nothing on (no v3.20 secdb here):
	// healthy, but the report says its packages were not checked, and that
	// the end-of-life release is the thing to fix.
	unknown := pushImage(t, platformImage(t, alpineFiles("3.20.3"), 0, "amd64"), srv.addr+"/e2e/scan/alpine:3.20.3")
	if m := waitVerdict(t, srv, "e2e/scan/alpine", unknown, 30*time.Second, nil); m.Status != "healthy" {
		t.Fatalf("alpine 3.20.3: %+v", m)
	}
	var rep320 struct {
		Status    string
		Unchecked []struct {
			Ecosystem, Type, Reason string
			Packages                int
		}
		RemediationPlan *struct{ BaseImageHint string }
	}
	apiGet(t, srv, "/api/v1/repositories/e2e/scan/alpine/manifests/"+unknown+"/report", &rep320)
	if len(rep320.Unchecked) != 1 || rep320.Unchecked[0].Ecosystem != "Alpine:v3.20" || rep320.Unchecked[0].Packages != 14 ||
		rep320.RemediationPlan == nil || rep320.RemediationPlan.BaseImageHint == "" {
		t.Errorf("alpine 3.20.3 report: %+v", rep320)
	}
	// So does its scan.completed event.
	rc.waitFor(t, "scan.completed", 30*time.Second, func(rs []hookRequest) bool {
		for _, r := range rs {
			var data struct {
				Digest, Status      string
				Packages, Unchecked int
			}
			if r.event == "scan.completed" && json.Unmarshal(r.env.Data, &data) == nil && data.Digest == unknown {
				if data.Status != "healthy" || data.Packages != 14 || data.Unchecked != 14 {
					t.Errorf("scan.completed of alpine 3.20.3: %s", r.env.Data)
				}
				return true
			}
		}
		return false
	})
	// And the fleet query finds it.
	var q queryResult
	apiJSON(t, srv, "POST", "/api/v1/query", map[string]string{"query": "images | where unchecked > 0 | project digest, unchecked"}, 200, &q)
	if len(q.Rows) != 1 || len(q.Rows[0]) != 2 || q.Rows[0][0] != unknown || q.Rows[0][1] != float64(14) {
		t.Errorf("images with unchecked packages: %v, want [[%s 14]]", q.Rows, unknown)
	}

	// An OCI artifact pushed with oras.
	artDir := t.TempDir()
	sbom := writeFile(t, artDir, "sbom.spdx.json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	runTool(t, nil, "oras", "push", "--plain-http", "--artifact-type", "application/vnd.example.sbom",
		srv.addr+"/e2e/scan/sbom:v1", sbom+":application/spdx+json", "--disable-path-validation")
	artifact := strings.TrimSpace(string(runTool(t, nil, "crane", "--insecure", "digest", srv.addr+"/e2e/scan/sbom:v1")))
	if m := waitVerdict(t, srv, "e2e/scan/sbom", artifact, 30*time.Second, nil); m.Status != "notApplicable" || m.Reason == "" {
		t.Errorf("artifact: %+v", m)
	}

	// An index: one result per platform.
	idx := pushIndex(t, []v1.Image{platformImage(t, alpineFiles("3.4.6"), 64, "amd64"), platformImage(t, alpineFiles("3.11.13"), 64, "arm64")},
		srv.addr+"/e2e/scan/multi:v1")
	m = waitVerdict(t, srv, "e2e/scan/multi", idx, 30*time.Second, func(m apiManifest) bool {
		if len(m.Images) != 2 {
			return false
		}
		for _, im := range m.Images {
			if !finalStatus[im.Status] {
				return false
			}
		}
		return true
	})
	var plats []string
	for _, im := range m.Images {
		plats = append(plats, im.Platform+" "+im.Status)
	}
	if diff := cmp.Diff([]string{"linux/amd64 unhealthy", "linux/arm64 healthy"}, plats); diff != "" || m.Kind != "index" {
		t.Errorf("index (-want +got):\n%s", diff)
	}

	// Newer advisory data, imported while the server runs.
	var db1 struct{ Version string }
	apiGet(t, srv, "/api/v1/db", &db1)
	dbImport(t, srv.dataDir, writeOSV(t, "DRYDOCK-TEST-0001.json", busyboxOSV))
	m = waitVerdict(t, srv, "e2e/scan/alpine", fresh, 60*time.Second, func(m apiManifest) bool { return m.Status == "unhealthy" })
	if m.Images[0].DBVersion == db1.Version {
		t.Errorf("flipped without a new database version: %+v", m)
	}
	fs = findings(t, srv, url.Values{"repository": {"e2e/scan/alpine"}, "digest": {fresh}})
	if ids := distinct(fs); !slices.Equal(ids, []string{"DRYDOCK-TEST-0001"}) {
		t.Errorf("findings of 3.11.13 after the update: %v", ids)
	}
	got := rc.waitFor(t, "finding.new", 30*time.Second, func(rs []hookRequest) bool {
		for _, r := range rs {
			if r.event == "finding.new" && strings.Contains(string(r.env.Data), fresh) {
				return true
			}
		}
		return false
	})
	for _, r := range got {
		if r.event != "finding.new" {
			continue
		}
		if err := verifySignature(hook.Secret, r); err != nil {
			t.Error(err)
		}
		var data struct {
			Repository, Digest string
			Finding            struct{ ID, Severity string }
		}
		if err := json.Unmarshal(r.env.Data, &data); err != nil {
			t.Fatal(err)
		}
		// The 3.11.13 image and the index's arm64 platform (3.11.13 too).
		if data.Finding.ID != "DRYDOCK-TEST-0001" || data.Finding.Severity != "High" ||
			(data.Digest != fresh && data.Repository != "e2e/scan/multi") {
			t.Errorf("unexpected finding.new: %s", r.env.Data)
		}
	}
	var changes struct {
		Items []struct{ Change, ID, Digest string }
	}
	apiGet(t, srv, "/api/v1/findings/changes?repository=e2e/scan/alpine", &changes)
	if n := len(changes.Items); n < 2 {
		t.Errorf("finding changes: %+v", changes.Items)
	}

	// An exemption for the new advisory flips it back; its findings stay,
	// exempted.
	var ex struct{ ID string }
	apiJSON(t, srv, "POST", "/api/v1/exemptions", map[string]any{"subscription": "default", "scope": "image", "digest": fresh,
		"advisoryId": "DRYDOCK-TEST-0001", "reason": "fixed in the next build", "expiresAt": time.Now().Add(time.Hour)}, 201, &ex)
	m = waitVerdict(t, srv, "e2e/scan/alpine", fresh, 30*time.Second, func(m apiManifest) bool { return m.Status == "healthy" })
	if m.Summary["exempted"] != 2 || m.Summary["high"] != 0 {
		t.Errorf("exempted image summary: %v", m.Summary)
	}
	if fs := findings(t, srv, url.Values{"digest": {fresh}, "exempted": {"true"}}); len(fs) != 2 {
		t.Errorf("%d exempted findings, want 2 (busybox, ssl_client)", len(fs))
	}
	apiJSON(t, srv, "DELETE", "/api/v1/exemptions/"+ex.ID, nil, 204, nil)
	waitVerdict(t, srv, "e2e/scan/alpine", fresh, 30*time.Second, func(m apiManifest) bool { return m.Status == "unhealthy" })

	// Deleting an image removes its findings at once.
	runTool(t, nil, "crane", "--insecure", "delete", srv.addr+"/e2e/scan/alpine@"+old)
	if fs := findings(t, srv, url.Values{"repository": {"e2e/scan/alpine"}, "digest": {old}}); len(fs) != 0 {
		t.Errorf("%d findings left after the delete", len(fs))
	}
	var usage struct{ Total int }
	apiGet(t, srv, "/api/v1/usage", &usage)
	if usage.Total != 5 { // 3.4.6, 3.11.13, 3.20.3 and the index's two (distinct) platforms
		t.Errorf("usage %d, want 5", usage.Total)
	}
}

// TestScanPipelineCrash kill -9s drydock while it scans a stream of
// pushes, restarts it, and checks that every acknowledged push reaches a
// final status with exactly the findings it should have: none lost, none
// duplicated.
func TestScanPipelineCrash(t *testing.T) {
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, "DRYDOCK_SCAN_WORKERS=2")
	// The reference: the findings every distinct Alpine 3.4.6 image has.
	ref := pushImage(t, platformImage(t, alpineFiles("3.4.6"), 0, "amd64"), srv.addr+"/e2e/crash/ref:v1")
	waitVerdict(t, srv, "e2e/crash/ref", ref, 30*time.Second, nil)
	want := map[string]bool{}
	for _, f := range findings(t, srv, url.Values{"repository": {"e2e/crash/ref"}}) {
		want[findingKey(f)] = true
	}
	if len(want) == 0 {
		t.Fatal("the reference image has no findings")
	}

	type pushed struct{ repo, digest string }
	var mu sync.Mutex
	var acked []pushed
	for round := 0; round < 2; round++ {
		mu.Lock()
		start := len(acked)
		mu.Unlock()
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					repo := fmt.Sprintf("e2e/crash/r%d-w%d", round, w)
					img := platformImage(t, alpineFiles("3.4.6"), 512+i, "amd64")
					d, err := img.Digest()
					if err != nil {
						t.Error(err)
						return
					}
					dirL := t.TempDir()
					writeLayout(t, dirL, map[string]v1.Image{"x": img})
					if _, err := runToolErr(t, nil, "crane", "--insecure", "push", dirL, srv.addr+"/"+repo+fmt.Sprintf(":v%d", i)); err != nil {
						return // the kill interrupted it: not acknowledged
					}
					mu.Lock()
					acked = append(acked, pushed{repo, d.String()})
					mu.Unlock()
				}
			})
		}
		// Kill while scans are queued or running, after a few pushes of
		// this round were acknowledged.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var st struct{ Jobs map[string]int }
			code, _, b, err := httpDo(t.Context(), "GET", srv.url("/api/v1/scans"), "")
			mu.Lock()
			n := len(acked) - start
			mu.Unlock()
			if err == nil && code == 200 && json.Unmarshal(b, &st) == nil && st.Jobs["running"]+st.Jobs["queued"] > 0 && n >= 4 {
				t.Logf("round %d: killing with %d scan jobs queued and %d running", round, st.Jobs["queued"], st.Jobs["running"])
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: never caught a scan in flight", round)
			}
			time.Sleep(20 * time.Millisecond)
		}
		srv.kill()
		cancel()
		wg.Wait()
		t.Logf("round %d: killed with %d pushes acknowledged so far", round, len(acked))
		srv.restart()
	}
	for _, p := range acked {
		m := waitVerdict(t, srv, p.repo, p.digest, 60*time.Second, func(m apiManifest) bool { return m.Status != "pending" })
		if m.Status != "unhealthy" {
			t.Errorf("%s@%s: %s (%s)", p.repo, p.digest, m.Status, m.Reason)
			continue
		}
		got := map[string]bool{}
		fs := findings(t, srv, url.Values{"repository": {p.repo}, "digest": {p.digest}})
		for _, f := range fs {
			k := findingKey(f)
			if got[k] {
				t.Errorf("%s@%s: finding %s twice", p.repo, p.digest, k)
			}
			got[k] = true
		}
		if !cmp.Equal(want, got) {
			t.Errorf("%s@%s: %d findings, want %d (-want +got):\n%s", p.repo, p.digest, len(got), len(want), cmp.Diff(want, got))
		}
	}
	t.Logf("%d acknowledged pushes, all scanned with their %d findings", len(acked), len(want))
}
