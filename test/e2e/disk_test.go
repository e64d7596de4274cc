//go:build e2e && linux

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// diskSize is the size of the tmpfs drydock's data directory lives on in
// TestDiskFull; diskLayer the size of each image's unique layer.
const (
	diskSize  = 64 << 20
	diskLayer = 4 << 20
)

// TestDiskFull runs drydock with its whole data directory (blobs, metadata,
// scan results) on a 64 MiB tmpfs and pushes images with 4 MiB layers,
// rotating through the upload flows, until the disk is full. Decision: an
// upload that does not fit answers 507 Insufficient Storage with the OCI
// error envelope (code UNKNOWN, the spec having none for it), and its
// session is discarded at once. Uploads stop at a reserve of free space
// (store/fs: 16 MiB here) so that the metadata database keeps room. It
// checks:
//
//   - the request that runs out of space, and then every upload flow, gets
//     the 507 and leaves no blob (HEAD 404), no bytes in upload sessions,
//     and no file under the blob tree other than committed blobs whose
//     bytes hash to their name;
//   - small blobs fill the disk up to the reserve, and manifests still
//     commit within it;
//   - when another program fills the disk to the last byte, uploads still
//     fail cleanly, a manifest push gets 201 or a 5xx with the envelope,
//     and all works again once that file is gone;
//   - the server stays up and ready throughout;
//   - once images are deleted and the collector has freed their bytes,
//     uploads through every flow work again;
//   - every acknowledged push is intact, before and after a restart.
//
// It needs to mount a tmpfs (root, or CAP_SYS_ADMIN) and skips otherwise.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, diskSize)
	srv := startServer(t, dir,
		"DRYDOCK_GC_INTERVAL=200ms",
		"DRYDOCK_GC_GRACEPERIOD=1s",
		"DRYDOCK_VULNDB_AUTOUPDATE=false",
	)
	ctx := t.Context()

	var acked []ackedPush
	committed := map[string]bool{} // digests some upload committed (201)
	var failure *diskFailure
	for i := 0; failure == nil; i++ {
		if i > 2*diskSize/diskLayer {
			t.Fatalf("%d images of %d MiB pushed onto a %d MiB disk without an error", i, diskLayer>>20, diskSize>>20)
		}
		p, f := diskPush(t, srv, "e2e/disk/app", fmt.Sprintf("v%d", i), diskFlows[i%len(diskFlows)], committed)
		if f != nil {
			failure = f
			break
		}
		acked = append(acked, p)
	}
	t.Logf("disk full after %d acknowledged pushes (%s free): %s", len(acked), freeSpace(t, dir), failure)
	if strings.Contains(failure.request, "/blobs/") {
		failure.checkStatus(t, http.StatusInsufficientStorage)
	} else {
		failure.checkStatus(t, 0) // metadata: any 5xx with the envelope
	}
	checkServerUp(t, srv)
	checkNoPartial(t, srv, dir, committed, failure.digest)

	// While the disk is full, every flow fails the same clean way.
	for _, flow := range diskFlows {
		layer, err := randomTar(diskLayer)
		if err != nil {
			t.Fatal(err)
		}
		f := diskUpload(t, srv, "e2e/disk/app", layer, flow)
		if f == nil {
			t.Fatalf("%s upload of %d MiB succeeded on a full disk (%s free)", flow, diskLayer>>20, freeSpace(t, dir))
		}
		f.checkStatus(t, http.StatusInsufficientStorage)
		checkNoPartial(t, srv, dir, committed, f.digest)
	}
	checkServerUp(t, srv)
	checkAcked(t, srv, acked)

	// Small blobs fill what is left above the reserve drydock keeps for
	// its metadata; manifests referencing them then still commit.
	var small []crashBlob
	for i := 0; ; i++ {
		b := randBytes(t, 16<<10)
		f := diskUpload(t, srv, "e2e/disk/app", b, diskFlows[i%len(diskFlows)])
		if f != nil {
			f.checkStatus(t, http.StatusInsufficientStorage)
			t.Logf("%d small blobs fit; then %s free: %s", i, freeSpace(t, dir), f)
			break
		}
		committed[sha256Hex(b)] = true
		small = append(small, crashBlob{repo: "e2e/disk/app", digest: sha256Hex(b), size: int64(len(b))})
		if i > 1000 {
			t.Fatal("1000 small blobs fit on a full disk")
		}
	}
	for i, b := range small {
		if p, f := diskManifest(t, srv, fmt.Sprintf("small-%d", i), acked[0].blobs[0], b); f != nil {
			t.Fatalf("manifest within the reserve (%s free): %s", freeSpace(t, dir), f)
		} else {
			acked = append(acked, p)
		}
	}
	checkServerUp(t, srv)
	checkNoPartial(t, srv, dir, committed, "")
	checkAcked(t, srv, acked)

	// Another program fills the disk to the last byte: uploads fail
	// cleanly, the metadata database may fail too (5xx with the envelope),
	// the server stays up, and it all works again once the file is gone.
	filler := fillDisk(t, filepath.Join(dir, "filler"))
	t.Logf("filled: %s free", freeSpace(t, dir))
	for _, flow := range diskFlows {
		f := diskUpload(t, srv, "e2e/disk/app", randBytes(t, 64<<10), flow)
		if f == nil {
			t.Fatalf("%s upload succeeded on a disk with %s free", flow, freeSpace(t, dir))
		}
		f.checkStatus(t, http.StatusInsufficientStorage)
	}
	if p, f := diskManifest(t, srv, "filled", acked[0].blobs[0], acked[0].blobs[1]); f != nil {
		f.checkStatus(t, 0)
		t.Logf("manifest on a disk with no byte free: %s", f)
	} else {
		acked = append(acked, p)
	}
	checkServerUp(t, srv)
	checkNoPartial(t, srv, dir, committed, "")
	checkAcked(t, srv, acked)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if p, f := diskManifest(t, srv, "unfilled", acked[0].blobs[0], acked[0].blobs[1]); f != nil {
		t.Fatalf("manifest once the disk has room again: %s", f)
	} else {
		acked = append(acked, p)
	}

	// Free space: delete half of the images; the collector removes their
	// layers once nothing references them.
	half := len(acked) / 2
	for _, p := range acked[:half] {
		st, _, body, err := httpSend(ctx, http.MethodDelete, srv.url("/v2/"+p.repo+"/manifests/"+p.digest), "", nil, nil)
		if err != nil || st != http.StatusAccepted {
			t.Fatalf("DELETE %s@%s: %d %v %s", p.repo, p.digest, st, err, body)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for freeBytes(t, dir) < int64(len(diskFlows)+1)*(diskLayer+diskLayer/8) {
		if time.Now().After(deadline) {
			t.Fatalf("only %s free 60 s after deleting %d images", freeSpace(t, dir), half)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s free after deleting %d images", freeSpace(t, dir), half)
	for _, p := range acked[:half] {
		if st, _, _, err := httpDo(ctx, http.MethodHead, srv.url("/v2/"+p.repo+"/manifests/"+p.digest), manifestAccept); err != nil || st != http.StatusNotFound {
			t.Errorf("deleted manifest %s: HEAD %d %v", p.digest, st, err)
		}
	}
	kept := append([]ackedPush(nil), acked[half:]...)
	for i, flow := range diskFlows {
		p, f := diskPush(t, srv, "e2e/disk/app", fmt.Sprintf("after-%d", i), flow, committed)
		if f != nil {
			t.Fatalf("push after freeing space (%s free): %s", freeSpace(t, dir), f)
		}
		kept = append(kept, p)
	}
	checkAcked(t, srv, kept)
	for {
		orphans := checkNoPartial(t, srv, dir, committed, failure.digest)
		if len(orphans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector left %d unrecorded blob files: %v", len(orphans), orphans)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Nothing acknowledged is lost across a restart either.
	srv.stop()
	srv.restart()
	checkServerUp(t, srv)
	checkAcked(t, srv, kept)
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted
// when the test ends, and skips the test when mounting is not permitted.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Skipf("cannot mount a tmpfs for the full-disk test (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

func freeSpace(t *testing.T, dir string) string {
	return fmt.Sprintf("%.1f MiB", float64(freeBytes(t, dir))/(1<<20))
}

// diskFlows are the ways a blob is uploaded (OCI distribution spec, push).
var diskFlows = []string{"monolithic", "post-put", "stream", "chunked"}

// diskFailure is the first request of an upload or push that failed.
type diskFailure struct {
	request string // method and URL
	digest  string // of the blob or manifest being pushed
	status  int
	header  http.Header
	body    []byte
	err     error
}

func (f *diskFailure) String() string {
	return fmt.Sprintf("%s: status %d %v: %.300s", f.request, f.status, f.err, f.body)
}

// checkStatus checks that the failure is an HTTP answer with status (any
// 5xx when 0) and the OCI error envelope.
func (f *diskFailure) checkStatus(t *testing.T, status int) {
	t.Helper()
	if f.err != nil {
		t.Fatalf("%s: no clean answer: %v", f.request, f.err)
	}
	if (status != 0 && f.status != status) || (status == 0 && f.status < 500) {
		t.Fatalf("%s: status %d, want %d; body %.300s", f.request, f.status, status, f.body)
	}
	var env struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	if ct := f.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", f.request, ct)
	}
	if err := json.Unmarshal(f.body, &env); err != nil || len(env.Errors) == 0 || env.Errors[0].Code == "" || env.Errors[0].Message == "" {
		t.Fatalf("%s: status %d without an OCI error envelope: %.300s", f.request, f.status, f.body)
	}
}

// diskPush pushes an image (config and a fresh diskLayer-byte layer,
// uploaded through flow) as repo:tag. It returns the acknowledged push, or
// the first request that failed. Blobs whose upload answered 201 are added
// to committed.
func diskPush(t *testing.T, srv *server, repo, tag, flow string, committed map[string]bool) (ackedPush, *diskFailure) {
	t.Helper()
	layer, err := randomTar(diskLayer)
	if err != nil {
		t.Fatal(err)
	}
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q]},"config":{}}`, sha256Hex(layer)))
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
		sha256Hex(config), len(config), sha256Hex(layer), len(layer)))
	var blobs []crashBlob
	for _, b := range [][]byte{config, layer} {
		if f := diskUpload(t, srv, repo, b, flow); f != nil {
			return ackedPush{}, f
		}
		committed[sha256Hex(b)] = true
		blobs = append(blobs, crashBlob{repo: repo, digest: sha256Hex(b), size: int64(len(b))})
	}
	u := srv.url("/v2/" + repo + "/manifests/" + tag)
	st, h, body, err := httpSend(t.Context(), http.MethodPut, u, "application/vnd.oci.image.manifest.v1+json", manifest, nil)
	if err != nil || st != http.StatusCreated {
		return ackedPush{}, &diskFailure{request: "PUT " + u, digest: sha256Hex(manifest), status: st, header: h, body: body, err: err}
	}
	return ackedPush{repo: repo, tag: tag, digest: sha256Hex(manifest), manifest: manifest, blobs: blobs}, nil
}

// diskManifest pushes an image manifest of config and layer (blobs of
// e2e/disk/app) as e2e/disk/app:tag.
func diskManifest(t *testing.T, srv *server, tag string, config, layer crashBlob) (ackedPush, *diskFailure) {
	t.Helper()
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}],"annotations":{"tag":%q}}`,
		config.digest, config.size, layer.digest, layer.size, tag))
	u := srv.url("/v2/e2e/disk/app/manifests/" + tag)
	st, h, body, err := httpSend(t.Context(), http.MethodPut, u, "application/vnd.oci.image.manifest.v1+json", manifest, nil)
	if err != nil || st != http.StatusCreated {
		return ackedPush{}, &diskFailure{request: "PUT " + u, digest: sha256Hex(manifest), status: st, header: h, body: body, err: err}
	}
	return ackedPush{repo: "e2e/disk/app", tag: tag, digest: sha256Hex(manifest), manifest: manifest, blobs: []crashBlob{config, layer}}, nil
}

