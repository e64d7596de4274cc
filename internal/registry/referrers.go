package registry

import (
	"fmt"
	"net/http"

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
		refs, err := g.meta.Referrers(ctx, repo.ID, rt.Digest, artifactType)
		if err != nil {
			return fmt.Errorf("list referrers: %w", err)
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
