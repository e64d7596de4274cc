package registry

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
)

// uploadFlow pushes blob b into repo one way and returns the final response.
type uploadFlow func(e *env, repo string, b []byte, d oci.Digest) resp

func flowMonolithic(e *env, repo string, b []byte, d oci.Digest) resp {
	return e.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+url.QueryEscape(d.String()), b,
		hdr("Content-Type", "application/octet-stream"))
}

// startSession POSTs a new session and returns its Location.
func startSession(e *env, repo string) string {
	e.t.Helper()
	r := e.do("POST", "/v2/"+repo+"/blobs/uploads/", nil, nil)
	if r.Status != http.StatusAccepted {
		e.t.Fatalf("start upload: status %d: %s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	id := r.Header.Get("Docker-Upload-UUID")
	if loc == "" || id == "" || r.Header.Get("Range") != "0-0" {
		e.t.Fatalf("start upload: headers %v", r.Header)
	}
	if want := "/v2/" + repo + "/blobs/uploads/" + id; loc != want {
		e.t.Fatalf("Location %q, want %q", loc, want)
	}
	return loc
}

func withDigest(loc string, d oci.Digest) string {
	return loc + "?digest=" + url.QueryEscape(d.String())
}

func flowPostPut(e *env, repo string, b []byte, d oci.Digest) resp {
	loc := startSession(e, repo)
	return e.do("PUT", withDigest(loc, d), b, hdr("Content-Type", "application/octet-stream"))
}

func flowStream(e *env, repo string, b []byte, d oci.Digest) resp {
	loc := startSession(e, repo)
	r := e.do("PATCH", loc, b, hdr("Content-Type", "application/octet-stream"))
	if r.Status != http.StatusAccepted {
		e.t.Fatalf("PATCH stream: status %d: %s", r.Status, r.Body)
	}
	if got, want := r.Header.Get("Range"), rangeHeader(int64(len(b))); got != want {
		e.t.Fatalf("PATCH Range %q, want %q", got, want)
	}
	return e.do("PUT", withDigest(r.Header.Get("Location"), d), nil, nil)
}

// flowChunked sends b in three chunks with Content-Range; with lastInPut the
// last chunk travels with the PUT.
func flowChunked(lastInPut bool) uploadFlow {
	return func(e *env, repo string, b []byte, d oci.Digest) resp {
		loc := startSession(e, repo)
		size := len(b)/3 + 1
		for start := 0; start < len(b); start += size {
			end := min(start+size, len(b))
			h := hdr("Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("%d-%d", start, end-1))
			if lastInPut && end == len(b) {
				return e.do("PUT", withDigest(loc, d), b[start:end], h)
			}
			r := e.do("PATCH", loc, b[start:end], h)
			if r.Status != http.StatusAccepted {
				e.t.Fatalf("PATCH chunk %d-%d: status %d: %s", start, end-1, r.Status, r.Body)
			}
			if got, want := r.Header.Get("Range"), fmt.Sprintf("0-%d", end-1); got != want {
				e.t.Fatalf("chunk Range %q, want %q", got, want)
			}
			loc = r.Header.Get("Location")
		}
		return e.do("PUT", withDigest(loc, d), nil, nil)
	}
}

func TestBlobUploadFlows(t *testing.T) {
	e := newEnv(t)
	flows := []struct {
		name string
		flow uploadFlow
	}{
		{"monolithic POST", flowMonolithic},
		{"POST then PUT", flowPostPut},
		{"streamed PATCH", flowStream},
		{"chunked", flowChunked(false)},
		{"chunked last chunk in PUT", flowChunked(true)},
	}
	algos := []struct {
		name string
		algo digest.Algorithm
	}{{"sha256", digest.SHA256}, {"sha512", oci.SHA512}}
	sizes := []int{0, 2, 5000}
	for _, f := range flows {
		for _, a := range algos {
			for _, size := range sizes {
				if size == 0 && f.name != "monolithic POST" && f.name != "POST then PUT" {
					continue // chunks need bytes
				}
				t.Run(fmt.Sprintf("%s/%s/%d bytes", f.name, a.name, size), func(t *testing.T) {
					b := randBytes(t, size)
					d := a.algo.FromBytes(b)
					r := f.flow(e, "up/"+a.name, b, d)
					if r.Status != http.StatusCreated {
						t.Fatalf("status %d: %s", r.Status, r.Body)
					}
					if got := r.Header.Get("Docker-Content-Digest"); got != d.String() {
						t.Errorf("Docker-Content-Digest %q, want %s", got, d)
					}
					loc := r.Header.Get("Location")
					if want := "/v2/up/" + a.name + "/blobs/" + d.String(); loc != want {
						t.Errorf("Location %q, want %q", loc, want)
					}
					g := e.do("GET", loc, nil, nil)
					if g.Status != http.StatusOK || !bytes.Equal(g.Body, b) {
						t.Fatalf("GET %s: status %d, %d bytes, want %d", loc, g.Status, len(g.Body), len(b))
					}
					if got := g.Header.Get("Docker-Content-Digest"); got != d.String() {
						t.Errorf("GET Docker-Content-Digest %q", got)
					}
				})
				t.Run(fmt.Sprintf("%s/%s/%d bytes/wrong digest", f.name, a.name, size), func(t *testing.T) {
					b := randBytes(t, size)
					d := a.algo.FromBytes(append(bytes.Clone(b), "oh no"...))
					r := f.flow(e, "up/"+a.name, b, d)
					if r.Status != http.StatusBadRequest || errCode(t, r) != codeDigestInvalid {
						t.Fatalf("status %d code %q, want 400 DIGEST_INVALID: %s", r.Status, errCode(t, r), r.Body)
					}
					if h := e.do("HEAD", "/v2/up/"+a.name+"/blobs/"+d.String(), nil, nil); h.Status != http.StatusNotFound {
						t.Errorf("HEAD after failed upload: %d", h.Status)
					}
				})
			}
		}
	}
}

func TestChunkedOutOfOrderAndResume(t *testing.T) {
	e := newEnv(t)
	b := randBytes(t, 3000)
	d := digest.FromBytes(b)
	loc := startSession(e, "ooo")

	// A chunk that does not start at 0: 416 with the current Range.
	r := e.do("PATCH", loc, b[1000:2000], hdr("Content-Range", "1000-1999"))
	if r.Status != http.StatusRequestedRangeNotSatisfiable || r.Header.Get("Range") != "0-0" || r.Header.Get("Location") == "" {
		t.Fatalf("out-of-order first chunk: status %d Range %q Location %q", r.Status, r.Header.Get("Range"), r.Header.Get("Location"))
	}
	r = e.do("PATCH", loc, b[:1000], hdr("Content-Range", "0-999"))
	if r.Status != http.StatusAccepted || r.Header.Get("Range") != "0-999" {
		t.Fatalf("first chunk: status %d Range %q", r.Status, r.Header.Get("Range"))
	}
	// Resending the first chunk is out of order now.
	r = e.do("PATCH", loc, b[:1000], hdr("Content-Range", "0-999"))
	if r.Status != http.StatusRequestedRangeNotSatisfiable || r.Header.Get("Range") != "0-999" {
		t.Fatalf("repeated chunk: status %d Range %q", r.Status, r.Header.Get("Range"))
	}
	// So is a PUT whose final chunk skips ahead.
	r = e.do("PUT", withDigest(loc, d), b[2000:], hdr("Content-Range", "2000-2999"))
	if r.Status != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("skipping PUT chunk: status %d", r.Status)
	}
	// The session survives: its status tells where to resume.
	r = e.do("GET", loc, nil, nil)
	if r.Status != http.StatusNoContent || r.Header.Get("Range") != "0-999" || r.Header.Get("Docker-Upload-UUID") == "" {
		t.Fatalf("status: %d Range %q", r.Status, r.Header.Get("Range"))
	}
	// Content-Length disagreeing with Content-Range is refused.
	r = e.do("PATCH", loc, b[1000:1500], hdr("Content-Range", "1000-1999"))
	if r.Status != http.StatusBadRequest || errCode(t, r) != codeSizeInvalid {
		t.Fatalf("short chunk: status %d code %s", r.Status, errCode(t, r))
	}
	// Unparsable Content-Range.
	r = e.do("PATCH", loc, b[1000:2000], hdr("Content-Range", "bytes=abc"))
	if r.Status != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("bad Content-Range: status %d", r.Status)
	}

	// Resume with a registry restarted on the same stores: the session
	// (metadata and bytes) outlives the process.
	e2 := newEnvAt(t, e.dir)
	loc2 := e2.srv.URL + loc
	r = e2.do("GET", loc2, nil, nil)
	if r.Status != http.StatusNoContent || r.Header.Get("Range") != "0-999" {
		t.Fatalf("status after restart: %d Range %q", r.Status, r.Header.Get("Range"))
	}
	r = e2.do("PATCH", loc2, b[1000:2000], hdr("Content-Range", "bytes 1000-1999/3000"))
	if r.Status != http.StatusAccepted || r.Header.Get("Range") != "0-1999" {
		t.Fatalf("second chunk: status %d Range %q", r.Status, r.Header.Get("Range"))
	}
	r = e2.do("PUT", e2.srv.URL+withDigest(loc, d), b[2000:], hdr("Content-Range", "2000-2999"))
	if r.Status != http.StatusCreated {
		t.Fatalf("final PUT: status %d: %s", r.Status, r.Body)
	}
	g := e2.do("GET", "/v2/ooo/blobs/"+d.String(), nil, nil)
	if !bytes.Equal(g.Body, b) {
		t.Fatal("blob bytes differ after resumed upload")
	}
	// The finished session is gone.
	if r := e2.do("GET", loc2, nil, nil); r.Status != http.StatusNotFound || errCode(t, r) != codeBlobUploadUnknown {
		t.Fatalf("finished session: status %d code %s", r.Status, errCode(t, r))
	}
}

func TestUploadSessionErrors(t *testing.T) {
	e := newEnv(t)
	e.pushBlob("other", []byte("x")) // make repository "other"
	b := []byte("hello")
	d := digest.FromBytes(b)

	t.Run("unknown id", func(t *testing.T) {
		for _, m := range []string{"GET", "PATCH", "PUT", "DELETE"} {
			r := e.do(m, withDigest("/v2/sess/blobs/uploads/00000000000000000000000000000000", d), nil, nil)
			if r.Status != http.StatusNotFound || errCode(t, r) != codeBlobUploadUnknown {
				t.Errorf("%s: status %d code %s", m, r.Status, errCode(t, r))
			}
		}
	})
	t.Run("id of another repository", func(t *testing.T) {
		loc := startSession(e, "sess")
		id := loc[len("/v2/sess/blobs/uploads/"):]
		r := e.do("PATCH", "/v2/other/blobs/uploads/"+id, b, nil)
		if r.Status != http.StatusNotFound || errCode(t, r) != codeBlobUploadUnknown {
			t.Fatalf("status %d code %s", r.Status, errCode(t, r))
		}
		// and the session is untouched in its own repository
		if r := e.do("PUT", withDigest(loc, d), b, nil); r.Status != http.StatusCreated {
			t.Fatalf("own repository: status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("PUT without digest", func(t *testing.T) {
		loc := startSession(e, "sess")
		r := e.do("PUT", loc, b, nil)
		if r.Status != http.StatusBadRequest || errCode(t, r) != codeDigestInvalid {
			t.Fatalf("status %d code %s", r.Status, errCode(t, r))
		}
		r = e.do("PUT", loc+"?digest=sha256:nothex", b, nil)
		if r.Status != http.StatusBadRequest || errCode(t, r) != codeDigestInvalid {
			t.Fatalf("bad digest: status %d code %s", r.Status, errCode(t, r))
		}
	})
	t.Run("cancel", func(t *testing.T) {
		loc := startSession(e, "sess")
		if r := e.do("PATCH", loc, b, nil); r.Status != http.StatusAccepted {
			t.Fatalf("PATCH: %d", r.Status)
		}
		if r := e.do("DELETE", loc, nil, nil); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		if r := e.do("GET", loc, nil, nil); r.Status != http.StatusNotFound || errCode(t, r) != codeBlobUploadUnknown {
			t.Fatalf("after cancel: %d %s", r.Status, errCode(t, r))
		}
		if r := e.do("DELETE", loc, nil, nil); r.Status != http.StatusNotFound {
			t.Fatalf("second cancel: %d", r.Status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		loc := startSession(e, "sess")
		e.clock.Add(DefaultUploadExpiry + time.Minute)
		defer e.clock.Add(-(DefaultUploadExpiry + time.Minute))
		if r := e.do("PATCH", loc, b, nil); r.Status != http.StatusNotFound || errCode(t, r) != codeBlobUploadUnknown {
			t.Fatalf("expired PATCH: %d %s", r.Status, errCode(t, r))
		}
	})
	t.Run("monolithic with bad digest parameter", func(t *testing.T) {
		r := e.do("POST", "/v2/sess/blobs/uploads/?digest=sha256:short", b, nil)
		if r.Status != http.StatusBadRequest || errCode(t, r) != codeDigestInvalid {
			t.Fatalf("status %d code %s", r.Status, errCode(t, r))
		}
		r = e.do("POST", "/v2/sess/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e", b, nil)
		if r.Status != http.StatusBadRequest || errCode(t, r) != codeDigestInvalid {
			t.Fatalf("md5: status %d code %s", r.Status, errCode(t, r))
		}
	})
}

func TestSweepUploads(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	old := startSession(e, "sweep")
	if r := e.do("PATCH", old, []byte("partial"), nil); r.Status != http.StatusAccepted {
		t.Fatalf("PATCH: %d", r.Status)
	}
	// A session only the blob store knows (a monolithic upload cut off).
	orphan, err := e.blobs.NewUpload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orphan.Close()

	// Nothing has expired half an expiry later.
	n, err := e.reg.SweepUploads(ctx, time.Now().Add(DefaultUploadExpiry/2))
	if err != nil || n != 0 {
		t.Fatalf("sweep of fresh sessions: removed %d, err %v", n, err)
	}
	if r := e.do("GET", old, nil, nil); r.Status != http.StatusNoContent {
		t.Fatalf("fresh session after sweep: %d", r.Status)
	}
	// Both are gone after the expiry.
	n, err = e.reg.SweepUploads(ctx, time.Now().Add(DefaultUploadExpiry+time.Minute))
	if err != nil {
		t.Fatalf("SweepUploads: %v", err)
	}
	if n != 2 {
		t.Errorf("removed %d sessions, want 2 (expired + orphan)", n)
	}
	var left []string
	if err := e.blobs.WalkUploads(ctx, func(id string, _ time.Time) error { left = append(left, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("sessions left in the blob store: %v", left)
	}
	if ids, err := e.meta.ExpiredUploads(ctx, time.Now().Add(48*time.Hour), 10); err != nil || len(ids) != 0 {
		t.Errorf("sessions left in metadata: %v (err %v)", ids, err)
	}
	if r := e.do("GET", old, nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("swept session: %d", r.Status)
	}
}

func TestMaxBlobSize(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.MaxBlobSize = 1000 }))
	big := randBytes(t, 1500)
	d := digest.FromBytes(big)
	t.Run("monolithic", func(t *testing.T) {
		r := flowMonolithic(e, "lim", big, d)
		if r.Status != http.StatusRequestEntityTooLarge || errCode(t, r) != codeSizeInvalid {
			t.Fatalf("status %d code %s", r.Status, errCode(t, r))
		}
	})
	t.Run("stream without length", func(t *testing.T) {
		loc := startSession(e, "lim")
		// chunked transfer: no Content-Length, the limit bites while streaming
		req, _ := http.NewRequestWithContext(t.Context(), "PATCH", e.srv.URL+loc, struct{ *bytes.Reader }{bytes.NewReader(big)})
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", res.StatusCode)
		}
		if r := e.do("GET", loc, nil, nil); r.Status != http.StatusNotFound {
			t.Fatalf("session after limit: %d", r.Status)
		}
	})
	t.Run("chunks adding up", func(t *testing.T) {
		loc := startSession(e, "lim")
		if r := e.do("PATCH", loc, big[:800], hdr("Content-Range", "0-799")); r.Status != http.StatusAccepted {
			t.Fatalf("first chunk: %d", r.Status)
		}
		r := e.do("PATCH", loc, big[800:], hdr("Content-Range", "800-1499"))
		if r.Status != http.StatusRequestEntityTooLarge || errCode(t, r) != codeSizeInvalid {
			t.Fatalf("second chunk: %d %s", r.Status, errCode(t, r))
		}
	})
	t.Run("at the limit", func(t *testing.T) {
		ok := big[:1000]
		if r := flowStream(e, "lim", ok, digest.FromBytes(ok)); r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}

func TestBlobReadsAndDelete(t *testing.T) {
	e := newEnv(t)
	b := randBytes(t, 2048)
	d := e.pushBlob("reads", b)
	path := "/v2/reads/blobs/" + d.String()

	h := e.do("HEAD", path, nil, nil)
	if h.Status != 200 || h.Header.Get("Content-Length") != "2048" || h.Header.Get("Docker-Content-Digest") != d.String() ||
		h.Header.Get("ETag") != `"`+d.String()+`"` || len(h.Body) != 0 {
		t.Fatalf("HEAD: %d %v", h.Status, h.Header)
	}
	ranges := []struct {
		rng        string
		wantStatus int
		want       []byte
		wantRange  string
	}{
		{"bytes=500-1499", 206, b[500:1500], "bytes 500-1499/2048"},
		{"bytes=500-", 206, b[500:], "bytes 500-2047/2048"},
		{"bytes=-500", 206, b[1548:], "bytes 1548-2047/2048"},
		{"bytes=2000-5000", 206, b[2000:], "bytes 2000-2047/2048"},
		{"bytes=500-0", 416, nil, ""},
		{"bytes=5000-10000", 416, nil, "bytes */2048"},
		{"", 200, b, ""},
	}
	for _, rt := range ranges {
		t.Run("range "+rt.rng, func(t *testing.T) {
			r := e.do("GET", path, nil, hdr("Range", rt.rng))
			if r.Status != rt.wantStatus {
				t.Fatalf("status %d, want %d", r.Status, rt.wantStatus)
			}
			if rt.want != nil {
				if !bytes.Equal(r.Body, rt.want) {
					t.Errorf("body %d bytes, want %d", len(r.Body), len(rt.want))
				}
				if r.Header.Get("Content-Length") != strconv.Itoa(len(rt.want)) {
					t.Errorf("Content-Length %q", r.Header.Get("Content-Length"))
				}
			}
			if got := r.Header.Get("Content-Range"); got != rt.wantRange {
				t.Errorf("Content-Range %q, want %q", got, rt.wantRange)
			}
		})
	}
	if r := e.do("GET", path, nil, hdr("If-None-Match", `"`+d.String()+`"`)); r.Status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", r.Status)
	}

	missing := digest.FromBytes([]byte("never pushed"))
	for _, m := range []string{"GET", "HEAD", "DELETE"} {
		r := e.do(m, "/v2/reads/blobs/"+missing.String(), nil, nil)
		if r.Status != 404 || (m != "HEAD" && errCode(t, r) != codeBlobUnknown) {
			t.Errorf("%s missing blob: %d %s", m, r.Status, errCode(t, r))
		}
	}
	if r := e.do("DELETE", path, nil, nil); r.Status != http.StatusAccepted {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	for _, m := range []string{"GET", "HEAD", "DELETE"} {
		if r := e.do(m, path, nil, nil); r.Status != 404 {
			t.Errorf("%s after delete: %d", m, r.Status)
		}
	}
}
