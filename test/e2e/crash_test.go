//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // read drydock's metadata database after the run
)

// crashBlob is a blob some push tried to upload.
type crashBlob struct {
	repo   string
	digest string
	size   int64
}

// ackedPush is a manifest PUT that drydock answered 201.
type ackedPush struct {
	repo, tag, digest string
	manifest          []byte
	blobs             []crashBlob
}

// crashLog collects what the pushers did; safe for concurrent use.
type crashLog struct {
	mu        sync.Mutex
	acked     []ackedPush
	attempted map[string]crashBlob // by repo + digest
	failed    atomic.Int64
	early     []string // errors of pushes that failed before the kill
}

func (l *crashLog) attempt(bs []crashBlob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range bs {
		l.attempted[b.repo+"@"+b.digest] = b
	}
}

func (l *crashLog) ack(p ackedPush) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked = append(l.acked, p)
}

func (l *crashLog) snapshot() ([]ackedPush, []crashBlob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	blobs := make([]crashBlob, 0, len(l.attempted))
	for _, b := range l.attempted {
		blobs = append(blobs, b)
	}
	return append([]ackedPush(nil), l.acked...), blobs
}

const (
	crashWorkers = 16
	crashRounds  = 3
)

// TestCrashConsistency kill -9s drydock in the middle of many concurrent
// pushes, restarts it on the same data directory and checks that every
// acknowledged manifest is readable byte for byte with its blobs and tag,
// that no blob is visible with partial content, and that every
// acknowledged manifest has a scan job.
//
// It runs twice: with the default settings, and with the garbage collector
// running every 250 ms with a 3 s grace period, so that collections (and
// the sweep of orphan files a crash leaves) race the pushes and the kills.
// (A push takes well under a second here; the grace period is what spares a
// push in progress "blob unknown" on its manifest.)
func TestCrashConsistency(t *testing.T) {
	t.Run("default", func(t *testing.T) { crashRun(t) })
	t.Run("gc-every-250ms-grace-3s", func(t *testing.T) {
		crashRun(t, "DRYDOCK_GC_INTERVAL=250ms", "DRYDOCK_GC_GRACEPERIOD=3s")
	})
}

func crashRun(t *testing.T, env ...string) {
	srv := startServer(t, "", env...)
	log := &crashLog{attempted: map[string]crashBlob{}}
	shared := sharedLayer(t)
	seen := 0
	for round := 0; round < crashRounds; round++ {
		killAfter := 1500*time.Millisecond + time.Duration(mrand.Int64N(int64(2500*time.Millisecond)))
		log.mu.Lock()
		log.early = nil // failures caused by the previous kill
		log.mu.Unlock()
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := 0; w < crashWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pushLoop(ctx, srv.addr, round, w, shared, log)
			}()
		}
		time.Sleep(killAfter)
		log.mu.Lock()
		early := log.early
		log.early = nil
		stalled := len(log.acked) == seen
		log.mu.Unlock()
		if stalled {
			// Nothing acknowledged in seconds: show where drydock is stuck.
			srv.quit()
			cancel()
			wg.Wait()
			t.Fatalf("round %d: no push acknowledged within %s of load; drydock's goroutines are in its log", round, killAfter.Round(time.Millisecond))
		}
		srv.kill()
		cancel()
		wg.Wait()
		// Before the kill nothing should fail: the server was up.
		for i, e := range early {
			if i == 5 {
				t.Errorf("... %d pushes failed before the kill", len(early))
				break
			}
			t.Errorf("round %d: push failed before the kill: %s", round, e)
		}
		acked, _ := log.snapshot()
		t.Logf("round %d: killed after %s; %d pushes acknowledged this round, %d failed so far",
			round, killAfter.Round(time.Millisecond), len(acked)-seen, log.failed.Load())
		if len(acked) == seen {
			t.Fatalf("round %d: no push was acknowledged before the kill", round)
		}
		seen = len(acked)
		srv.restart()
		checkAcked(t, srv, acked)
	}

	acked, attempted := log.snapshot()
	checkAcked(t, srv, acked)
	checkNoPartialBlobs(t, srv, attempted)
	// The server still takes pushes after three crashes.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	after := &crashLog{attempted: map[string]crashBlob{}}
	if err := pushOne(ctx, srv.addr, "e2e/crash/after", "final", shared, after, nil); err != nil {
		t.Fatalf("push after the crashes: %v", err)
	}
	acked = append(acked, after.acked...)
	checkAcked(t, srv, after.acked)
	srv.stop()
	checkScanJobs(t, filepath.Join(srv.dataDir, "meta.db"), acked)
	t.Logf("crash test: %d acknowledged manifests verified, %d blobs checked for partial content, %d pushes cut off by the kills",
		len(acked), len(attempted), log.failed.Load())
}

