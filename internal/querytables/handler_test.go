package querytables_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
)

// denyAll refuses every request, as the sign-in would without credentials.
type denyAll struct{}

func (denyAll) Authorize(*http.Request, []access.Request) (*http.Request, error) {
	return nil, access.ErrUnauthenticated
}

func TestHandler(t *testing.T) {
	tb, _ := newTables(t)
	h := tb.Handler(denyAll{}, kql.Limits{Now: pt.ScannedAt}, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-User") == "alice" {
			r = r.WithContext(access.WithIdentity(r.Context(), alice))
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	post := func(user, body string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/query", strings.NewReader(body))
		req.Header.Set("X-Test-User", user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	q, _ := json.Marshal(map[string]string{"query": publishedQuery2})
	st, body := post("alice", string(q))
	res, err := kql.DecodeResult(strings.NewReader(body))
	if st != 200 || err != nil || len(res.Rows) != 3 {
		t.Errorf("published query: %d %v %s", st, err, body)
	}
	if st, body := post("", string(q)); st != 401 {
		t.Errorf("without identity: %d %s", st, body)
	}
	if st, body := post("alice", `{"query": "findings | where nope == 1"}`); st != 400 || !strings.Contains(body, `"column"`) {
		t.Errorf("bad query: %d %s", st, body)
	}
}
