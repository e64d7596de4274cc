package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/report"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/store"
)

// ArtifactStore is the metadata the pipeline needs to write an artifact
// into a repository the way a push does: blob links, manifests and the
// referrers of a subject (store.Meta implements it). Required with
// Config.AttachSBOM.
type ArtifactStore interface {
	ResolveRepository(ctx context.Context, name string, opts store.ResolveOptions) (store.Repository, error)
	CommitBlob(ctx context.Context, repo store.Repository, d oci.Digest, commit func() (store.BlobInfo, error)) (store.BlobInfo, error)
	PutManifest(ctx context.Context, repo store.Repository, p store.ManifestPut) (store.PutResult, error)
	Referrers(ctx context.Context, repoID int64, d oci.Digest, artifactType string) ([]store.Referrer, error)
}

// SBOM referrer media types and annotations.
const (
	SBOMArtifactType = "application/vnd.cyclonedx+json"
	// SBOMInventoryAnnotation holds the digest of the inventory the SBOM
	// lists: an image re-scanned to the same inventory gets no second
	// referrer (the document itself differs per scan: serial number,
	// timestamp, vulnerabilities).
	SBOMInventoryAnnotation = "dev.drydock.sbom.inventory"
	// SBOMDBVersionAnnotation is the advisory database version the SBOM's
	// vulnerabilities were matched against.
	SBOMDBVersionAnnotation = "dev.drydock.sbom.db-version"
)

// inventoryDigest identifies an inventory's content.
func inventoryDigest(inv *extract.Inventory) (oci.Digest, error) {
	b, err := json.Marshal(storedInventory{Schema: inventorySchema, Distro: inv.Distro, Packages: inv.Packages})
	if err != nil {
		return "", fmt.Errorf("pipeline: encode inventory: %w", err)
	}
	return digest.SHA256.FromBytes(b), nil
}

// attachSBOM writes the CycloneDX SBOM of a scanned image (the bytes of
// the API's SBOM download) into its repository as an OCI artifact whose
// subject is the image, unless a referrer of the same inventory is there.
// The artifact is queued for a scan like any pushed manifest and ends
// notApplicable; it has no inventory, so it never gets an SBOM itself.
func (p *Pipeline) attachSBOM(ctx context.Context, job store.ClaimedJob, ref store.ImageRef, r *finding.Report, inv *extract.Inventory) error {
	invDigest, err := inventoryDigest(inv)
	if err != nil {
		return err
	}
	existing, err := p.d.Artifacts.Referrers(ctx, job.RepositoryID, ref.Digest, SBOMArtifactType)
	if err != nil {
		return fmt.Errorf("pipeline: referrers of %s: %w", ref.Digest, err)
	}
	for _, e := range existing {
		if e.Annotations[SBOMInventoryAnnotation] == string(invDigest) {
			return nil
		}
	}
	db, _ := p.currentDB()
	rep, err := p.reportFrom(ctx, db, job.SubscriptionID, job.Registry, job.Repository, ref, inv, "", r.ScannedAt)
	if err != nil {
		return err
	}
	var sbom bytes.Buffer
	hd, err := report.NewWithOptions("cyclonedx", &sbom, report.Options{ToolVersion: p.cfg.ToolVersion, Now: p.now})
	if err != nil {
		return err
	}
	if err := report.Replay(ctx, rep, hd); err != nil {
		return fmt.Errorf("pipeline: render SBOM of %s: %w", ref.Digest, err)
	}
	subject, err := p.d.Manifests.GetManifest(ctx, job.RepositoryID, string(ref.Digest))
	if err != nil {
		return fmt.Errorf("pipeline: SBOM subject %s: %w", ref.Digest, err)
	}
	repo, err := p.d.Artifacts.ResolveRepository(ctx, job.Repository, store.ResolveOptions{})
	if err != nil {
		return fmt.Errorf("pipeline: SBOM repository: %w", err)
	}
	empty := v1.DescriptorEmptyJSON
	if err := p.putBlob(ctx, repo, empty.Data, empty.Digest); err != nil {
		return err
	}
	layer := v1.Descriptor{MediaType: SBOMArtifactType, Digest: digest.SHA256.FromBytes(sbom.Bytes()), Size: int64(sbom.Len()),
		Annotations: map[string]string{v1.AnnotationTitle: "sbom.cyclonedx.json"}}
	if err := p.putBlob(ctx, repo, sbom.Bytes(), layer.Digest); err != nil {
		return err
	}
	empty.Data = nil
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest, ArtifactType: SBOMArtifactType,
		Config: empty, Layers: []v1.Descriptor{layer},
		Subject: &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{
			v1.AnnotationCreated:    p.now().UTC().Format(time.RFC3339),
			SBOMDBVersionAnnotation: rep.DB.Version,
			SBOMInventoryAnnotation: string(invDigest),
		},
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("pipeline: encode SBOM manifest: %w", err)
	}
	pm, err := oci.ParseManifest(v1.MediaTypeImageManifest, body)
	if err != nil {
		return fmt.Errorf("pipeline: SBOM manifest: %w", err)
	}
	d := digest.SHA256.FromBytes(body)
	if _, err := p.d.Artifacts.PutManifest(ctx, repo, store.ManifestPut{Digest: d, Content: body, Manifest: pm, RequireRefs: true}); err != nil {
		return fmt.Errorf("pipeline: put SBOM manifest of %s: %w", ref.Digest, err)
	}
	p.log.InfoContext(ctx, "SBOM attached", "repo", job.Repository, "subject", ref.Digest, "sbom", d)
	return nil
}

// putBlob writes b as blob d of repo through a two-phase upload, as a push
// does.
func (p *Pipeline) putBlob(ctx context.Context, repo store.Repository, b []byte, d oci.Digest) error {
	up, err := p.d.Blobs.NewUpload(ctx)
	if err != nil {
		return fmt.Errorf("pipeline: upload %s: %w", d, err)
	}
	if _, err := up.Write(b); err != nil {
		_ = up.Cancel(ctx)
		return fmt.Errorf("pipeline: upload %s: %w", d, err)
	}
	if _, err := p.d.Artifacts.CommitBlob(ctx, repo, d, func() (store.BlobInfo, error) { return up.Commit(ctx, d) }); err != nil {
		_ = up.Cancel(ctx)
		return fmt.Errorf("pipeline: commit blob %s: %w", d, err)
	}
	return nil
}
