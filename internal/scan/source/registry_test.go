package source_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/drydock/drydock/internal/oci"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
)

// provenance is an in-toto statement as BuildKit attaches to the images it
// builds (docker buildx build --provenance): the layer of an attestation
// manifest, whose config is an image config for platform unknown/unknown.
// Its shape follows what buildx v0.11+ pushes; the digest is made up.
const provenance = `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",` +
	`"subject":[{"name":"pkg:docker/team/app@v1?platform=linux%2Famd64","digest":{"sha256":"4f1d9c1e7f3c2b9a0d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"}}],` +
	`"predicate":{"builder":{"id":""},"buildType":"https://mobyproject.org/buildkit@v1","metadata":{"buildStartedOn":"2026-01-01T00:00:00Z"}}}`

// cosignPayload is the simple-signing payload cosign signs and stores as
// the layer of a signature manifest (tag sha256-<digest>.sig), whose
// config is an image config.
const cosignPayload = `{"critical":{"identity":{"docker-reference":"registry.example.com/team/app"},` +
	`"image":{"docker-manifest-digest":"sha256:4f1d9c1e7f3c2b9a0d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"},"type":"cosign container image signature"},"optional":null}`

// TestRegistryNotImages: manifests in a registry that have an image
// config but are not images (attestations, signatures, referrers) are not
// applicable, not failed scans of corrupt layers, and attestations an index
// lists are left out even when their index entry lost its annotations.
// Images for other operating systems than Linux are not applicable.
func TestRegistryNotImages(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	att := st.Image(t, st.ImageSpec{Platform: "unknown/unknown", LayerMediaType: "application/vnd.in-toto+json", Layers: [][]byte{[]byte(provenance)}})
	// As BuildKit lists it: annotated, platform unknown/unknown.
	idx := addChild(t, st.Index(t, amd, arm), att, map[string]string{
		"vnd.docker.reference.type":   "attestation-manifest",
		"vnd.docker.reference.digest": amd.Root.Desc.Digest.String(),
	})
	// As an index rebuilt by a tool that keeps only digests: no
	// annotations, no platform.
	bare := att.Root.Desc
	bare.Platform = nil
	attBare := &st.Artifact{Root: st.Blob{Desc: bare, Data: att.Root.Data}, Blobs: att.Blobs}
	idxBare := addChild(t, st.Index(t, amd, arm), attBare, nil)
	sig := st.Image(t, st.ImageSpec{LayerMediaType: "application/vnd.dev.cosign.simplesigning.v1+json", Layers: [][]byte{[]byte(cosignPayload)}})
	subject := amd.Root.Desc
	subject.Platform = nil
	referrer := st.Image(t, st.ImageSpec{Platform: "unknown/unknown", LayerMediaType: "application/vnd.in-toto+json", Layers: [][]byte{[]byte(provenance)}, Subject: &subject})
	sbom := st.Image(t, st.ImageSpec{ConfigMediaType: "application/vnd.oci.empty.v1+json", LayerMediaType: "application/spdx+json", Layers: [][]byte{[]byte(`{"spdxVersion":"SPDX-2.3"}`)}, Subject: &subject})

	// A WebAssembly image (docker buildx --platform wasi/wasm) and a
	// FreeBSD one beside a Linux one.
	wasm := st.Image(t, st.ImageSpec{Platform: "wasi/wasm", Layers: [][]byte{st.Tar(t, lt.File("app.wasm", "\x00asm"))}})
	bsd := st.Image(t, st.ImageSpec{Platform: "freebsd/amd64", Layers: [][]byte{st.Tar(t, lt.File("etc/os-release", "NAME=FreeBSD\n"))}})
	mixed := st.Index(t, amd, bsd, wasm)

	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", idx)
	st.Push(t, reg, "team/app", "bare", idxBare)
	st.Push(t, reg, "team/app", "mixed", mixed)
	st.Push(t, reg, "team/app", "wasm", wasm)
	st.Push(t, reg, "team/app", "sha256-x.sig", sig)
	st.Push(t, reg, "team/app", "referrer", referrer)
	st.Push(t, reg, "team/app", "sbom", sbom)
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")}

	tests := []struct {
		name, ref, platform string
		want                []string
	}{
		{name: "index with an annotated attestation", ref: ":v1", want: []string{want(amd, "linux/amd64"), want(arm, "linux/arm64")}},
		{name: "index with an attestation that lost its annotations", ref: ":bare", want: []string{want(amd, "linux/amd64"), want(arm, "linux/arm64")}},
		{name: "index with an attestation that lost its annotations, one platform", ref: ":bare", platform: "linux/arm64", want: []string{want(arm, "linux/arm64")}},
		{name: "index with FreeBSD and WebAssembly images", ref: ":mixed", want: []string{want(amd, "linux/amd64"),
			"freebsd/amd64 " + bsd.Root.Desc.Digest.String() + ` notApplicable: images for "freebsd" are not scanned: drydock scans Linux images`,
			"wasi/wasm " + wasm.Root.Desc.Digest.String() + ` notApplicable: images for "wasi" are not scanned: drydock scans Linux images`,
		}},
		{name: "WebAssembly image", ref: ":wasm", want: []string{
			"wasi/wasm " + wasm.Root.Desc.Digest.String() + ` notApplicable: images for "wasi" are not scanned: drydock scans Linux images`,
		}},
		{name: "attestation by digest", ref: "@" + att.Root.Desc.Digest.String(), want: []string{
			" " + att.Root.Desc.Digest.String() + " notApplicable: not a container image: an attestation (in-toto provenance or SBOM) of another image",
		}},
		{name: "attestation by digest, with --platform", ref: "@" + att.Root.Desc.Digest.String(), platform: "linux/amd64", want: []string{
			" " + att.Root.Desc.Digest.String() + " notApplicable: not a container image: an attestation (in-toto provenance or SBOM) of another image",
		}},
		{name: "cosign signature", ref: ":sha256-x.sig", want: []string{
			" " + sig.Root.Desc.Digest.String() + " notApplicable: not a container image: a cosign signature of another image",
		}},
		{name: "attestation referring to its image", ref: ":referrer", want: []string{
			" " + referrer.Root.Desc.Digest.String() + " notApplicable: not a container image: an attestation (in-toto provenance or SBOM) of another image; it refers to " +
				amd.Root.Desc.Digest.String() + ", scan that image instead",
		}},
		{name: "artifact referring to its image", ref: ":sbom", want: []string{
			fmt.Sprintf(" %s notApplicable: not a container image: artifact of type %q; it refers to %s, scan that image instead",
				sbom.Root.Desc.Digest, "application/vnd.oci.empty.v1+json", amd.Root.Desc.Digest),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := o
			o.Platform = tt.platform
			if diff := cmp.Diff(tt.want, summary(t, images(t, host+"/team/app"+tt.ref, o))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRegistryContentType: a registry (or a proxy in front of it) that
// serves manifests with a Content-Type other than their mediaType, or with
// parameters, is read as docker, crane and skopeo read it: the document's
// own mediaType, which its digest covers, decides.
func TestRegistryContentType(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	idx := st.Index(t, amd, arm)
	// An OCI image manifest may omit mediaType.
	var doc map[string]any
	if err := jsonUnmarshal(amd.Root.Data, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "mediaType")
	noMT := &st.Artifact{Blobs: amd.Blobs, Config: amd.Config}
	noMT.Root.Data = jsonMarshal(t, doc)
	noMT.Root.Desc = oci.Descriptor{MediaType: oci.MediaTypeImageManifest, Digest: oci.Digest("sha256:" + sha256hex(noMT.Root.Data)), Size: int64(len(noMT.Root.Data))}

	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", idx)
	st.Push(t, reg, "team/app", "nomt", noMT)
	for _, ct := range []string{
		"application/vnd.oci.image.index.v1+json; charset=utf-8",
		"application/octet-stream",
		"text/plain; charset=utf-8",
		"",
	} {
		t.Run(ct, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/manifests/") {
					w = contentTypeWriter{ResponseWriter: w, ct: ct}
				}
				reg.ServeHTTP(w, r)
			}))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")}
			if diff := cmp.Diff([]string{want(amd, "linux/amd64"), want(arm, "linux/arm64")}, summary(t, images(t, host+"/team/app:v1", o))); diff != "" {
				t.Errorf("index (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{want(noMT, "linux/amd64")}, summary(t, images(t, host+"/team/app:nomt", o))); diff != "" {
				t.Errorf("manifest without mediaType (-want +got):\n%s", diff)
			}
		})
	}
}

// contentTypeWriter replaces the Content-Type of a response.
type contentTypeWriter struct {
	http.ResponseWriter
	ct string
}

func (w contentTypeWriter) WriteHeader(code int) {
	w.Header().Set("Content-Type", w.ct)
	w.ResponseWriter.WriteHeader(code)
}

func (w contentTypeWriter) Write(b []byte) (int, error) { return w.ResponseWriter.Write(b) }

// TestRegistryErrors: what a registry answers becomes a message that
// says what is wrong and what to do, and never shows the credentials.
func TestRegistryErrors(t *testing.T) {
	amd := twoLayers(t, "linux/amd64")
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", amd)
	const user, pass = "alice", "pa55-w0rd"
	var tokens atomic.Int32
	hostOf := func(s *httptest.Server) string { return s.Listener.Addr().String() }
	basic := httptest.NewServer(authRegistry(reg, "basic", user, pass, &tokens))
	defer basic.Close()
	bearer := httptest.NewServer(authRegistry(reg, "bearer", user, pass, &tokens))
	defer bearer.Close()
	anon := httptest.NewServer(reg)
	defer anon.Close()
	// A token service on another port of a loopback address, as a
	// registry and a separate token server on one private host are.
	tokenElsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, hostOf(anon)))
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
	}))
	defer tokenElsewhere.Close()
	tlsSrv := httptest.NewTLSServer(reg)
	defer tlsSrv.Close()
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}()

	// A credential helper, as docker-credential-pass or -ecr-login are.
	bin := t.TempDir()
	mustWrite(t, filepath.Join(bin, "docker-credential-test"), "#!/bin/sh\nread host\n"+
		`printf '{"ServerURL":"%s","Username":"`+user+`","Secret":"not-the-password"}\n' "$host"`+"\n")
	if err := os.Chmod(filepath.Join(bin, "docker-credential-test"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	cfgFile := func(content string) string {
		p := filepath.Join(t.TempDir(), "config.json")
		mustWrite(t, p, content)
		return p
	}
	none := cfgFile(`{}`)
	tests := []struct {
		name, ref, config string
		want              []string
		is                error
	}{
		{name: "basic, no credentials", ref: hostOf(basic) + "/team/app:v1", config: none, want: []string{
			hostOf(basic) + " asks for credentials and the Docker config file " + none + " has none for it",
			"docker login " + hostOf(basic), "401 Unauthorized"}},
		{name: "basic, wrong password", ref: hostOf(basic) + "/team/app:v1", config: dockerConfig(t, hostOf(basic), user, "wrong"), want: []string{
			hostOf(basic) + " rejected the credentials from the auths entry for " + hostOf(basic), "sign in again"}},
		{name: "bearer, wrong password", ref: hostOf(bearer) + "/team/app:v1", config: dockerConfig(t, hostOf(bearer), user, "wrong"), want: []string{
			hostOf(bearer) + " rejected the credentials", "/token?"}},
		{name: "credential helper, wrong password", ref: hostOf(basic) + "/team/app:v1",
			config: cfgFile(fmt.Sprintf(`{"credHelpers":{%q:"test"}}`, hostOf(basic))), want: []string{
				"rejected the credentials from the credential helper docker-credential-test named in"}},
		{name: "credential helper missing", ref: hostOf(basic) + "/team/app:v1",
			config: cfgFile(fmt.Sprintf(`{"credHelpers":{%q:"absent"}}`, hostOf(basic))), want: []string{
				"credential helper docker-credential-absent named in", "fix the helper, or remove it from the config file"}},
		{name: "unknown tag", ref: hostOf(anon) + "/team/app:v2", config: none, is: source.ErrNotFound, want: []string{
			hostOf(anon) + `/team/app has no tag "v2"`, "404 Not Found, MANIFEST_UNKNOWN"}},
		{name: "unknown repository", ref: hostOf(anon) + "/team/other:v1", config: none, is: source.ErrNotFound, want: []string{
			"repository team/other does not exist on " + hostOf(anon)}},
		{name: "unknown digest", ref: hostOf(anon) + "/team/app@sha256:" + strings.Repeat("0", 64), config: none, is: source.ErrNotFound, want: []string{
			"has no manifest sha256:000"}},
		{name: "untrusted certificate", ref: hostOf(tlsSrv) + "/team/app:v1", config: none, want: []string{
			"the TLS certificate of " + hostOf(tlsSrv) + " is not trusted", "SSL_CERT_FILE", "--insecure"}},
		{name: "token service at another private address", ref: hostOf(tokenElsewhere) + "/team/app:v1", config: none, want: []string{
			hostOf(tokenElsewhere) + " sends clients for tokens to an address drydock does not trust", "token realm with a host name"}},
		{name: "nothing listening", ref: closed + "/team/app:v1", config: none, want: []string{
			"cannot reach the registry " + closed, "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := source.Open(t.Context(), tt.ref, source.Options{DockerConfig: tt.config})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Images(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			for _, secret := range []string{pass, "not-the-password", "wrong", "map["} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows %q", err, secret)
				}
			}
		})
	}
}

