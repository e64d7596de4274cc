//go:build e2e

package e2e

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/drydock/drydock/bench/load/loadgen"
)

// TestLoad is the short form of bench/load (issue 7: "50 concurrent
// clients pushing and pulling ... with zero errors and steady memory and
// goroutine counts"): 50 clients signed in through the token flow push
// images (new and shared layers, every upload flow, tags, referrers,
// indexes) and pull them (manifests, blobs with Range, tag lists,
// referrers, catalog) for 30 s against a drydock that scans every push
// with the Alpine advisories; the server's RSS and goroutines are sampled
// every 2 s. It fails on any error and on drift of the last 10 s over the
// second 10 s beyond the tolerance (loadgen.Report.Check).
//
// E2E_LOAD_DURATION sets another duration (e.g. 5m, the full form).
func TestLoad(t *testing.T) {
	d := 30 * time.Second
	if v := os.Getenv("E2E_LOAD_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("E2E_LOAD_DURATION: %v", err)
		}
	}
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, "DRYDOCK_VULNDB_AUTOUPDATE=false", "DRYDOCK_LOG_LEVEL=warn")
	rep, err := loadgen.Run(t.Context(), loadgen.Config{
		Server:      "http://" + srv.addr,
		User:        adminUser,
		Password:    adminPassword,
		PID:         srv.cmd.Process.Pid,
		Clients:     50,
		Duration:    d,
		SampleEvery: 2 * time.Second,
		BaseLayer:   layerTar(t, alpineFiles("3.4.6"), 0),
		Logger:      slog.New(slog.NewTextHandler(tlogWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load report:\n%s", rep.Markdown())
	if err := rep.Check(); err != nil {
		t.Error(err)
	}
	if !srv.running() {
		t.Fatalf("drydock exited during the load: %v", srv.waitErr)
	}
}

// tlogWriter writes log lines into the test log.
type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
