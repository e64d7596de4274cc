//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScanCrashRandom kill -9s drydock at random points of its scans,
// round after round, while clients keep pushing: images of Alpine 3.4.6
// (20 CVEs) and 3.11.13 (healthy) that share their base layer (so the
// layer cache is in play), and indexes of one of each. Each round waits
// until scans are in flight, then kills after a random delay (0-150 ms
// once a job is running, or 0-1 s once one is queued: during a claim, an
// extraction, a match, a result write or an event), and restarts; extra
// rounds make sure at least one kill finds a job running. At the
// end every acknowledged push must reach its final status with exactly
// the findings of its kind: none lost, none duplicated, never "failed".
//
// The existing TestScanPipelineCrash kills once per round as soon as a
// scan is queued; TestCrashConsistency kills pushes at random points.
// E2E_CRASH_SEED replays a run (the seed is logged); E2E_CRASH_ROUNDS
// sets the number of rounds (default 5).
func TestScanCrashRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("E2E_CRASH_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("E2E_CRASH_SEED: %v", err)
		}
	}
	rounds := 5
	if v := os.Getenv("E2E_CRASH_ROUNDS"); v != "" {
		var err error
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			t.Fatalf("E2E_CRASH_ROUNDS %q", v)
		}
	}
	t.Logf("seed %d (E2E_CRASH_SEED=%d replays this run), %d rounds", seed, seed, rounds)
	rng := mrand.New(mrand.NewPCG(seed, 0))

	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, "DRYDOCK_SCAN_WORKERS=2", "DRYDOCK_VULNDB_AUTOUPDATE=false")
	bases := map[string][]byte{
		"3.4.6":   layerTar(t, alpineFiles("3.4.6"), 0),
		"3.11.13": layerTar(t, alpineFiles("3.11.13"), 0),
	}

	// The reference: what every image of each kind must end with.
	want := map[string]map[string]bool{}
	for kind, base := range bases {
		p, err := pushScanImage(t.Context(), srv.addr, "e2e/scancrash/ref", "ref-"+kind, kind, base)
		if err != nil {
			t.Fatal(err)
		}
		m := waitVerdict(t, srv, p.repo, p.digest, 60*time.Second, func(m apiManifest) bool { return m.Status != "pending" })
		fs := findings(t, srv, url.Values{"repository": {p.repo}, "digest": {p.digest}})
		want[kind] = map[string]bool{}
		for _, f := range fs {
			want[kind][findingKey(f)] = true
		}
		ids := distinct(fs)
		slices.Sort(ids)
		if kind == "3.4.6" && !slices.Equal(ids, alpine346CVEs) || kind == "3.11.13" && len(fs) != 0 {
			t.Fatalf("reference %s: %s with %v", kind, m.Status, ids)
		}
		t.Logf("reference %s: %s with %d findings (%d advisories)", kind, m.Status, len(fs), len(ids))
	}

	var mu sync.Mutex
	var acked []scanPush
	killedRunning := 0
	// Extra rounds (up to 5), killing as soon as a job runs, make sure at
	// least one kill lands in the middle of a scan.
	for round := 0; round < rounds || killedRunning == 0 && round < rounds+5; round++ {
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := range 3 {
			seedW := rng.Uint64()
			wg.Go(func() {
				r := mrand.New(mrand.NewPCG(seedW, uint64(w)))
				repo := fmt.Sprintf("e2e/scancrash/r%d-w%d", round, w)
				for i := 0; ctx.Err() == nil; i++ {
					var p scanPush
					var err error
					switch k := r.IntN(5); {
					case k == 0:
						p, err = pushScanIndex(ctx, srv.addr, repo, fmt.Sprintf("i%d", i), [2]string{"3.4.6", "3.11.13"}, bases)
					case k < 3:
						p, err = pushScanImage(ctx, srv.addr, repo, fmt.Sprintf("v%d", i), "3.4.6", bases["3.4.6"])
					default:
						p, err = pushScanImage(ctx, srv.addr, repo, fmt.Sprintf("v%d", i), "3.11.13", bases["3.11.13"])
					}
					if err != nil {
						return // the kill cut it off: not acknowledged
					}
					mu.Lock()
					acked = append(acked, p)
					mu.Unlock()
				}
			})
		}
		// Wait for scans in flight, then kill after a random delay.
		running := rng.IntN(2) == 0 || round >= rounds
		delay := time.Duration(rng.IntN(1000)) * time.Millisecond
		switch {
		case round >= rounds:
			delay = 0
		case running:
			delay = time.Duration(rng.IntN(150)) * time.Millisecond
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			jobs, err := scanJobs(ctx, srv)
			if err == nil && (jobs["running"] > 0 || !running && jobs["queued"] > 0) {
				break
			}
			if time.Now().After(deadline) {
				cancel()
				wg.Wait()
				t.Fatalf("round %d: no scan in flight within 30 s (%v %v)", round, jobs, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(delay)
		jobs, _ := scanJobs(ctx, srv)
		if jobs["running"] > 0 {
			killedRunning++
		}
		srv.kill()
		cancel()
		wg.Wait()
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		t.Logf("round %d: killed %s after a scan was %s (then %d queued, %d running); %d pushes acknowledged so far",
			round, delay, map[bool]string{true: "running", false: "queued"}[running], jobs["queued"], jobs["running"], n)
		srv.restart()
	}
	if killedRunning == 0 {
		t.Errorf("no kill landed while a scan job was running, in %d rounds", rounds+5)
	}

	// Every acknowledged push ends with exactly the findings of its kind.
	for _, p := range acked {
		for _, im := range p.images {
			m := waitVerdict(t, srv, p.repo, im.digest, 120*time.Second, func(m apiManifest) bool { return m.Status != "pending" })
			wantStatus := map[bool]string{true: "unhealthy", false: "healthy"}[len(want[im.kind]) > 0]
			if m.Status != wantStatus || len(m.Images) != 1 {
				t.Errorf("%s@%s (%s): %s (%s), %d results; want %s with one result", p.repo, im.digest, im.kind, m.Status, m.Reason, len(m.Images), wantStatus)
				continue
			}
			got := map[string]bool{}
			for _, f := range findings(t, srv, url.Values{"repository": {p.repo}, "digest": {im.digest}}) {
				k := findingKey(f)
				if got[k] {
					t.Errorf("%s@%s: finding %s twice", p.repo, im.digest, k)
				}
				got[k] = true
			}
			if !cmp.Equal(want[im.kind], got) {
				t.Errorf("%s@%s (%s): %d findings, want %d (-want +got):\n%s", p.repo, im.digest, im.kind, len(got), len(want[im.kind]), cmp.Diff(want[im.kind], got))
			}
		}
		if p.index != "" {
			m := waitVerdict(t, srv, p.repo, p.index, 120*time.Second, func(m apiManifest) bool {
				if len(m.Images) != 2 {
					return false
				}
				for _, im := range m.Images {
					if im.Status == "pending" {
						return false
					}
				}
				return true
			})
			if m.Kind != "index" || len(m.Images) != 2 {
				t.Errorf("index %s@%s: %+v", p.repo, p.index, m)
			}
		}
	}
	t.Logf("%d acknowledged pushes, %d kills with a scan running, all scanned with exactly their findings", len(acked), killedRunning)
}

// scanPush is an acknowledged push: one image, or an index (its digest
// in index) of two images.
type scanPush struct {
	repo   string
	digest string // what was pushed: the image or the index
	index  string
	images []scanImage
}

type scanImage struct {
	digest string
	kind   string // the Alpine release of its base layer
}

// scanJobs returns the scan queue's counts by status.
func scanJobs(ctx context.Context, srv *server) (map[string]int, error) {
	code, _, b, err := httpDo(ctx, http.MethodGet, srv.url("/api/v1/scans"), "")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/scans: %d", code)
	}
	var st struct{ Jobs map[string]int }
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return st.Jobs, nil
}

// pushScanImage pushes an image of base (the layer of Alpine release
// kind) plus a small unique layer for linux/amd64 over plain HTTP as
// repo:tag, acknowledged by the 201 of its manifest.
func pushScanImage(ctx context.Context, addr, repo, tag, kind string, base []byte) (scanPush, error) {
	d, _, err := pushScanManifest(ctx, addr, repo, tag, base, "amd64")
	if err != nil {
		return scanPush{}, err
	}
	return scanPush{repo: repo, digest: d, images: []scanImage{{digest: d, kind: kind}}}, nil
}

// pushScanManifest pushes the blobs and the manifest of an image of base
// plus a unique layer, by tag (by digest when tag is empty), and returns
// the manifest's digest and size.
func pushScanManifest(ctx context.Context, addr, repo, tag string, base []byte, arch string) (string, int, error) {
	uniq, err := randomTar(512 + mrand.IntN(4096))
	if err != nil {
		return "", 0, err
	}
	config := []byte(fmt.Sprintf(`{"architecture":%q,"os":"linux","rootfs":{"type":"layers","diff_ids":[%q,%q]},"config":{}}`,
		arch, sha256Hex(base), sha256Hex(uniq)))
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d},`+
		`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
		sha256Hex(config), len(config), sha256Hex(base), len(base), sha256Hex(uniq), len(uniq)))
	u := "http://" + addr + "/v2/" + repo
	for _, blob := range [][]byte{config, base, uniq} {
		if err := pushBlob(ctx, u, blob); err != nil {
			return "", 0, err
		}
	}
	ref := tag
	if ref == "" {
		ref = sha256Hex(manifest)
	}
	st, _, body, err := httpSend(ctx, http.MethodPut, u+"/manifests/"+ref, "application/vnd.oci.image.manifest.v1+json", manifest, nil)
	if err != nil {
		return "", 0, err
	}
	if st != http.StatusCreated {
		return "", 0, fmt.Errorf("PUT manifest %s:%s: status %d: %.200s", repo, ref, st, body)
	}
	return sha256Hex(manifest), len(manifest), nil
}

