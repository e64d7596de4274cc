package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
)

func TestTagsList(t *testing.T) {
	e := newEnv(t)
	im := newImage(t, 1, nil)
	e.pushImageBlobs("d/tags", im)
	for _, tag := range []string{"v3", "v1", "latest", "v2", "a"} {
		e.pushManifest("d/tags", tag, oci.MediaTypeImageManifest, im.manifest)
	}
	e.pushBlob("d/empty", []byte("x"))
	link := func(n int, last string) string {
		return fmt.Sprintf(`</v2/d/tags/tags/list?last=%s&n=%d>; rel="next"`, last, n)
	}
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantTags   []string
		wantLink   string
	}{
		{"all, sorted", "/v2/d/tags/tags/list", 200, []string{"a", "latest", "v1", "v2", "v3"}, ""},
		{"first page", "/v2/d/tags/tags/list?n=2", 200, []string{"a", "latest"}, link(2, "latest")},
		{"second page", "/v2/d/tags/tags/list?n=2&last=latest", 200, []string{"v1", "v2"}, link(2, "v2")},
		{"last page", "/v2/d/tags/tags/list?n=2&last=v2", 200, []string{"v3"}, ""},
		{"exact fit has no next", "/v2/d/tags/tags/list?n=5", 200, []string{"a", "latest", "v1", "v2", "v3"}, ""},
		{"last without n", "/v2/d/tags/tags/list?last=v1", 200, []string{"v2", "v3"}, ""},
		{"n=0", "/v2/d/tags/tags/list?n=0", 200, []string{}, ""},
		{"past the end", "/v2/d/tags/tags/list?last=zzz", 200, []string{}, ""},
		{"no tags", "/v2/d/empty/tags/list", 200, []string{}, ""},
		{"negative n", "/v2/d/tags/tags/list?n=-1", 400, nil, ""},
		{"non-numeric n", "/v2/d/tags/tags/list?n=ten", 400, nil, ""},
		{"unknown repository", "/v2/d/none/tags/list", 404, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", tt.path, nil, nil)
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			if got := r.Header.Get("Link"); got != tt.wantLink {
				t.Errorf("Link %q, want %q", got, tt.wantLink)
			}
			if tt.wantTags == nil {
				return
			}
			var tl tagList
			if err := json.Unmarshal(r.Body, &tl); err != nil {
				t.Fatal(err)
			}
			if tl.Tags == nil {
				t.Error(`"tags" is null, want a list`)
			}
			if diff := cmp.Diff(tt.wantTags, tl.Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	auth := &policyAuth{}
	e := newEnv(t, withAuth(auth))
	addSubscription(t, e, "s2", "zed")
	for _, repo := range []string{"b/one", "a/two", "c/three", "zed/four", "zed/five"} {
		e.pushBlob(repo, []byte(repo))
	}
	catalogOf := func(t *testing.T, path string) ([]string, string) {
		t.Helper()
		r := e.do("GET", path, nil, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var c catalog
		if err := json.Unmarshal(r.Body, &c); err != nil {
			t.Fatal(err)
		}
		return c.Repositories, r.Header.Get("Link")
	}
	tests := []struct {
		name     string
		ident    *access.Identity
		path     string
		want     []string
		wantLink string
	}{
		{"everything", nil, "/v2/_catalog", []string{"a/two", "b/one", "c/three", "zed/five", "zed/four"}, ""},
		{"page", nil, "/v2/_catalog?n=2", []string{"a/two", "b/one"}, `</v2/_catalog?last=b%2Fone&n=2>; rel="next"`},
		{"next page", nil, "/v2/_catalog?n=2&last=b%2Fone", []string{"c/three", "zed/five"}, `</v2/_catalog?last=zed%2Ffive&n=2>; rel="next"`},
		{"final page", nil, "/v2/_catalog?n=2&last=zed%2Ffive", []string{"zed/four"}, ""},
		{"one subscription", &access.Identity{Subscriptions: []string{"s2"}}, "/v2/_catalog", []string{"zed/five", "zed/four"}, ""},
		{"no subscription", &access.Identity{Subscriptions: []string{}}, "/v2/_catalog", []string{}, ""},
		{"repository restriction", &access.Identity{Repositories: []string{"zed/*", "a/two"}}, "/v2/_catalog?n=2",
			[]string{"a/two", "zed/five"}, `</v2/_catalog?last=zed%2Ffive&n=2>; rel="next"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth.ident = tt.ident
			got, link := catalogOf(t, tt.path)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			if link != tt.wantLink {
				t.Errorf("Link %q, want %q", link, tt.wantLink)
			}
		})
	}
	auth.ident = nil
	// Following Link headers visits every repository once.
	var all []string
	path := "/v2/_catalog?n=1"
	for path != "" {
		page, link := catalogOf(t, path)
		all = append(all, page...)
		path = ""
		if link != "" {
			path = link[1 : len(link)-len(`>; rel="next"`)]
		}
	}
	if len(all) != 5 {
		t.Errorf("walked %v", all)
	}
}

func TestReferrers(t *testing.T) {
	e := newEnv(t)
	subject := newImage(t, 1, nil)
	e.pushImage("d/ref", "v1", subject)
	empty := []byte("{}")
	e.pushBlob("d/ref", empty)
	subjDesc := map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": subject.digest, "size": len(subject.manifest)}
	artifact := func(artifactType string, ann map[string]string) []byte {
		return mustJSON(t, map[string]any{
			"schemaVersion": 2, "mediaType": oci.MediaTypeImageManifest, "artifactType": artifactType,
			"config":  map[string]any{"mediaType": oci.MediaTypeEmptyJSON, "digest": digest.FromBytes(empty), "size": 2},
			"layers":  []any{map[string]any{"mediaType": oci.MediaTypeEmptyJSON, "digest": digest.FromBytes(empty), "size": 2}},
			"subject": subjDesc, "annotations": ann,
		})
	}
	sbom := artifact("application/vnd.example.sbom", map[string]string{"org.example": "sbom"})
	sig := artifact("application/vnd.example.sig", map[string]string{"org.example": "sig"})
	// An index artifact, and one whose type comes from its config media type.
	idx := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex, "artifactType": "application/vnd.example.sbom",
		"manifests": []any{}, "subject": subjDesc,
	})
	e.pushBlob("d/ref", []byte(`{"kind":"cfg"}`))
	cfgTyped := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageManifest,
		"config":  map[string]any{"mediaType": "application/vnd.example.config+json", "digest": digest.FromString(`{"kind":"cfg"}`), "size": 14},
		"layers":  []any{},
		"subject": subjDesc,
	})
	// A plain image with a subject: its artifactType is its config type.
	signedImage := newImage(t, 1, map[string]any{"subject": subjDesc})
	e.pushImageBlobs("d/ref", signedImage)
	for _, m := range [][]byte{sbom, sig, cfgTyped, signedImage.manifest} {
		e.pushManifest("d/ref", digest.FromBytes(m).String(), oci.MediaTypeImageManifest, m)
	}
	e.pushManifest("d/ref", digest.FromBytes(idx).String(), oci.MediaTypeImageIndex, idx)
	desc := func(body []byte, mt, at string, ann map[string]string) oci.Descriptor {
		return oci.Descriptor{MediaType: mt, Digest: digest.FromBytes(body), Size: int64(len(body)), ArtifactType: at, Annotations: ann}
	}
	wantSbom := desc(sbom, oci.MediaTypeImageManifest, "application/vnd.example.sbom", map[string]string{"org.example": "sbom"})
	wantSig := desc(sig, oci.MediaTypeImageManifest, "application/vnd.example.sig", map[string]string{"org.example": "sig"})
	wantIdx := desc(idx, oci.MediaTypeImageIndex, "application/vnd.example.sbom", nil)
	wantCfg := desc(cfgTyped, oci.MediaTypeImageManifest, "application/vnd.example.config+json", nil)
	wantImage := desc(signedImage.manifest, oci.MediaTypeImageManifest, oci.MediaTypeImageConfig, nil)

	tests := []struct {
		name        string
		path        string
		want        []oci.Descriptor
		wantFilters string
	}{
		{"all", "/v2/d/ref/referrers/" + subject.digest.String(), []oci.Descriptor{wantSbom, wantSig, wantIdx, wantCfg, wantImage}, ""},
		{"image config type", "/v2/d/ref/referrers/" + subject.digest.String() + "?artifactType=" + url.QueryEscape(oci.MediaTypeImageConfig),
			[]oci.Descriptor{wantImage}, "artifactType"},
		{"filtered", "/v2/d/ref/referrers/" + subject.digest.String() + "?artifactType=application/vnd.example.sbom",
			[]oci.Descriptor{wantSbom, wantIdx}, "artifactType"},
		{"config typed", "/v2/d/ref/referrers/" + subject.digest.String() + "?artifactType=application/vnd.example.config%2Bjson",
			[]oci.Descriptor{wantCfg}, "artifactType"},
		{"filter matches nothing", "/v2/d/ref/referrers/" + subject.digest.String() + "?artifactType=x/y", []oci.Descriptor{}, "artifactType"},
		{"unknown subject", "/v2/d/ref/referrers/" + digest.FromString("nothing").String(), []oci.Descriptor{}, ""},
		{"unknown repository", "/v2/d/nowhere/referrers/" + subject.digest.String(), []oci.Descriptor{}, ""},
		{"sha512 subject", "/v2/d/ref/referrers/" + oci.SHA512.FromString("x").String(), []oci.Descriptor{}, ""},
	}
	sortDesc := cmp.Transformer("sort", func(in []oci.Descriptor) map[digest.Digest]oci.Descriptor {
		m := map[digest.Digest]oci.Descriptor{}
		for _, d := range in {
			m[d.Digest] = d
		}
		return m
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", tt.path, nil, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != oci.MediaTypeImageIndex {
				t.Errorf("Content-Type %q", ct)
			}
			if got := r.Header.Get("OCI-Filters-Applied"); got != tt.wantFilters {
				t.Errorf("OCI-Filters-Applied %q, want %q", got, tt.wantFilters)
			}
			var got referrersIndex
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatal(err)
			}
			if got.SchemaVersion != 2 || got.MediaType != oci.MediaTypeImageIndex || got.Manifests == nil {
				t.Errorf("not an image index: %s", r.Body)
			}
			if diff := cmp.Diff(tt.want, got.Manifests, sortDesc); diff != "" {
				t.Errorf("referrers (-want +got):\n%s", diff)
			}
		})
	}
	// Deleting a referrer removes it from the list.
	if r := e.do("DELETE", "/v2/d/ref/manifests/"+digest.FromBytes(sig).String(), nil, nil); r.Status != 202 {
		t.Fatalf("delete: %d", r.Status)
	}
	var got referrersIndex
	_ = json.Unmarshal(e.do("GET", "/v2/d/ref/referrers/"+subject.digest.String()+"?artifactType=application/vnd.example.sig", nil, nil).Body, &got)
	if len(got.Manifests) != 0 {
		t.Errorf("deleted referrer still listed: %+v", got.Manifests)
	}
}
