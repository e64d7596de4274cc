package registry

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
)

// benchEnv is a registry on real stores for benchmarks.
func benchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b)
}

func BenchmarkBlobPush(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			e := benchEnv(b)
			data := randBytes(b, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				data[0] = byte(i) // a new blob each time
				d := digest.FromBytes(data)
				r := e.doTB(b, "POST", "/v2/bench/push/blobs/uploads/?digest="+d.String(), data)
				if r != http.StatusCreated {
					b.Fatalf("status %d", r)
				}
			}
		})
	}
}

func BenchmarkBlobPull(b *testing.B) {
	e := benchEnv(b)
	size := 64 << 20
	data := randBytes(b, size)
	d := digest.FromBytes(data)
	if r := e.doTB(b, "POST", "/v2/bench/pull/blobs/uploads/?digest="+d.String(), data); r != http.StatusCreated {
		b.Fatalf("status %d", r)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if r := e.doTB(b, "GET", "/v2/bench/pull/blobs/"+d.String(), nil); r != http.StatusOK {
			b.Fatalf("status %d", r)
		}
	}
}

func BenchmarkManifestAndTags(b *testing.B) {
	e := benchEnv(b)
	im := newImage(b, 1, nil)
	for _, blob := range append([][]byte{im.config}, im.layers...) {
		d := digest.FromBytes(blob)
		e.doTB(b, "POST", "/v2/bench/m/blobs/uploads/?digest="+d.String(), blob)
	}
	for i := range 100 {
		req, _ := http.NewRequest("PUT", e.srv.URL+fmt.Sprintf("/v2/bench/m/manifests/t%03d", i), bytes.NewReader(im.manifest))
		req.Header.Set("Content-Type", oci.MediaTypeImageManifest)
		res, err := e.srv.Client().Do(req)
		if err != nil || res.StatusCode != 201 {
			b.Fatalf("push: %v", err)
		}
		res.Body.Close()
	}
	for _, c := range []struct{ name, method, path string }{
		{"manifest HEAD", "HEAD", "/v2/bench/m/manifests/t050"},
		{"manifest GET", "GET", "/v2/bench/m/manifests/t050"},
		{"tags list 100", "GET", "/v2/bench/m/tags/list"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r := e.doTB(b, c.method, c.path, nil); r != 200 {
						b.Errorf("status %d", r)
						return
					}
				}
			})
		})
	}
}

// doTB sends a request and drains the response, returning the status.
func (e *env) doTB(tb testing.TB, method, path string, body []byte) int {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
