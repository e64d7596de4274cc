//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// ociErrorCodes are the error codes of the OCI distribution spec v1.1.
var ociErrorCodes = []string{
	"BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
	"MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
	"NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
}

// ociError checks that a response is a 4xx with the OCI error envelope and
// returns its first code.
func ociError(t *testing.T, what string, status int, body []byte) string {
	t.Helper()
	if status < 400 || status > 499 {
		t.Errorf("%s: status %d, want a 4xx error; body %.300s", what, status, body)
		return ""
	}
	var env struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) == 0 {
		t.Errorf("%s: status %d without an OCI error envelope: %.300s", what, status, body)
		return ""
	}
	if !slices.Contains(ociErrorCodes, env.Errors[0].Code) {
		t.Errorf("%s: error code %q is not an OCI code", what, env.Errors[0].Code)
	}
	return env.Errors[0].Code
}

// TestLimits configures small limits and checks that pushes beyond them
// fail with clear OCI errors, through HTTP and through a real client, and
// leave nothing behind; and that bad names and digests are refused.
func TestLimits(t *testing.T) {
	srv := startServer(t, "",
		"DRYDOCK_REGISTRY_MAXBLOBSIZE=1048576",
		"DRYDOCK_REGISTRY_MAXMANIFESTSIZE=65536",
	)
	ctx := t.Context()
	base := srv.url("/v2/e2e/limits/app")
	big := randBytes(t, 2<<20)
	bigDigest := sha256Hex(big)

	t.Run("blob over the limit, monolithic", func(t *testing.T) {
		st, _, body, err := httpSend(ctx, http.MethodPost, base+"/blobs/uploads/?digest="+url.QueryEscape(bigDigest), "application/octet-stream", big, nil)
		if err != nil {
			t.Fatal(err)
		}
		if code := ociError(t, "POST 2 MiB blob with a 1 MiB limit", st, body); code != "" && code != "SIZE_INVALID" && code != "DENIED" && code != "BLOB_UPLOAD_INVALID" {
			t.Errorf("POST 2 MiB blob: code %s, want SIZE_INVALID, DENIED or BLOB_UPLOAD_INVALID", code)
		}
	})

	t.Run("blob over the limit, chunked", func(t *testing.T) {
		st, hdr, body, err := httpSend(ctx, http.MethodPost, base+"/blobs/uploads/", "", nil, nil)
		if err != nil || st != http.StatusAccepted {
			t.Fatalf("POST upload: %d %v %.200s", st, err, body)
		}
		loc, err := resolveLocation(base, hdr.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		var lastStatus int
		var lastBody []byte
		for off := 0; off < len(big); off += 512 << 10 {
			h := http.Header{"Content-Range": {fmt.Sprintf("%d-%d", off, off+(512<<10)-1)}}
			lastStatus, hdr, lastBody, err = httpSend(ctx, http.MethodPatch, loc, "application/octet-stream", big[off:off+(512<<10)], h)
			if err != nil {
				t.Fatal(err)
			}
			if lastStatus != http.StatusAccepted {
				break
			}
			if loc, err = resolveLocation(base, hdr.Get("Location")); err != nil {
				t.Fatal(err)
			}
		}
		if lastStatus == http.StatusAccepted {
			sep := "?"
			if strings.Contains(loc, "?") {
				sep = "&"
			}
			lastStatus, _, lastBody, err = httpSend(ctx, http.MethodPut, loc+sep+"digest="+url.QueryEscape(bigDigest), "", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
		}
		ociError(t, "chunked upload of 2 MiB with a 1 MiB limit", lastStatus, lastBody)
	})

	t.Run("nothing stored", func(t *testing.T) {
		st, _, _, err := httpDo(ctx, http.MethodHead, base+"/blobs/"+bigDigest, "")
		if err != nil {
			t.Fatal(err)
		}
		if st != http.StatusNotFound {
			t.Fatalf("HEAD of the refused blob: %d, want 404", st)
		}
	})

	t.Run("crane push over the limit", func(t *testing.T) {
		layer := writeFile(t, t.TempDir(), "big.tar", tarOf(t, "big.bin", big))
		out, err := runToolErr(t, nil, "crane", "--insecure", "append", "--oci-empty-base", "-f", layer, "-t", srv.addr+"/e2e/limits/crane:v1")
		if err == nil {
			t.Fatalf("crane pushed a layer over the 1 MiB limit: %s", out)
		}
		if !strings.Contains(err.Error(), "SIZE_INVALID") && !strings.Contains(err.Error(), "DENIED") && !strings.Contains(err.Error(), "BLOB_UPLOAD_INVALID") {
			t.Errorf("crane's error does not name the OCI error code:\n%v", err)
		}
	})

	t.Run("manifest over the limit", func(t *testing.T) {
		cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)
		if err := pushBlob(ctx, base, cfg); err != nil {
			t.Fatal(err)
		}
		m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
			`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[],`+
			`"annotations":{"padding":%q}}`, sha256Hex(cfg), len(cfg), strings.Repeat("x", 70<<10))
		st, _, body, err := httpSend(ctx, http.MethodPut, base+"/manifests/huge", "application/vnd.oci.image.manifest.v1+json", []byte(m), nil)
		if err != nil {
			t.Fatal(err)
		}
		if code := ociError(t, "PUT 70 KiB manifest with a 64 KiB limit", st, body); code != "" && code != "SIZE_INVALID" && code != "MANIFEST_INVALID" {
			t.Errorf("PUT 70 KiB manifest: code %s, want SIZE_INVALID or MANIFEST_INVALID", code)
		}
		if st, _, _, _ := httpDo(ctx, http.MethodGet, base+"/manifests/huge", manifestAccept); st != http.StatusNotFound {
			t.Errorf("GET of the refused manifest's tag: %d, want 404", st)
		}
	})

	t.Run("invalid names and digests", func(t *testing.T) {
		for _, c := range []struct {
			method, path, want string
		}{
			{http.MethodPost, "/v2/e2e/UpperCase/blobs/uploads/", "NAME_INVALID"},
			{http.MethodPost, "/v2/e2e/bad..name/blobs/uploads/", "NAME_INVALID"},
			{http.MethodGet, "/v2/e2e/limits/app/blobs/sha256:xyz", "DIGEST_INVALID"},
			{http.MethodGet, "/v2/e2e/limits/app/manifests/sha256:" + strings.Repeat("0", 63), "DIGEST_INVALID"},
		} {
			st, _, body, err := httpSend(ctx, c.method, srv.url(c.path), "", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if code := ociError(t, c.method+" "+c.path, st, body); code != "" && code != c.want {
				t.Errorf("%s %s: code %s, want %s", c.method, c.path, code, c.want)
			}
		}
	})
}

// tarOf returns a tar archive of one file.
func tarOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