// TestRegistryBrokenDockerConfig: a Docker config file that cannot be
// parsed does not stop an anonymous pull: docker warns and goes on, and so
// does drydock, once per scan on Options.Warnings, naming the file and
// the parse error. A registry that then asks for credentials gets an
// error that names the file.
func TestRegistryBrokenDockerConfig(t *testing.T) {
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	// An index of two platforms: several requests, each resolving
	// credentials.
	st.Push(t, reg, "team/app", "v1", st.Index(t, twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")))
	anon := httptest.NewServer(reg)
	defer anon.Close()
	var tokens atomic.Int32
	basic := httptest.NewServer(authRegistry(reg, "basic", "alice", "pa55-w0rd", &tokens))
	defer basic.Close()
	host := func(s *httptest.Server) string { return s.Listener.Addr().String() }

	for _, tt := range []struct {
		name, content, parseErr string
		env                     bool // found through DOCKER_CONFIG, not Options.DockerConfig
	}{
		// An edit cut short: the file ends inside an object.
		{name: "truncated", content: `{"auths": {"` + host(anon) + `": {"auth": "YWxpY2U6cGE1NS13MHJk"}`,
			parseErr: "unexpected EOF"},
		{name: "not JSON, through DOCKER_CONFIG", content: "auths:\n  registry.example.com: {}\n", env: true,
			parseErr: "invalid character 'a' looking for beginning of value"},
		{name: "auth not base64", content: `{"auths": {"registry.example.com": {"auth": "alice:pa55-w0rd"}}}`,
			parseErr: "illegal base64 data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "config.json")
			mustWrite(t, file, tt.content)
			opts := func(w io.Writer) source.Options {
				if tt.env {
					t.Setenv("DOCKER_CONFIG", dir)
					return source.Options{Warnings: w}
				}
				return source.Options{DockerConfig: file, Warnings: w}
			}
			var warnings strings.Builder
			src, err := source.Open(t.Context(), host(anon)+"/team/app:v1", opts(&warnings))
			if err != nil {
				t.Fatal(err)
			}
			ims, err := src.Images(t.Context())
			if err != nil || len(ims) != 2 {
				t.Fatalf("anonymous pull: %d images, %v", len(ims), err)
			}
			for _, im := range ims {
				rc, err := im.OpenLayer(t.Context(), 0)
				if err != nil {
					t.Fatalf("layer of %s: %v", im.Platform, err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Fatalf("layer of %s: %v", im.Platform, err)
				}
				rc.Close()
			}
			lines := strings.Split(strings.TrimSuffix(warnings.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "warning: the Docker config file "+file+" cannot be parsed ("+tt.parseErr) {
				t.Errorf("warnings %q: want one line naming %s and %q", warnings.String(), file, tt.parseErr)
			}
			if strings.Contains(warnings.String(), "pa55-w0rd") || strings.Contains(warnings.String(), "YWxpY2U6cGE1NS13MHJk") {
				t.Errorf("the warning shows a credential: %q", warnings.String())
			}

			src, err = source.Open(t.Context(), host(basic)+"/team/app:v1", opts(io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Images(t.Context())
			if err == nil {
				t.Fatal("no error from a registry that asks for credentials")
			}
			for _, want := range []string{host(basic) + " asks for credentials", "the Docker config file " + file + " cannot be parsed (" +
				tt.parseErr, "401 Unauthorized"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not say %q", err, want)
				}
			}
		})
	}
}

// TestRegistryPlainHTTP: a registry that is not on this machine's loopback
// address and answers plain HTTP needs --insecure, and the message says so.
func TestRegistryPlainHTTP(t *testing.T) {
	// 127.0.0.2 is a loopback address go-containerregistry does not treat
	// as local (only 127.0.0.1 and localhost are), as a remote host.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	amd := twoLayers(t, "linux/amd64")
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", amd)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: reg}}
	srv.Start()
	defer srv.Close()
	ref := l.Addr().String() + "/team/app:v1"
	o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")}
	src, err := source.Open(t.Context(), ref, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Images(t.Context())
	if err == nil || !strings.Contains(err.Error(), "answers plain HTTP, not HTTPS: pass --insecure") {
		t.Fatalf("err = %v, want the --insecure hint", err)
	}
	o.Insecure = true
	if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, images(t, ref, o))); diff != "" {
		t.Errorf("with --insecure (-want +got):\n%s", diff)
	}
}

// TestRegistryNoAnswer: a registry that accepts connections and says
// nothing fails the scan within Options.AnswerTimeout, saying so, instead
// of holding it until --timeout; a slow blob (a pull-through cache
// fetching upstream) is not cut short.
func TestRegistryNoAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json"), AnswerTimeout: 200 * time.Millisecond}
	src, err := source.Open(t.Context(), l.Addr().String()+"/team/app:v1", o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = src.Images(t.Context())
	if err == nil || !strings.Contains(err.Error(), "accepted the connection but did not answer") {
		t.Errorf("err = %v, want 'did not answer'", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}

	amd := twoLayers(t, "linux/amd64")
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", amd)
	slowBlobs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/") {
			time.Sleep(400 * time.Millisecond)
		}
		reg.ServeHTTP(w, r)
	}))
	defer slowBlobs.Close()
	host := strings.TrimPrefix(slowBlobs.URL, "http://")
	if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, images(t, host+"/team/app:v1", o))); diff != "" {
		t.Errorf("slow blobs (-want +got):\n%s", diff)
	}
}

// TestRegistryMissingChild: an index whose registry lost one of its
// platform manifests (go-containerregistry's registry, like some others,
// accepts such an index and deletes a child still listed) fails that
// platform and scans the others.
func TestRegistryMissingChild(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", st.Index(t, amd, arm))
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/v2/team/app/manifests/"+arm.Root.Desc.Digest.String(), nil))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("delete: %d", rec.Code)
	}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")}
	ims := images(t, host+"/team/app:v1", o)
	got := summary(t, ims)
	if len(got) != 2 || got[0] != want(amd, "linux/amd64") ||
		!strings.HasPrefix(got[1], "linux/arm64 "+arm.Root.Desc.Digest.String()+" err: invalid image: the index lists a manifest that is missing: ") ||
		!errors.Is(ims[1].Err, source.ErrNotFound) {
		t.Errorf("images:\n%s", strings.Join(got, "\n"))
	}
	o.Platform = "linux/amd64"
	if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, images(t, host+"/team/app:v1", o))); diff != "" {
		t.Errorf("--platform linux/amd64 (-want +got):\n%s", diff)
	}
}
