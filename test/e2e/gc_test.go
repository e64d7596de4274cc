//go:build e2e

package e2e

import (
	"fmt"
	iofs "io/fs"
	mrand "math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGCOnline runs the garbage collector every 200 ms while 8 clients keep
// re-pushing the tag "latest" of their repositories, so that every push
// leaves the previous manifest untagged. It checks that no push fails, that
// every tag resolves to the last manifest pushed to it with all of its
// blobs, that nothing visible is partial, and that the collector does its
// job: once the grace period has passed, the untagged manifests and the
// bytes of their unique layers are gone.
func TestGCOnline(t *testing.T) {
	const grace = 3 * time.Second
	srv := startServer(t, "",
		"DRYDOCK_GC_INTERVAL=200ms",
		"DRYDOCK_GC_GRACEPERIOD="+grace.String(),
		"DRYDOCK_GC_DELETEUNTAGGED=true",
	)
	const workers = 8
	log := &crashLog{attempted: map[string]crashBlob{}}
	shared := sharedLayer(t)
	perWorker := make([][]ackedPush, workers)
	var errs []error
	var mu sync.Mutex
	// Workers stop starting new pushes at the deadline but finish the one
	// in flight: cancelling a push mid-way could leave a manifest committed
	// by the server but never acknowledged to the client, and the "latest"
	// recorded here would then be wrong.
	ctx := t.Context()
	stopAt := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := fmt.Sprintf("e2e/gc/w%d", w)
			rng := mrand.New(mrand.NewPCG(7, uint64(w)))
			for time.Now().Before(stopAt) {
				wl := &crashLog{attempted: map[string]crashBlob{}}
				err := pushOne(ctx, srv.addr, repo, "latest", shared, wl, rng)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				log.attempt(wl.acked[0].blobs)
				perWorker[w] = append(perWorker[w], wl.acked[0])
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == 10 {
			t.Errorf("... %d push errors in all", len(errs))
			break
		}
		t.Errorf("push failed while the collector ran: %v", err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}

	var latest, old []ackedPush
	for w, pushes := range perWorker {
		if len(pushes) < 2 {
			t.Fatalf("worker %d acknowledged only %d pushes", w, len(pushes))
		}
		latest = append(latest, pushes[len(pushes)-1])
		old = append(old, pushes[:len(pushes)-1]...)
	}
	t.Logf("%d pushes acknowledged; %d manifests left untagged", len(latest)+len(old), len(old))
	checkAcked(t, srv, latest)
	_, attempted := log.snapshot()
	checkNoPartialBlobs(t, srv, attempted)

	// The naming assumption behind the file check below: blob bytes are
	// stored in a file named by the digest's hex.
	files := blobFiles(t, srv.dataDir)
	for _, p := range latest {
		if !files[hexOf(p.blobs[2].digest)] {
			t.Fatalf("no file named %s under %s: blob layout changed, update this test", hexOf(p.blobs[2].digest), srv.dataDir)
		}
	}

	// After the grace period the untagged manifests and their unique layers
	// must be collected.
	deadline := time.Now().Add(grace + 20*time.Second)
	var remaining []string
	for {
		remaining = remaining[:0]
		files = blobFiles(t, srv.dataDir)
		for _, p := range old {
			u := srv.url("/v2/" + p.repo + "/manifests/" + p.digest)
			st, _, _, err := httpDo(t.Context(), http.MethodGet, u, manifestAccept)
			if err != nil {
				t.Fatal(err)
			}
			if st != http.StatusNotFound {
				remaining = append(remaining, fmt.Sprintf("GET %s: status %d", u, st))
			}
			layer := p.blobs[2]
			u = srv.url("/v2/" + p.repo + "/blobs/" + layer.digest)
			if st, _, _, err = httpDo(t.Context(), http.MethodHead, u, ""); err != nil {
				t.Fatal(err)
			}
			if st != http.StatusNotFound {
				remaining = append(remaining, fmt.Sprintf("HEAD %s: status %d", u, st))
			}
			if files[hexOf(layer.digest)] {
				remaining = append(remaining, fmt.Sprintf("bytes of %s still stored", layer.digest))
			}
		}
		if len(remaining) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(remaining) > 0 {
		reportProblems(t, fmt.Sprintf("untagged manifests not collected %s after the pushes stopped (grace %s, interval 200ms)", grace+20*time.Second, grace), len(old), remaining)
	}
	// What is tagged survived every collection.
	checkAcked(t, srv, latest)
}

// blobFiles returns the names of all regular files under dir.
func blobFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return nil // files come and go while the server runs
		}
		if d.Type().IsRegular() {
			names[d.Name()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func hexOf(digest string) string {
	_, h, _ := strings.Cut(digest, ":")
	return h
}
