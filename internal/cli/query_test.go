package cli

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/kql"
)

// queryServer serves the query API over a small findings table, wanting
// the bearer token "secret".
func queryServer(t *testing.T) string {
	t.Helper()
	cols := []kql.Column{{Name: "repository", Type: kql.TypeString}, {Name: "id", Type: kql.TypeString},
		{Name: "cvssScore", Type: kql.TypeReal}, {Name: "publishedAt", Type: kql.TypeDateTime}}
	at := time.Date(2017, 2, 9, 20, 59, 0, 0, time.UTC)
	tbl, err := kql.NewMemTable("findings", cols, []kql.Row{
		{kql.String("legacy/alpine-base"), kql.String("CVE-2016-2148"), kql.Real(9.8), kql.DateTime(at)},
		{kql.String("legacy/alpine-base"), kql.String("CVE-2017-15873"), kql.Real(5.5), kql.DateTime(at.AddDate(0, 8, 0))},
		{kql.String("apps/storefront"), kql.String("CVE-2021-23337"), kql.Real(7.2), kql.DateTime(at.AddDate(4, 0, 0))},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := kql.Handler(func(*http.Request) (kql.Catalog, error) { return kql.MapCatalog{"findings": tbl}, nil }, kql.Limits{})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/query", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"sign in"}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestQueryCommand(t *testing.T) {
	url := queryServer(t)
	closed := func() string { // an address nobody listens on
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	const q = `findings | summarize n = count(), worst = max(cvssScore), first = min(publishedAt) by repository`
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{name: "table", args: []string{"query", "--server", url, "--token", "secret", q}, code: ExitOK,
			stdout: "repository          n  worst  first\n" +
				"------------------  -  -----  --------------------\n" +
				"legacy/alpine-base  2  9.8    2017-02-09T20:59:00Z\n" +
				"apps/storefront     1  7.2    2021-02-09T20:59:00Z\n"},
		{name: "json", args: []string{"query", "--server", url, "--token", "secret", "--format", "json", "findings | take 1 | project id, cvssScore"}, code: ExitOK,
			stdout: `{"columns":[{"name":"id","type":"string"},{"name":"cvssScore","type":"real"}],"rows":[` + "\n" + `["CVE-2016-2148",9.8]` + "\n]}\n"},
		{name: "csv from stdin", args: []string{"query", "--server", url + "/", "--token", "secret", "--format", "csv", "-"},
			stdin: "findings\n| where cvssScore > 7\n| project id, publishedAt", code: ExitOK,
			stdout: "id,publishedAt\nCVE-2016-2148,2017-02-09T20:59:00Z\nCVE-2021-23337,2021-02-09T20:59:00Z\n"},
		{name: "query error points at the line and column", args: []string{"query", "--server", url, "--token", "secret", "findings\n| where cvss > 7"},
			code: ExitFailure, stderr: `drydock: query failed: Invalid query: line 2, column 9: unknown column or variable "cvss" (columns: repository, id, cvssScore, publishedAt)` + "\n"},
		{name: "sign-in needed", args: []string{"query", "--server", url, "findings"}, code: ExitFailure,
			stderr: "drydock: the server wants you to sign in (--token, or --user with DRYDOCK_PASSWORD): Unauthorized: sign in\n"},
		{name: "not a drydock server", args: []string{"query", "--server", url + "/nothing", "--token", "secret", "findings"}, code: ExitFailure,
			stderr: "the server has no query API at /api/v1/query"},
		{name: "server down", args: []string{"query", "--server", closed, "findings"}, code: ExitFailure,
			stderr: "cannot reach the drydock server at " + closed},
		{name: "unknown format", args: []string{"query", "--server", url, "--format", "xml", "findings"}, code: ExitUsage,
			stderr: `unknown --format "xml"`},
		{name: "bad server URL", args: []string{"query", "--server", "ftp://x", "findings"}, code: ExitUsage,
			stderr: `--server "ftp://x" is not an http(s) URL`},
		{name: "no query", args: []string{"query"}, code: ExitUsage, stderr: "accepts 1 arg(s)"},
		{name: "empty query", args: []string{"query", "--server", url, " "}, code: ExitUsage, stderr: "the query is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), tt.args, strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if tt.stdout != "" {
				if diff := cmp.Diff(tt.stdout, out.String()); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if tt.stderr != "" && !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tt.stderr)
			}
		})
	}
}
