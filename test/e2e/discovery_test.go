//go:build e2e

package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiscoveryAndOps checks what clients and operators see beyond the
// conformance suite: the /v2/ version header, health and metrics
// endpoints, _catalog and tag-list pagination with Link headers across many
// pages, and that manifest pulls are recorded (lastPulledAt) and survive a
// graceful shutdown.
func TestDiscoveryAndOps(t *testing.T) {
	srv := startServer(t, "")
	ctx := t.Context()

	t.Run("version check and operations endpoints", func(t *testing.T) {
		st, hdr, _, err := httpDo(ctx, http.MethodGet, srv.url("/v2/"), "")
		if err != nil {
			t.Fatal(err)
		}
		if st != http.StatusOK || hdr.Get("Docker-Distribution-API-Version") != "registry/2.0" {
			t.Errorf("GET /v2/: status %d, Docker-Distribution-API-Version %q", st, hdr.Get("Docker-Distribution-API-Version"))
		}
		for _, p := range []string{"/healthz", "/readyz"} {
			if st, _, body, err := httpDo(ctx, http.MethodGet, srv.url(p), ""); err != nil || st != http.StatusOK {
				t.Errorf("GET %s: %d %v %.200s", p, st, err, body)
			}
		}
		st, _, body, err := httpDo(ctx, http.MethodGet, srv.url("/metrics"), "")
		if err != nil || st != http.StatusOK || !strings.Contains(string(body), "# TYPE ") {
			t.Errorf("GET /metrics: status %d, err %v, Prometheus text format: %v", st, err, strings.Contains(string(body), "# TYPE "))
		}
	})

	// 23 repositories, and 13 tags of one manifest in the first.
	log := &crashLog{attempted: map[string]crashBlob{}}
	shared := sharedLayer(t)
	var repos []string
	for i := 0; i < 23; i++ {
		repo := fmt.Sprintf("e2e/page/r%02d", i)
		repos = append(repos, repo)
		if err := pushOne(ctx, srv.addr, repo, "t0", shared, log, nil); err != nil {
			t.Fatal(err)
		}
	}
	first := log.acked[0]
	var tags []string
	for i := 0; i < 13; i++ {
		tag := fmt.Sprintf("t%d", i)
		tags = append(tags, tag)
		st, _, body, err := httpSend(ctx, http.MethodPut, srv.url("/v2/"+first.repo+"/manifests/"+tag), "application/vnd.oci.image.manifest.v1+json", first.manifest, nil)
		if err != nil || st != http.StatusCreated {
			t.Fatalf("PUT tag %s: %d %v %.200s", tag, st, err, body)
		}
	}
	slices.Sort(tags) // lexical order: t0 t1 t10 t11 t12 t2 ...

	t.Run("_catalog pages", func(t *testing.T) {
		got := listPages(t, srv, "/v2/_catalog?n=5", "repositories", 5)
		if diff := cmp.Diff(repos, got); diff != "" {
			t.Errorf("_catalog over pages of 5 (-want +got):\n%s", diff)
		}
	})
	t.Run("tag list pages", func(t *testing.T) {
		got := listPages(t, srv, "/v2/"+first.repo+"/tags/list?n=4", "tags", 4)
		if diff := cmp.Diff(tags, got); diff != "" {
			t.Errorf("tags/list over pages of 4 (-want +got):\n%s", diff)
		}
		i := slices.Index(tags, "t11")
		got = listPages(t, srv, "/v2/"+first.repo+"/tags/list?n=3&last=t11", "tags", 3)
		if diff := cmp.Diff(tags[i+1:], got); diff != "" {
			t.Errorf("tags/list?last=t11 (-want +got):\n%s", diff)
		}
	})

	t.Run("lastPulledAt", func(t *testing.T) {
		pulled, notPulled := log.acked[1], log.acked[2]
		for i := 0; i < 3; i++ {
			st, _, _, err := httpDo(ctx, http.MethodGet, srv.url("/v2/"+pulled.repo+"/manifests/t0"), manifestAccept)
			if err != nil || st != http.StatusOK {
				t.Fatalf("GET manifest: %d %v", st, err)
			}
		}
		srv.stop()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(srv.dataDir, "meta.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		lastPulled := func(p ackedPush) sql.NullInt64 {
			var at sql.NullInt64
			err := db.QueryRowContext(ctx, `SELECT m.last_pulled_at FROM manifests m JOIN repositories r ON r.id = m.repository_id
				WHERE r.name = ? AND m.digest = ?`, p.repo, p.digest).Scan(&at)
			if err != nil {
				t.Fatalf("read last_pulled_at of %s@%s: %v", p.repo, p.digest, err)
			}
			return at
		}
		if at := lastPulled(pulled); !at.Valid || at.Int64 <= 0 {
			t.Errorf("%s@%s was pulled 3 times before a graceful shutdown, but last_pulled_at is %v", pulled.repo, pulled.digest, at)
		}
		if at := lastPulled(notPulled); at.Valid {
			t.Errorf("%s@%s was never pulled, but last_pulled_at is %v", notPulled.repo, notPulled.digest, at.Int64)
		}
		srv.restart()
	})
}

// listPages follows Link rel="next" from path and returns the entries of
// field, checking that no page holds more than max entries and that every
// page but the last links to the next.
func listPages(t *testing.T, srv *server, path, field string, max int) []string {
	t.Helper()
	var all []string
	for page := 0; path != ""; page++ {
		if page > 100 {
			t.Fatalf("more than 100 pages: Link loop?")
		}
		st, hdr, body, err := httpDo(t.Context(), http.MethodGet, srv.url(path), "")
		if err != nil || st != http.StatusOK {
			t.Fatalf("GET %s: %d %v %.200s", path, st, err, body)
		}
		var doc map[string]json.RawMessage
		var entries []string
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("GET %s: %v: %.200s", path, err, body)
		}
		if raw, ok := doc[field]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &entries); err != nil {
				t.Fatalf("GET %s: %s: %v", path, field, err)
			}
		}
		if len(entries) > max {
			t.Fatalf("GET %s: %d entries, more than n=%d", path, len(entries), max)
		}
		all = append(all, entries...)
		// A missing Link before the end shows up as missing entries in the
		// caller's comparison.
		next := linkNext(hdr.Get("Link"))
		if next != "" && !strings.HasPrefix(next, "/v2/") {
			if i := strings.Index(next, "/v2/"); i >= 0 {
				next = next[i:]
			} else {
				t.Fatalf("GET %s: Link %q does not point into /v2/", path, hdr.Get("Link"))
			}
		}
		path = next
	}
	return all
}

// linkNext extracts the target of a Link: <...>; rel="next" header.
func linkNext(h string) string {
	if h == "" || !strings.Contains(h, `rel="next"`) {
		return ""
	}
	i, j := strings.Index(h, "<"), strings.Index(h, ">")
	if i < 0 || j < i {
		return ""
	}
	return h[i+1 : j]
}
