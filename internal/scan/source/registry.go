package source

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drydock/drydock/internal/oci"
)

// defaultUserAgent is sent to registries unless Options.UserAgent says
// otherwise.
const defaultUserAgent = "drydock-scan"

// Registry is an image in a registry, pulled over the OCI distribution
// API with github.com/google/go-containerregistry: anonymous, HTTP Basic
// and the Docker token flow (the registry's 401 challenge names the token
// service), with credentials from the Docker config file. Manifests and
// configs are read whole (with size caps); layers are streamed and their
// digests verified while they stream. Nothing is written to disk.
type Registry struct {
	ref      name.Reference
	puller   *remote.Puller
	opts     Options
	keychain dockerConfigKeychain
}

// OpenRegistry parses ref (REGISTRY/REPO[:TAG|@DIGEST]; a name without a
// registry means Docker Hub, as with docker pull).
func OpenRegistry(ref string, opts Options) (*Registry, error) {
	var nopts []name.Option
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w (use oci:DIR, oci-archive:FILE, docker-archive:FILE, dir:ROOTFS or REGISTRY/REPO[:TAG|@DIGEST])", ErrInvalidReference, ref, err)
	}
	t := opts.Transport
	if t == nil {
		t = remote.DefaultTransport
	}
	if opts.Insecure {
		if ht, ok := t.(*http.Transport); ok {
			ht = ht.Clone()
			if ht.TLSClientConfig == nil {
				ht.TLSClientConfig = &tls.Config{}
			}
			ht.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for with --insecure
			t = ht
		}
	}
	t = answerDeadline{inner: t, after: cmp.Or(opts.AnswerTimeout, DefaultAnswerTimeout)}
	kc := dockerConfigKeychain{path: opts.DockerConfig, used: &credSource{}, broken: &brokenConfig{warnings: opts.Warnings}}
	p, err := remote.NewPuller(
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(t),
		remote.WithUserAgent(cmp.Or(opts.UserAgent, defaultUserAgent)),
	)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Registry{ref: r, puller: p, opts: opts, keychain: kc}, nil
}

// Images implements [Source].
func (r *Registry) Images(ctx context.Context) ([]*Image, error) {
	d, err := r.puller.Get(ctx, r.ref)
	if err != nil {
		return nil, r.wrap(r.ref, false, err)
	}
	// No media type: the document's own decides (see registryFetcher.manifest).
	desc := oci.Descriptor{Digest: oci.Digest(d.Digest.String()), Size: d.Size}
	if int64(len(d.Manifest)) > MaxManifestBytes {
		return nil, rootError(r.ref.String(), r.ref.Context().Name(), d.Manifest,
			fmt.Errorf("%w: manifest of %s is over the %d byte cap", ErrInvalid, r.ref, MaxManifestBytes))
	}
	res, err := newResolver(registryFetcher{r}, r.ref.String(), r.ref.Context().Name(), r.opts, false)
	if err != nil {
		return nil, err
	}
	return res.resolve(ctx, desc, d.Manifest)
}

// Close implements [Source].
func (r *Registry) Close() error { return nil }

// Name implements [Source].
func (r *Registry) Name() string { return r.ref.Context().Name() }

// wrap explains the error of a request for ref (see explain).
func (r *Registry) wrap(ref name.Reference, blob bool, err error) error {
	return explain(ref, blob, r.keychain.used.String(), r.keychain.file(), r.keychain.broken.String(), err)
}

// registryFetcher reads manifests and blobs of r's repository.
type registryFetcher struct{ r *Registry }

// manifest returns no media type: the Content-Type a registry serves a
// manifest with is not used to parse it. Registries and the proxies in
// front of them send parameters ("; charset=utf-8") or generic types
// (application/octet-stream, text/plain) that docker, crane and skopeo
// accept. The document's own mediaType (which its digest covers, unlike
// the header) decides, or, when it has none (OCI allows that), the media
// type its index gave, or its shape.
func (f registryFetcher) manifest(ctx context.Context, d oci.Descriptor) ([]byte, string, error) {
	ref := f.r.ref.Context().Digest(d.Digest.String())
	got, err := f.r.puller.Get(ctx, ref)
	if err != nil {
		return nil, "", f.r.wrap(ref, false, err)
	}
	if int64(len(got.Manifest)) > MaxManifestBytes {
		return nil, "", fmt.Errorf("%w: manifest %s is over the %d byte cap", ErrInvalid, d.Digest, MaxManifestBytes)
	}
	return got.Manifest, "", nil
}

func (f registryFetcher) blob(ctx context.Context, d oci.Descriptor) (io.ReadCloser, error) {
	ref := f.r.ref.Context().Digest(d.Digest.String())
	l, err := f.r.puller.Layer(ctx, ref)
	if err != nil {
		return nil, f.r.wrap(ref, true, err)
	}
	rc, err := l.Compressed() // streams; the digest is verified at EOF
	if err != nil {
		return nil, f.r.wrap(ref, true, err)
	}
	return rc, nil
}
