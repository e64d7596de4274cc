package audit_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

func TestRecord(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	st, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(t.TempDir(), "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logBuf.Reset()
	rec := audit.New(st, log)
	rec.Record(t.Context(), audit.Event{Actor: "alice", Action: audit.TokenCreate, Target: "tok_1", Subscription: "s1",
		Remote: "10.0.0.7", Outcome: audit.OK, Detail: map[string]string{"scopes": "repository:a/*:pull"}})

	var line map[string]any
	if err := json.Unmarshal(logBuf.Bytes(), &line); err != nil {
		t.Fatalf("log line: %v: %s", err, logBuf.Bytes())
	}
	for k, want := range map[string]string{"msg": "audit", "actor": "alice", "action": "token.create", "target": "tok_1",
		"subscription": "s1", "remote": "10.0.0.7", "outcome": "ok", "scopes": "repository:a/*:pull"} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %q", k, line[k], want)
		}
	}
	evs, err := st.ListAudit(t.Context(), 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("stored events: %+v %v", evs, err)
	}
	e := evs[0]
	if e.Actor != "alice" || e.Action != "token.create" || e.Remote != "10.0.0.7" || e.SubscriptionID != "s1" ||
		!strings.Contains(e.Detail, `"scopes":"repository:a/*:pull"`) || e.At.IsZero() {
		t.Errorf("stored %+v", e)
	}
}

func TestRemote(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:5555"
	if got := audit.Remote(r); got != "192.0.2.1" {
		t.Errorf("Remote = %q", got)
	}
	r.RemoteAddr = "[::1]:80"
	if got := audit.Remote(r); got != "::1" {
		t.Errorf("Remote = %q", got)
	}
}
