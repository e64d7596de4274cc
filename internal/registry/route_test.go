package registry

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
)

const (
	dA   = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
	d512 = "sha512:" + "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
)

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path     string
		want     route
		wantCode string // OCI code of the error, "" for success
	}{
		{path: "/v2/", want: route{Kind: routeBase}},
		{path: "/v2", want: route{Kind: routeBase}},
		{path: "/v2/_catalog", want: route{Kind: routeCatalog}},
		{path: "/v2/app/blobs/" + dA, want: route{Kind: routeBlob, Name: "app", Digest: dA}},
		{path: "/v2/team/app/api/blobs/" + d512, want: route{Kind: routeBlob, Name: "team/app/api", Digest: d512}},
		{path: "/v2/a/b/blobs/uploads/", want: route{Kind: routeUploadNew, Name: "a/b"}},
		{path: "/v2/a/b/blobs/uploads", want: route{Kind: routeUploadNew, Name: "a/b"}},
		{path: "/v2/a/b/blobs/uploads/0123abcd", want: route{Kind: routeUpload, Name: "a/b", Upload: "0123abcd"}},
		{path: "/v2/a/manifests/latest", want: route{Kind: routeManifest, Name: "a", Tag: "latest"}},
		{path: "/v2/a/manifests/" + dA, want: route{Kind: routeManifest, Name: "a", Digest: dA}},
		{path: "/v2/a/b/tags/list", want: route{Kind: routeTags, Name: "a/b"}},
		{path: "/v2/a/referrers/" + dA, want: route{Kind: routeReferrers, Name: "a", Digest: dA}},
		// names may contain the endpoint words; the suffix decides
		{path: "/v2/x/blobs/y/manifests/v1", want: route{Kind: routeManifest, Name: "x/blobs/y", Tag: "v1"}},
		{path: "/v2/x/manifests/blobs/" + dA, want: route{Kind: routeBlob, Name: "x/manifests", Digest: dA}},
		{path: "/v2/tags/tags/list", want: route{Kind: routeTags, Name: "tags"}},
		{path: "/v2/x/blobs/uploads/y/blobs/uploads/", want: route{Kind: routeUploadNew, Name: "x/blobs/uploads/y"}},
		{path: "/v2/_catalog/tags/list", wantCode: codeNameInvalid},
		{path: "/v2/App/manifests/latest", wantCode: codeNameInvalid},
		{path: "/v2/a//b/manifests/latest", wantCode: codeNameInvalid},
		{path: "/v2/a/manifests/-bad", wantCode: codeTagInvalid},
		{path: "/v2/a/manifests/" + strings.Repeat("t", 129), wantCode: codeTagInvalid},
		{path: "/v2/a/manifests/sha256:baddigeststring", wantCode: codeDigestInvalid},
		{path: "/v2/a/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", wantCode: codeDigestInvalid},
		{path: "/v2/a/blobs/latest", wantCode: codeDigestInvalid},
		{path: "/v2/a/referrers/nope", wantCode: codeDigestInvalid},
		{path: "/v2/a/blobs/uploads/../../etc", wantCode: codeUnsupported},
		{path: "/v2/a/blobs/uploads/..", wantCode: codeBlobUploadUnknown},
		{path: "/v2/a/blobs/uploads/a%2Fb", wantCode: codeBlobUploadUnknown},
		{path: "/v2/a/blobs/uploads/has space", wantCode: codeBlobUploadUnknown},
		{path: "/v2/a", wantCode: codeUnsupported},
		{path: "/v2/a/tags", wantCode: codeUnsupported},
		{path: "/v2/manifests/latest", wantCode: codeUnsupported},
		{path: "/v3/a/manifests/latest", wantCode: codeUnsupported},
		{path: "/v2x", wantCode: codeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := parseRoute(tt.path)
			if tt.wantCode != "" {
				if err == nil {
					t.Fatalf("parseRoute(%q) = %+v, want error %s", tt.path, got, tt.wantCode)
				}
				if e := toError(err); e.Code != tt.wantCode {
					t.Fatalf("parseRoute(%q) error code %s (%v), want %s", tt.path, e.Code, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRoute(%q): %v", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRoute(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestAccessFor(t *testing.T) {
	pull := []access.Action{access.ActionPull}
	push := []access.Action{access.ActionPull, access.ActionPush}
	del := []access.Action{access.ActionDelete}
	tests := []struct {
		kind   routeKind
		method string
		want   []access.Request
	}{
		{routeBase, "GET", nil},
		{routeCatalog, "GET", []access.Request{{Actions: []access.Action{access.ActionCatalog}}}},
		{routeBlob, "GET", []access.Request{{Repository: "r", Actions: pull}}},
		{routeBlob, "HEAD", []access.Request{{Repository: "r", Actions: pull}}},
		{routeBlob, "DELETE", []access.Request{{Repository: "r", Actions: del}}},
		{routeUploadNew, "POST", []access.Request{{Repository: "r", Actions: push}}},
		{routeUpload, "PATCH", []access.Request{{Repository: "r", Actions: push}}},
		{routeUpload, "GET", []access.Request{{Repository: "r", Actions: push}}},
		{routeManifest, "GET", []access.Request{{Repository: "r", Actions: pull}}},
		{routeManifest, "PUT", []access.Request{{Repository: "r", Actions: push}}},
		{routeManifest, "DELETE", []access.Request{{Repository: "r", Actions: del}}},
		{routeTags, "GET", []access.Request{{Repository: "r", Actions: pull}}},
		{routeReferrers, "GET", []access.Request{{Repository: "r", Actions: pull}}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+" "+tt.method, func(t *testing.T) {
			got := accessFor(route{Kind: tt.kind, Name: "r"}, tt.method)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("accessFor (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryRouteHasMethods(t *testing.T) {
	g := &Registry{}
	for kind := routeBase; kind <= routeReferrers; kind++ {
		methods := allowed[kind]
		if len(methods) == 0 {
			t.Errorf("%s: no allowed methods", kind)
		}
		for _, m := range methods {
			if g.handler(kind, m) == nil {
				t.Errorf("%s %s: allowed but no handler", kind, m)
			}
		}
		for _, m := range []string{"OPTIONS", "TRACE", "CONNECT", "BREW"} {
			if g.handler(kind, m) != nil {
				t.Errorf("%s %s: unexpected handler", kind, m)
			}
		}
	}
}

// FuzzParseRoute checks that the parser never panics and that what it
// accepts is valid and round-trips to the same path.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{
		"/v2/", "/v2/_catalog", "/v2/a/b/blobs/" + dA, "/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/abc",
		"/v2/a/manifests/latest", "/v2/a/manifests/" + d512, "/v2/a/tags/list", "/v2/a/referrers/" + dA,
		"/v2/x/blobs/y/manifests/v1", "/v2//blobs/", "/v2/a/blobs/uploads/../x", "/v2/\x00/tags/list",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		rt, err := parseRoute(path)
		if err != nil {
			if e := toError(err); e.Status < 400 || e.Status >= 500 {
				t.Fatalf("parseRoute(%q): error status %d", path, e.Status)
			}
			return
		}
		var rebuilt string
		switch rt.Kind {
		case routeBase, routeCatalog:
			return
		case routeBlob:
			rebuilt = "/v2/" + rt.Name + "/blobs/" + rt.Digest.String()
		case routeUploadNew:
			if !strings.HasSuffix(path, "/blobs/uploads") && !strings.HasSuffix(path, "/blobs/uploads/") {
				t.Fatalf("parseRoute(%q): upload start without the suffix", path)
			}
			rebuilt = path
		case routeUpload:
			rebuilt = "/v2/" + rt.Name + "/blobs/uploads/" + rt.Upload
			if !validUploadID(rt.Upload) {
				t.Fatalf("parseRoute(%q): invalid upload id %q accepted", path, rt.Upload)
			}
		case routeManifest:
			rebuilt = "/v2/" + rt.Name + "/manifests/" + rt.Reference()
			if rt.Tag != "" && oci.ValidateTag(rt.Tag) != nil {
				t.Fatalf("parseRoute(%q): invalid tag accepted", path)
			}
		case routeTags:
			rebuilt = "/v2/" + rt.Name + "/tags/list"
		case routeReferrers:
			rebuilt = "/v2/" + rt.Name + "/referrers/" + rt.Digest.String()
		default:
			t.Fatalf("parseRoute(%q): unknown kind %d", path, rt.Kind)
		}
		if err := oci.ValidateName(rt.Name); err != nil {
			t.Fatalf("parseRoute(%q): invalid name accepted: %v", path, err)
		}
		if rebuilt != path {
			t.Fatalf("parseRoute(%q) = %+v, rebuilt %q", path, rt, rebuilt)
		}
		if rt.Digest != "" {
			if _, err := oci.ParseDigest(rt.Digest.String()); err != nil {
				t.Fatalf("parseRoute(%q): invalid digest accepted", path)
			}
		}
	})
}

func TestBaseAndRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantCode   string
		wantBody   string
	}{
		{name: "version check", method: "GET", path: "/v2/", wantStatus: 200, wantBody: "{}"},
		{name: "version check head", method: "HEAD", path: "/v2/", wantStatus: 200},
		{name: "no endpoint", method: "GET", path: "/v2/app", wantStatus: 404, wantCode: codeUnsupported},
		{name: "method not allowed", method: "POST", path: "/v2/app/manifests/latest", wantStatus: 405, wantCode: codeUnsupported},
		{name: "patch on upload start", method: "PATCH", path: "/v2/app/blobs/uploads/", wantStatus: 405, wantCode: codeUnsupported},
		{name: "name invalid", method: "GET", path: "/v2/UPPER/tags/list", wantStatus: 400, wantCode: codeNameInvalid},
		{name: "tag invalid", method: "GET", path: "/v2/app/manifests/.bad", wantStatus: 400, wantCode: codeTagInvalid},
		{name: "digest invalid", method: "GET", path: "/v2/app/blobs/sha256:zz", wantStatus: 400, wantCode: codeDigestInvalid},
		{name: "unknown repository manifest", method: "GET", path: "/v2/nope/manifests/latest", wantStatus: 404, wantCode: codeNameUnknown},
		{name: "unknown repository tags", method: "GET", path: "/v2/nope/tags/list", wantStatus: 404, wantCode: codeNameUnknown},
		{name: "unknown repository blob", method: "GET", path: "/v2/nope/blobs/" + dA, wantStatus: 404, wantCode: codeNameUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, nil, nil)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			if got := r.Header.Get("Docker-Distribution-API-Version"); got != "registry/2.0" {
				t.Errorf("Docker-Distribution-API-Version = %q", got)
			}
			if tt.wantCode != "" {
				if got := errCode(t, r); got != tt.wantCode {
					t.Errorf("code %q, want %q: %s", got, tt.wantCode, r.Body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("error Content-Type %q", ct)
				}
			}
			if tt.wantBody != "" && string(r.Body) != tt.wantBody {
				t.Errorf("body %q, want %q", r.Body, tt.wantBody)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}