// pushLoop pushes new images to e2e/crash/w<worker> until ctx ends.
func pushLoop(ctx context.Context, addr string, round, worker int, shared []byte, log *crashLog) {
	repo := fmt.Sprintf("e2e/crash/w%02d", worker)
	rng := mrand.New(mrand.NewPCG(uint64(round), uint64(worker)))
	for n := 0; ctx.Err() == nil; n++ {
		tag := fmt.Sprintf("r%d-n%d", round, n)
		if err := pushOne(ctx, addr, repo, tag, shared, log, rng); err != nil {
			log.failed.Add(1)
			log.mu.Lock()
			log.early = append(log.early, err.Error())
			log.mu.Unlock()
			// The server is gone; a new round starts after the restart.
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// pushOne pushes one image made of a shared layer and a fresh random layer
// over plain HTTP: HEAD, then a monolithic POST+PUT upload for small blobs
// and POST, PATCH, PATCH, PUT for large ones, then PUT of the manifest by
// tag. It records the push as acknowledged only when the manifest PUT
// answered 201 Created.
func pushOne(ctx context.Context, addr, repo, tag string, shared []byte, log *crashLog, rng *mrand.Rand) error {
	size := 64 << 10
	if rng != nil {
		size = 16<<10 + rng.IntN(2<<20)
	}
	layer, err := randomTar(size)
	if err != nil {
		return err
	}
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q,%q]},"config":{}}`,
		sha256Hex(shared), sha256Hex(layer)))
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d},`+
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
		sha256Hex(config), len(config), sha256Hex(shared), len(shared), sha256Hex(layer), len(layer)))
	var blobs []crashBlob
	for _, b := range [][]byte{config, shared, layer} {
		blobs = append(blobs, crashBlob{repo: repo, digest: sha256Hex(b), size: int64(len(b))})
	}
	log.attempt(blobs)
	base := "http://" + addr + "/v2/" + repo
	for _, b := range [][]byte{config, shared, layer} {
		if err := pushBlob(ctx, base, b); err != nil {
			return err
		}
	}
	st, _, body, err := httpSend(ctx, http.MethodPut, base+"/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json", manifest, nil)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("PUT manifest %s:%s: status %d: %.200s", repo, tag, st, body)
	}
	log.ack(ackedPush{repo: repo, tag: tag, digest: sha256Hex(manifest), manifest: manifest, blobs: blobs})
	return nil
}

