package source

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// ManifestGetter returns stored manifests by digest. The server's scan
// workers adapt [store.Manifests] for one repository to it.
type ManifestGetter interface {
	// Manifest returns the content and media type of manifest d, or an
	// error wrapping store.ErrNotFound.
	Manifest(ctx context.Context, d oci.Digest) (content []byte, mediaType string, err error)
}

// Stored is an image held in drydock's own storage: its manifests in the
// metadata store and its configs and layers in a [store.Blobs].
type Stored struct {
	blobs     store.Blobs
	manifests ManifestGetter
	repo      string
	root      oci.Descriptor
	opts      Options
}

// NewStored returns the source for manifest root of repository repo.
// Blobs the store does not hold (a platform of an index that was never
// pushed) are skipped as in a layout; Options.Platform applies.
func NewStored(blobs store.Blobs, manifests ManifestGetter, repo string, root oci.Digest, opts Options) (*Stored, error) {
	if blobs == nil || manifests == nil {
		return nil, errors.New("source: NewStored needs blobs and manifests")
	}
	if _, err := oci.ParseDigest(root.String()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	return &Stored{blobs: blobs, manifests: manifests, repo: repo, root: oci.Descriptor{Digest: root}, opts: opts}, nil
}

// Images implements [Source].
func (s *Stored) Images(ctx context.Context) ([]*Image, error) {
	f := storeFetcher{s}
	body, mt, err := f.manifest(ctx, s.root)
	if err != nil {
		return nil, err
	}
	desc := s.root
	desc.MediaType = mt
	r, err := newResolver(f, s.repo+"@"+string(s.root.Digest), s.repo, s.opts, true)
	if err != nil {
		return nil, err
	}
	return r.resolve(ctx, desc, body)
}

// Close implements [Source].
func (s *Stored) Close() error { return nil }

// Name implements [Source].
func (s *Stored) Name() string { return s.repo }

type storeFetcher struct{ s *Stored }

func (f storeFetcher) manifest(ctx context.Context, d oci.Descriptor) ([]byte, string, error) {
	b, mt, err := f.s.manifests.Manifest(ctx, d.Digest)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", fmt.Errorf("manifest %s: %w: %w", d.Digest, ErrNotFound, err)
		}
		return nil, "", fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	if int64(len(b)) > MaxManifestBytes {
		return nil, "", fmt.Errorf("%w: manifest %s is over the %d byte cap", ErrInvalid, d.Digest, MaxManifestBytes)
	}
	if mt == "" {
		mt = sniffManifestType(b)
	}
	return b, mt, nil
}

func (f storeFetcher) blob(ctx context.Context, d oci.Descriptor) (io.ReadCloser, error) {
	rc, err := f.s.blobs.Open(ctx, d.Digest)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("blob %s: %w: %w", d.Digest, ErrNotFound, err)
		}
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return rc, nil
}
