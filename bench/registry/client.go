package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// blob is content with its digest.
type blob struct {
	data   []byte
	digest string
}

func newBlob(b []byte) blob {
	s := sha256.Sum256(b)
	return blob{data: b, digest: "sha256:" + hex.EncodeToString(s[:])}
}

// image is an OCI image held in memory.
type image struct {
	config   blob
	layers   []blob
	manifest []byte
}

func (i image) blobs() []blob { return append([]blob{i.config}, i.layers...) }

// newBigImage returns an image of n layers, each a tar archive holding one
// file of size random (incompressible) bytes; seed selects the content.
func newBigImage(n, size int, seed uint64) (image, error) {
	var layers []blob
	for i := 0; i < n; i++ {
		t, err := randomTar(rand.NewChaCha8(seedBytes(seed, uint64(i))), size)
		if err != nil {
			return image{}, err
		}
		layers = append(layers, newBlob(t))
	}
	return assemble(layers), nil
}

// newSmallImage returns an image of three small layers (2, 4 and 8 KiB).
func newSmallImage(seed uint64) (image, error) {
	var layers []blob
	for i, size := range []int{2 << 10, 4 << 10, 8 << 10} {
		t, err := randomTar(rand.NewChaCha8(seedBytes(seed, uint64(i))), size)
		if err != nil {
			return image{}, err
		}
		layers = append(layers, newBlob(t))
	}
	return assemble(layers), nil
}

func seedBytes(a, b uint64) [32]byte {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(a >> (8 * i))
		s[8+i] = byte(b >> (8 * i))
	}
	return s
}

func assemble(layers []blob) image {
	var diffIDs, descs []string
	for _, l := range layers {
		diffIDs = append(diffIDs, strconv.Quote(l.digest))
		descs = append(descs, fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, mtLayer, l.digest, len(l.data)))
	}
	config := newBlob([]byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}`,
		strings.Join(diffIDs, ","))))
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[%s]}`,
		mtManifest, mtConfig, config.digest, len(config.data), strings.Join(descs, ","))
	return image{config: config, layers: layers, manifest: []byte(manifest)}
}

// randomTar returns a tar archive holding one file of size random bytes.
func randomTar(src *rand.ChaCha8, size int) ([]byte, error) {
	data := make([]byte, size)
	if _, err := src.Read(data); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(size + 4096)
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: "data/random.bin", Mode: 0o644, Size: int64(size),
		ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
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

// client talks to one registry over loopback HTTP.
type client struct {
	base string // http://addr
	hc   *http.Client
	jobs int
}

func newClient(addr string, jobs int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	if jobs < 1 {
		jobs = 1
	}
	return &client{base: "http://" + addr, hc: &http.Client{Transport: tr, Timeout: 10 * time.Minute}, jobs: jobs}
}

// do sends a request and returns the response with its body open.
func (c *client) do(ctx context.Context, method, u string, body io.Reader, size int64, h http.Header) (*http.Response, error) {
	if !strings.HasPrefix(u, "http") {
		u = c.base + u
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return c.hc.Do(req)
}

// expect sends a request, drains the body and checks the status.
func (c *client) expect(ctx context.Context, method, u string, body []byte, h http.Header, want ...int) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	resp, err := c.do(ctx, method, u, r, int64(len(body)), h)
	if err != nil {
		return nil, err
	}
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, nil
		}
	}
	return resp, fmt.Errorf("%s %s: status %d, want %v: %.300s", method, u, resp.StatusCode, want, rb)
}

func (c *client) status(ctx context.Context, method, path string) (int, error) {
	resp, err := c.do(ctx, method, path, nil, 0, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (c *client) location(resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New("upload response without Location")
	}
	b, _ := url.Parse(c.base + "/")
	l, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("bad Location %q: %w", loc, err)
	}
	return b.ResolveReference(l).String(), nil
}