// pushBlob uploads b unless the repository already has it.
func pushBlob(ctx context.Context, base string, b []byte) error {
	dig := sha256Hex(b)
	st, _, _, err := httpSend(ctx, http.MethodHead, base+"/blobs/"+dig, "", nil, nil)
	if err != nil {
		return err
	}
	if st == http.StatusOK {
		return nil
	}
	st, hdr, body, err := httpSend(ctx, http.MethodPost, base+"/blobs/uploads/", "", nil, nil)
	if err != nil {
		return err
	}
	if st != http.StatusAccepted {
		return fmt.Errorf("POST upload: status %d: %.200s", st, body)
	}
	loc, err := resolveLocation(base, hdr.Get("Location"))
	if err != nil {
		return err
	}
	final := b
	if len(b) > 256<<10 {
		// Two chunks with PATCH, then a PUT with no body.
		half := len(b) / 2
		for _, c := range []struct{ from, to int }{{0, half}, {half, len(b)}} {
			h := http.Header{"Content-Range": {fmt.Sprintf("%d-%d", c.from, c.to-1)}}
			st, hdr, body, err := httpSend(ctx, http.MethodPatch, loc, "application/octet-stream", b[c.from:c.to], h)
			if err != nil {
				return err
			}
			if st != http.StatusAccepted {
				return fmt.Errorf("PATCH upload: status %d: %.200s", st, body)
			}
			if loc, err = resolveLocation(base, hdr.Get("Location")); err != nil {
				return err
			}
		}
		final = nil
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	st, _, body, err = httpSend(ctx, http.MethodPut, loc+sep+"digest="+url.QueryEscape(dig), "application/octet-stream", final, nil)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("PUT upload %s: status %d: %.200s", dig, st, body)
	}
	return nil
}

func resolveLocation(base, loc string) (string, error) {
	if loc == "" {
		return "", errors.New("upload response without Location")
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	l, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("bad Location %q: %w", loc, err)
	}
	return b.ResolveReference(l).String(), nil
}

// sharedLayer is one layer of real files pushed by every worker, so that
// concurrent pushes race on the same blob in different repositories.
func sharedLayer(t *testing.T) []byte {
	t.Helper()
	return layerTar(t, realFileSets[0], 0)
}

