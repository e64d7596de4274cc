//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"
)

// TestScanDistribution runs `drydock scan` against CNCF distribution (the
// reference registry, `registry` from scripts/install-tools.sh) serving
// TLS with a private CA and htpasswd Basic auth, as a platform team's
// registry does: the CA trusted through SSL_CERT_FILE, credentials from a
// Docker config file, a multi-platform index with a BuildKit attestation,
// and the failures a user meets (no credentials, a wrong password, the CA
// not trusted, a missing tag), each with its exit code and advice.
func TestScanDistribution(t *testing.T) {
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	caFile, certFile, keyFile := writeTestCA(t, dir)
	const user, password = "platform", "s3cret-Pa55"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(dir, "htpasswd"), user+":"+string(hash)+"\n")
	mustWriteFile(t, filepath.Join(dir, "config.yml"), fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  tls:
    certificate: %s
    key: %s
auth:
  htpasswd:
    realm: e2e
    path: %s
`, filepath.Join(dir, "data"), addr, certFile, keyFile, filepath.Join(dir, "htpasswd")))
	startDistribution(t, filepath.Join(dir, "config.yml"), addr, caFile)

	withCreds := dockerConfigDir(t, addr, user, password)
	env := []string{"DOCKER_CONFIG=" + withCreds, "SSL_CERT_FILE=" + caFile}

	amd := platformImage(t, alpineFiles("3.4.6"), 1<<10, "amd64")
	arm := platformImage(t, alpineFiles("3.4.6"), 1<<10, "arm64")
	att := attestationImage(t, amd)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, a := range []struct {
		img  v1.Image
		desc v1.Descriptor
	}{
		{amd, v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		{arm, v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		{att, v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}, Annotations: map[string]string{
			"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": digestOf(t, amd)}}},
	} {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: a.img, Descriptor: a.desc})
	}
	lay := t.TempDir()
	p, err := layout.Write(lay, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	runTool(t, env, "crane", "push", "--index", lay, addr+"/team/app:1.0")
	attLay := t.TempDir()
	writeLayout(t, attLay, map[string]v1.Image{"x": att})
	runTool(t, env, "crane", "push", attLay, addr+"/team/app:attestation")

	noCreds := dockerConfigDir(t, "", "", "")
	wrong := dockerConfigDir(t, addr, user, "wrong-password")
	// A config.json cut short while being edited: ignored with a
	// warning, and named in the error when the registry asks for
	// credentials.
	broken := t.TempDir()
	mustWriteFile(t, filepath.Join(broken, "config.json"), `{"auths":{"`+addr+`":{"auth":"`)
	data := t.TempDir()
	dbImport(t, data, filepath.Join(sharedTestdata, "vulndb", "alpine-secdb"))
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		want   []string // "platform status", in order
		stderr string
	}{
		{name: "every linux platform, the attestation left out", env: env, args: []string{addr + "/team/app:1.0"},
			want: []string{"linux/amd64 unhealthy", "linux/arm64 unhealthy"}},
		{name: "one platform", env: env, args: []string{"--platform", "linux/arm64", addr + "/team/app:1.0"},
			want: []string{"linux/arm64 unhealthy"}},
		{name: "a platform it does not have", env: env, args: []string{"--platform", "linux/s390x", addr + "/team/app:1.0"},
			code: 2, stderr: "has no linux/s390x image (it has: linux/amd64, linux/arm64)"},
		{name: "the attestation by tag", env: env, args: []string{addr + "/team/app:attestation"},
			want: []string{" notApplicable"}},
		{name: "missing tag", env: env, args: []string{addr + "/team/app:2.0"},
			code: 1, stderr: `/team/app has no tag "2.0"`},
		{name: "no credentials", env: []string{"DOCKER_CONFIG=" + noCreds, "SSL_CERT_FILE=" + caFile}, args: []string{addr + "/team/app:1.0"},
			code: 1, stderr: "asks for credentials and the Docker config file"},
		{name: "wrong password", env: []string{"DOCKER_CONFIG=" + wrong, "SSL_CERT_FILE=" + caFile}, args: []string{addr + "/team/app:1.0"},
			code: 1, stderr: "rejected the credentials from the auths entry"},
		{name: "malformed config", env: []string{"DOCKER_CONFIG=" + broken, "SSL_CERT_FILE=" + caFile}, args: []string{addr + "/team/app:1.0"},
			code: 1, stderr: "asks for credentials, and none were sent: the Docker config file " + filepath.Join(broken, "config.json") +
				" cannot be parsed (unexpected EOF)"},
		{name: "CA not trusted", env: []string{"DOCKER_CONFIG=" + withCreds}, args: []string{addr + "/team/app:1.0"},
			code: 1, stderr: "is not trusted"},
		{name: "CA not trusted, --insecure", env: []string{"DOCKER_CONFIG=" + withCreds}, args: []string{"--insecure", "--platform", "linux/amd64", addr + "/team/app:1.0"},
			want: []string{"linux/amd64 unhealthy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			args := append([]string{"scan", "--data", data, "--format", "json"}, tt.args...)
			cmd := exec.CommandContext(ctx, drydockBin, args...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstderr: %s", code, tt.code, stderr.Bytes())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.stderr)
			}
			for _, secret := range []string{password, "wrong-password", base64.StdEncoding.EncodeToString([]byte(user + ":" + password))} {
				if strings.Contains(stdout.String()+stderr.String(), secret) {
					t.Errorf("the output shows a credential")
				}
			}
			var got []string
			dec := json.NewDecoder(&stdout)
			for {
				var r struct {
					Image  struct{ Platform string }
					Status string
				}
				if err := dec.Decode(&r); err != nil {
					break
				}
				got = append(got, r.Image.Platform+" "+r.Status)
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("reports %q, want %q", got, tt.want)
			}
		})
	}
}

// attestationImage is an attestation manifest as BuildKit pushes it for
// img: an image config for unknown/unknown and an in-toto statement as its
// one layer.
func attestationImage(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",`+
		`"subject":[{"name":"pkg:docker/team/app@1.0?platform=linux%%2Famd64","digest":{"sha256":%q}}],"predicate":{"buildType":"https://mobyproject.org/buildkit@v1"}}`,
		strings.TrimPrefix(digestOf(t, img), "sha256:"))
	att := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	att, err := mutate.Append(att, mutate.Addendum{
		Layer:       static.NewLayer([]byte(stmt), "application/vnd.in-toto+json"),
		Annotations: map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := att.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "unknown", "unknown"
	att, err = mutate.ConfigFile(att, cf)
	if err != nil {
		t.Fatal(err)
	}
	return att
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// startDistribution runs `registry serve config` until the test ends,
// ready when /v2/ answers (401 without credentials).
func startDistribution(t *testing.T, config, addr, caFile string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(t.TempDir(), "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(needTool(t, "registry"), "serve", config)
	// No OpenTelemetry exporter: it would try localhost:4318.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("registry log:\n%s", b)
		}
		logf.Close()
	})
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.Get("https://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry at %s not ready: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeTestCA writes a CA and a server certificate it signs for 127.0.0.1
// and localhost into dir, returning the files (PEM).
func writeTestCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "drydock e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	mustWriteFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	mustWriteFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	mustWriteFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return caFile, certFile, keyFile
}

// dockerConfigDir writes a Docker config directory whose config.json has
// user's credentials for host (none when host is empty).
func dockerConfigDir(t *testing.T, host, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := `{"auths":{}}`
	if host != "" {
		cfg = fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	mustWriteFile(t, filepath.Join(dir, "config.json"), cfg)
	return dir
}

func mustWriteFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
