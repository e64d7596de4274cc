package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/drydock/drydock/internal/store"

	"github.com/drydock/drydock/internal/oci"
)

// referrersIndex is the OCI image index the referrers API answers with.
type referrersIndex struct {
	SchemaVersion int              `json:"schemaVersion"`
	MediaType     string           `json:"mediaType"`
	Manifests     []oci.Descriptor `json:"manifests"`
}

// serveReferrers answers GET /v2/<name>/referrers/<digest>[?artifactType=]:
// an image index of the manifests whose subject is digest, always 200 (an
// unknown subject or repository has no referrers). A filter on artifactType
// is applied and announced in OCI-Filters-Applied.
func (g *Registry) serveReferrers(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	artifactType := r.URL.Query().Get("artifactType")
	idx := referrersIndex{SchemaVersion: 2, MediaType: oci.MediaTypeImageIndex, Manifests: []oci.Descriptor{}}
	repo, err := g.repoForRead(ctx, rt.Name)
	switch {
	case err == nil:
		refs, err := g.referrers(ctx, repo.ID, rt.Digest, artifactType)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			idx.Manifests = append(idx.Manifests, oci.Descriptor{
				MediaType:    ref.MediaType,
				Digest:       ref.Digest,
				Size:         ref.Size,
				ArtifactType: ref.ArtifactType,
				Annotations:  ref.Annotations,
			})
		}
	case isCode(err, codeNameUnknown):
		// no repository, no referrers
	default:
		return err
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, http.StatusOK, oci.MediaTypeImageIndex, idx)
}

// referrers lists the referrers of d with the artifactType the spec asks
// for: the manifest's own, or for an image manifest without one, its config
// media type. The metadata store keeps artifactType empty for manifests
// whose config is a plain image config (they are images, not artifacts), so
// for those the type is filled in here from the stored manifest, and a
// filter on an image config media type is applied here as well.
func (g *Registry) referrers(ctx context.Context, repoID int64, d oci.Digest, artifactType string) ([]store.Referrer, error) {
	storeFilter := artifactType
	if isImageConfigType(artifactType) {
		storeFilter = ""
	}
	refs, err := g.meta.Referrers(ctx, repoID, d, storeFilter)
	if err != nil {
		return nil, fmt.Errorf("list referrers: %w", err)
	}
	out := refs[:0]
	for _, ref := range refs {
		if ref.ArtifactType == "" && !oci.IsIndexMediaType(ref.MediaType) {
			at, err := g.configMediaType(ctx, repoID, ref.Digest)
			if err != nil {
				return nil, err
			}
			ref.ArtifactType = at
		}
		if artifactType != "" && ref.ArtifactType != artifactType {
			continue
		}
		out = append(out, ref)
	}
	return out, nil
}

// configMediaType returns the config media type of image manifest d.
func (g *Registry) configMediaType(ctx context.Context, repoID int64, d oci.Digest) (string, error) {
	rec, err := g.meta.GetManifest(ctx, repoID, d.String())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", nil // deleted meanwhile
		}
		return "", fmt.Errorf("get referrer %s: %w", d, err)
	}
	m, err := oci.ParseManifest(rec.MediaType, rec.Content)
	if err != nil || m.Config == nil {
		return "", nil // stored manifests parsed once; nothing better to say
	}
	return m.Config.MediaType, nil
}

func isImageConfigType(mt string) bool {
	return mt == oci.MediaTypeImageConfig || mt == oci.MediaTypeDockerConfig
}