// pushScanIndex pushes an image of each base (linux/amd64 of kind a,
// linux/arm64 of kind b) and an index of the two as repo:tag; it is
// acknowledged by the 201 of the index.
func pushScanIndex(ctx context.Context, addr, repo, tag string, kinds [2]string, bases map[string][]byte) (scanPush, error) {
	p := scanPush{repo: repo}
	var descs []string
	for i, arch := range []string{"amd64", "arm64"} {
		d, size, err := pushScanManifest(ctx, addr, repo, "", bases[kinds[i]], arch)
		if err != nil {
			return scanPush{}, err
		}
		p.images = append(p.images, scanImage{digest: d, kind: kinds[i]})
		descs = append(descs, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d,"platform":{"os":"linux","architecture":%q}}`, d, size, arch))
	}
	index := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + descs[0] + "," + descs[1] + `]}`)
	st, _, body, err := httpSend(ctx, http.MethodPut, "http://"+addr+"/v2/"+repo+"/manifests/"+tag, "application/vnd.oci.image.index.v1+json", index, nil)
	if err != nil {
		return scanPush{}, err
	}
	if st != http.StatusCreated {
		return scanPush{}, fmt.Errorf("PUT index %s:%s: status %d: %.200s", repo, tag, st, body)
	}
	p.digest, p.index = sha256Hex(index), sha256Hex(index)
	return p, nil
}
