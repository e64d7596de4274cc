package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/api"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/live"
)

// updatingAdvisories has no database yet and reports a failed update, as
// an offline server's live.Manager does.
type updatingAdvisories struct{ st live.Status }

func (updatingAdvisories) DB() *vulndb.DB        { return nil }
func (u updatingAdvisories) Status() live.Status { return u.st }

// TestDBStatusOffline checks that GET /api/v1/db says why there is no
// database and when the server tries again.
func TestDBStatusOffline(t *testing.T) {
	e := newEnv(t)
	next := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	st := live.Status{AutoUpdate: true, LastError: "update: no advisory source could be reached (offline?)",
		NextUpdate: next, Message: "no advisory database: the update failed; retrying at 06:00 UTC"}
	h, err := api.New(api.Deps{Store: e.meta, Scans: e.p, Advisories: updatingAdvisories{st}, Auth: access.Open(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/db", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got struct {
		Loaded  bool        `json:"loaded"`
		Updates live.Status `json:"updates"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Loaded || got.Updates.Message != st.Message || got.Updates.LastError != st.LastError ||
		!got.Updates.NextUpdate.Equal(next) {
		t.Errorf("GET /api/v1/db = %s", rec.Body)
	}
}