// fillDisk writes path until the filesystem has no byte left and returns
// path.
func fillDisk(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for n := len(buf); n > 0; {
		if _, err := f.Write(buf[:n]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			n /= 2
		}
	}
	return path
}

// diskUpload uploads b into repo through flow and returns the request that
// failed, or nil when the blob was committed (201).
//
//	monolithic  POST ?digest= with the blob
//	post-put    POST, then PUT ?digest= with the blob
//	stream      POST, PATCH with the blob, PUT ?digest=
//	chunked     POST, two PATCHes with Content-Range, PUT ?digest=
func diskUpload(t *testing.T, srv *server, repo string, b []byte, flow string) *diskFailure {
	t.Helper()
	ctx := t.Context()
	dig := sha256Hex(b)
	base := srv.url("/v2/" + repo)
	send := func(method, u string, body []byte, h http.Header, want int) (http.Header, *diskFailure) {
		st, hdr, rb, err := httpSend(ctx, method, u, "application/octet-stream", body, h)
		if err != nil || st != want {
			return nil, &diskFailure{request: method + " " + u, digest: dig, status: st, header: hdr, body: rb, err: err}
		}
		return hdr, nil
	}
	withDigest := func(loc string) string {
		sep := "?"
		if strings.Contains(loc, "?") {
			sep = "&"
		}
		return loc + sep + "digest=" + url.QueryEscape(dig)
	}
	if flow == "monolithic" {
		_, f := send(http.MethodPost, base+"/blobs/uploads/?digest="+url.QueryEscape(dig), b, nil, http.StatusCreated)
		return f
	}
	h, f := send(http.MethodPost, base+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	if f != nil {
		return f
	}
	loc, err := resolveLocation(base, h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	var final []byte
	switch flow {
	case "post-put":
		final = b
	case "stream":
		if h, f = send(http.MethodPatch, loc, b, nil, http.StatusAccepted); f != nil {
			return f
		}
	case "chunked":
		half := len(b) / 2
		for _, c := range [][2]int{{0, half}, {half, len(b)}} {
			cr := http.Header{"Content-Range": {fmt.Sprintf("%d-%d", c[0], c[1]-1)}}
			if h, f = send(http.MethodPatch, loc, b[c[0]:c[1]], cr, http.StatusAccepted); f != nil {
				return f
			}
			if loc, err = resolveLocation(base, h.Get("Location")); err != nil {
				t.Fatal(err)
			}
		}
	default:
		t.Fatalf("unknown upload flow %q", flow)
	}
	if flow == "stream" {
		if loc, err = resolveLocation(base, h.Get("Location")); err != nil {
			t.Fatal(err)
		}
	}
	_, f = send(http.MethodPut, withDigest(loc), final, nil, http.StatusCreated)
	return f
}

// checkServerUp checks that drydock is alive and ready.
func checkServerUp(t *testing.T, srv *server) {
	t.Helper()
	if !srv.running() {
		t.Fatalf("drydock exited: %v", srv.waitErr)
	}
	for _, p := range []string{"/healthz", "/readyz", "/v2/"} {
		if st, _, body, err := httpDo(t.Context(), http.MethodGet, srv.url(p), ""); err != nil || st != http.StatusOK {
			t.Fatalf("GET %s: %d %v %s", p, st, err, body)
		}
	}
}

// checkNoPartial checks that the failed blob is not visible, that no
// upload session holds bytes, and that every file of the blob tree holds
// bytes that hash to its name. It returns the files no upload committed:
// complete blobs renamed into place whose metadata transaction then failed
// on the full disk; they must not be visible, and the collector sweeps them.
func checkNoPartial(t *testing.T, srv *server, dir string, committed map[string]bool, failed string) []string {
	t.Helper()
	if failed != "" && !committed[failed] {
		u := srv.url("/v2/e2e/disk/app/blobs/" + failed)
		if st, _, _, err := httpDo(t.Context(), http.MethodHead, u, ""); err != nil || st != http.StatusNotFound {
			t.Errorf("HEAD %s (the upload that failed): %d %v, want 404", u, st, err)
		}
	}
	sessions, err := os.ReadDir(filepath.Join(dir, "storage", "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		t.Errorf("upload session %s left in %s", s.Name(), filepath.Join(dir, "storage", "uploads"))
	}
	root := filepath.Join(dir, "storage", "blobs")
	n := 0
	var orphans []string
	err = filepath.WalkDir(root, func(p string, d iofs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // files come and go while the collector runs
		}
		n++
		name := "sha256:" + d.Name()
		f, err := os.Open(p)
		if err != nil {
			return nil // collected meanwhile
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			t.Errorf("read %s: %v", p, err)
		} else if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != name {
			t.Errorf("blob file %s holds bytes hashing to %s", p, got)
		}
		if !committed[name] {
			orphans = append(orphans, name)
			u := srv.url("/v2/e2e/disk/app/blobs/" + name)
			if st, _, _, err := httpDo(t.Context(), http.MethodHead, u, ""); err != nil || st != http.StatusNotFound {
				t.Errorf("HEAD %s: %d %v; no upload of it was acknowledged", u, st, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no blob files under %s: layout changed, update this test", root)
	}
	return orphans
}