// pushBlob uploads b to repo as crane does: HEAD, POST, one streamed PATCH,
// PUT with the digest.
func (c *client) pushBlob(ctx context.Context, repo string, b blob) error {
	resp, err := c.expect(ctx, "HEAD", "/v2/"+repo+"/blobs/"+b.digest, nil, nil, 200, 404)
	if err != nil {
		return err
	}
	if resp.StatusCode == 200 {
		return nil
	}
	resp, err = c.expect(ctx, "POST", "/v2/"+repo+"/blobs/uploads/", nil, nil, 202)
	if err != nil {
		return err
	}
	loc, err := c.location(resp)
	if err != nil {
		return err
	}
	resp, err = c.expect(ctx, "PATCH", loc, b.data, http.Header{"Content-Type": {"application/octet-stream"}}, 202)
	if err != nil {
		return err
	}
	if loc, err = c.location(resp); err != nil {
		return err
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	_, err = c.expect(ctx, "PUT", loc+sep+"digest="+url.QueryEscape(b.digest), nil, nil, 201)
	return err
}

// pushImage pushes img's blobs (c.jobs at a time) and then its manifest,
// and returns the wall time until the manifest PUT answered 201.
func (c *client) pushImage(ctx context.Context, repo, tag string, img image) (time.Duration, error) {
	start := time.Now()
	if err := c.parallel(ctx, img.blobs(), func(ctx context.Context, b blob) error {
		return c.pushBlob(ctx, repo, b)
	}); err != nil {
		return 0, err
	}
	if _, err := c.expect(ctx, "PUT", "/v2/"+repo+"/manifests/"+tag, img.manifest,
		http.Header{"Content-Type": {mtManifest}}, 201); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// pullImage fetches the manifest and every blob (c.jobs at a time) and
// returns the wall time. Sizes are always checked; with verify the bytes
// are hashed too (outside the timed pull, in a second pass).
func (c *client) pullImage(ctx context.Context, repo, tag string, img image, verify bool) (time.Duration, error) {
	start := time.Now()
	accept := http.Header{"Accept": {mtManifest}}
	resp, err := c.do(ctx, "GET", "/v2/"+repo+"/manifests/"+tag, nil, 0, accept)
	if err != nil {
		return 0, err
	}
	m, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 || !bytes.Equal(m, img.manifest) {
		return 0, fmt.Errorf("GET manifest %s:%s: status %d, %d bytes (want the pushed %d bytes)", repo, tag, resp.StatusCode, len(m), len(img.manifest))
	}
	fetch := func(ctx context.Context, b blob, w io.Writer) error {
		resp, err := c.do(ctx, "GET", "/v2/"+repo+"/blobs/"+b.digest, nil, 0, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.Copy(w, resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 || n != int64(len(b.data)) {
			return fmt.Errorf("GET blob %s: status %d, %d bytes, want %d", b.digest, resp.StatusCode, n, len(b.data))
		}
		return nil
	}
	if err := c.parallel(ctx, img.blobs(), func(ctx context.Context, b blob) error {
		return fetch(ctx, b, io.Discard)
	}); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if verify {
		if err := c.parallel(ctx, img.blobs(), func(ctx context.Context, b blob) error {
			h := sha256.New()
			if err := fetch(ctx, b, h); err != nil {
				return err
			}
			if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.digest {
				return fmt.Errorf("GET blob %s: content hashes to %s", b.digest, got)
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// parallel runs fn over items with c.jobs goroutines; the first error
// cancels the rest.
func (c *client) parallel(ctx context.Context, items []blob, fn func(context.Context, blob) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for w := 0; w < c.jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, items[i]); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// loadTest sends n requests with workers concurrent clients and returns
// requests per second. Every response must be 200.
func (c *client) loadTest(ctx context.Context, method, path string, n, workers int) (float64, error) {
	accept := http.Header{"Accept": {mtManifest}}
	// Warm up connections.
	for i := 0; i < workers; i++ {
		if _, err := c.expect(ctx, method, path, nil, accept, 200); err != nil {
			return 0, err
		}
	}
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				resp, err := c.do(ctx, method, path, nil, 0, accept)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d requests failed, first: %v", f, n, firstErr.Load())
	}
	return float64(n) / d.Seconds(), nil
}

// createRepos creates n repositories bench/cat/rNNNNN, each holding one
// tiny manifest (an empty config blob, mounted from the first repository
// when the registry allows it). It returns repositories created per second.
func (c *client) createRepos(ctx context.Context, n, workers int) (float64, error) {
	config := newBlob([]byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}`))
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		mtManifest, mtConfig, config.digest, len(config.data)))
	src := "bench/cat/r00000"
	if err := c.pushBlob(ctx, src, config); err != nil {
		return 0, err
	}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				repo := fmt.Sprintf("bench/cat/r%05d", i)
				err := c.mountOrPush(ctx, repo, src, config)
				if err == nil {
					_, err = c.expect(ctx, "PUT", "/v2/"+repo+"/manifests/latest", manifest, http.Header{"Content-Type": {mtManifest}}, 201)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func (c *client) mountOrPush(ctx context.Context, repo, from string, b blob) error {
	if repo == from {
		return nil
	}
	u := "/v2/" + repo + "/blobs/uploads/?mount=" + url.QueryEscape(b.digest) + "&from=" + url.QueryEscape(from)
	resp, err := c.expect(ctx, "POST", u, nil, nil, 201, 202)
	if err != nil {
		return err
	}
	if resp.StatusCode == 201 {
		return nil
	}
	// Mount refused: finish the upload the registry opened.
	loc, err := c.location(resp)
	if err != nil {
		return err
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	_, err = c.expect(ctx, "PUT", loc+sep+"digest="+url.QueryEscape(b.digest), b.data,
		http.Header{"Content-Type": {"application/octet-stream"}}, 201)
	return err
}

// catalog lists the whole catalog reps times with ?n=want (following Link
// headers when the registry pages) and returns the first and the median
// latency in milliseconds and the number of repositories listed.
func (c *client) catalog(ctx context.Context, want, reps int) (first, med float64, n int, err error) {
	var times []float64
	for r := 0; r < reps; r++ {
		start := time.Now()
		count := 0
		next := "/v2/_catalog?n=" + strconv.Itoa(want)
		for next != "" {
			resp, err := c.do(ctx, "GET", next, nil, 0, nil)
			if err != nil {
				return 0, 0, 0, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, 0, 0, err
			}
			if resp.StatusCode != 200 {
				return 0, 0, 0, fmt.Errorf("GET %s: status %d: %.300s", next, resp.StatusCode, body)
			}
			count += bytes.Count(body, []byte(`"bench/cat/`))
			next = linkNext(resp.Header.Get("Link"))
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
		if count < want {
			return 0, 0, 0, fmt.Errorf("_catalog listed %d of the %d bench/cat repositories", count, want)
		}
		n = count
	}
	return times[0], median(times), n, nil
}

// linkNext extracts the target of a Link: <...>; rel="next" header.
func linkNext(h string) string {
	if h == "" || !strings.Contains(h, `rel="next"`) {
		return ""
	}
	i, j := strings.Index(h, "<"), strings.Index(h, ">")
	if i < 0 || j < i {
		return ""
	}
	return h[i+1 : j]
}