// randomTar returns a tar archive holding one file of size random bytes.
func randomTar(size int) ([]byte, error) {
	data := make([]byte, size)
	for i := 0; i < len(data); i += 8 {
		v := mrand.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	sum := sha256.Sum256(data)
	if err := tw.WriteHeader(&tar.Header{Name: "data/" + hex.EncodeToString(sum[:8]), Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// e2eHTTP bounds every request: a server that stops answering fails the
// test instead of hanging it.
// It signs in as the administrator (see adminTransport).
var e2eHTTP = &http.Client{Timeout: 60 * time.Second, Transport: adminTransport{base: http.DefaultTransport}}

// httpSend performs a request with an optional body and returns status,
// headers and response body.
func httpSend(ctx context.Context, method, u, contentType string, body []byte, h http.Header) (int, http.Header, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if body == nil && (method == http.MethodPut || method == http.MethodPost) {
		req.ContentLength = 0
	}
	resp, err := e2eHTTP.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, rb, err
}

var manifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
	"application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"

// httpDo performs a bodiless request and returns status, headers and body.
func httpDo(ctx context.Context, method, u, accept string) (int, http.Header, []byte, error) {
	var h http.Header
	if accept != "" {
		h = http.Header{"Accept": {accept}}
	}
	return httpSend(ctx, method, u, "", nil, h)
}

// checkAcked verifies every acknowledged push against the running server.
func checkAcked(t *testing.T, srv *server, acked []ackedPush) {
	t.Helper()
	ctx := t.Context()
	var mu sync.Mutex
	var problems []string
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	checkedBlobs := sync.Map{}
	parallel(len(acked), 8, func(i int) {
		p := acked[i]
		for _, ref := range []string{p.digest, p.tag} {
			url := srv.url("/v2/" + p.repo + "/manifests/" + ref)
			st, hdr, body, err := httpDo(ctx, http.MethodGet, url, manifestAccept)
			switch {
			case err != nil:
				report("GET %s: %v", url, err)
			case st != http.StatusOK:
				report("GET %s: status %d, want 200 (acknowledged push); body %.300s", url, st, body)
			case !bytes.Equal(body, p.manifest):
				report("GET %s: %d bytes hashing to %s, want the acknowledged %d bytes of %s", url, len(body), sha256Hex(body), len(p.manifest), p.digest)
			case hdr.Get("Docker-Content-Digest") != "" && hdr.Get("Docker-Content-Digest") != p.digest:
				report("GET %s: Docker-Content-Digest %s, want %s", url, hdr.Get("Docker-Content-Digest"), p.digest)
			}
		}
		for _, b := range p.blobs {
			if _, done := checkedBlobs.LoadOrStore(b.repo+"@"+b.digest, true); done {
				continue
			}
			if msg := checkBlob(ctx, srv, b, true); msg != "" {
				report("%s", msg)
			}
		}
	})
	reportProblems(t, "acknowledged pushes", len(acked), problems)
}

// checkNoPartialBlobs checks that every blob any push tried to upload is
// either unknown or complete and correct.
func checkNoPartialBlobs(t *testing.T, srv *server, blobs []crashBlob) {
	t.Helper()
	var mu sync.Mutex
	var problems []string
	parallel(len(blobs), 8, func(i int) {
		if msg := checkBlob(t.Context(), srv, blobs[i], false); msg != "" {
			mu.Lock()
			problems = append(problems, msg)
			mu.Unlock()
		}
	})
	reportProblems(t, "attempted blobs", len(blobs), problems)
}

// checkBlob returns a description of what is wrong with blob b, or "".
// A blob that must exist is an error when unknown; any visible blob must
// have the right size and content.
func checkBlob(ctx context.Context, srv *server, b crashBlob, mustExist bool) string {
	url := srv.url("/v2/" + b.repo + "/blobs/" + b.digest)
	st, hdr, _, err := httpDo(ctx, http.MethodHead, url, "")
	if err != nil {
		return fmt.Sprintf("HEAD %s: %v", url, err)
	}
	if st == http.StatusNotFound && !mustExist {
		return ""
	}
	if st != http.StatusOK {
		return fmt.Sprintf("HEAD %s: status %d, want 200", url, st)
	}
	if cl := hdr.Get("Content-Length"); cl != strconv.FormatInt(b.size, 10) {
		return fmt.Sprintf("HEAD %s: Content-Length %q, want %d", url, cl, b.size)
	}
	st, _, body, err := httpDo(ctx, http.MethodGet, url, "")
	if err != nil {
		return fmt.Sprintf("GET %s: %v", url, err)
	}
	if st == http.StatusNotFound && !mustExist {
		return "" // collected between HEAD and GET (TestGCOnline runs the collector)
	}
	if st != http.StatusOK || int64(len(body)) != b.size || sha256Hex(body) != b.digest {
		return fmt.Sprintf("GET %s: status %d, %d bytes hashing to %s; want 200 with %d bytes", url, st, len(body), sha256Hex(body), b.size)
	}
	return ""
}

// checkScanJobs opens drydock's SQLite metadata read-only (the server is
// stopped) and checks that every acknowledged manifest has a scan job.
func checkScanJobs(t *testing.T, dbPath string, acked []ackedPush) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatalf("open %s: %v", dbPath, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT r.name, j.digest FROM scan_jobs j JOIN repositories r ON r.id = j.repository_id`)
	if err != nil {
		t.Fatalf("query scan_jobs in %s: %v", dbPath, err)
	}
	defer rows.Close()
	jobs := map[string]bool{}
	for rows.Next() {
		var repo, dig string
		if err := rows.Scan(&repo, &dig); err != nil {
			t.Fatal(err)
		}
		jobs[repo+"@"+dig] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, p := range acked {
		if !jobs[p.repo+"@"+p.digest] {
			problems = append(problems, fmt.Sprintf("no scan job for acknowledged manifest %s@%s (tag %s)", p.repo, p.digest, p.tag))
		}
	}
	t.Logf("scan_jobs holds %d jobs for %d acknowledged manifests", len(jobs), len(acked))
	reportProblems(t, "scan jobs", len(acked), problems)
}

func reportProblems(t *testing.T, what string, total int, problems []string) {
	t.Helper()
	if len(problems) == 0 {
		return
	}
	sort.Strings(problems)
	const max = 30
	for i, p := range problems {
		if i == max {
			t.Errorf("... and %d more", len(problems)-max)
			break
		}
		t.Errorf("%s", p)
	}
	t.Fatalf("%s: %d problems among %d checked", what, len(problems), total)
}

// parallel runs fn(0..n-1) on up to workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
