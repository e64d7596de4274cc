package source

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
)

// RootError is the error of a source whose root manifest was received but
// cannot be made into images: it does not parse, does not match the
// digest it was asked for, or is over its size cap. It names the manifest
// by the sha256 digest of the bytes received (whatever digest they were
// asked for by), so that the failed report says which manifest it was.
// It wraps the cause, an [ErrInvalid].
type RootError struct {
	// Reference is the reference the source was opened with
	// ("registry.example.com/team/app:1.0", "oci:/srv/layout:v1").
	Reference string
	// Repository is the name the image's reports would carry.
	Repository string
	// Digest is the sha256 digest of the bytes received.
	Digest oci.Digest
	Err    error
}

func (e *RootError) Error() string { return e.Err.Error() }

func (e *RootError) Unwrap() error { return e.Err }

// rootError wraps err, the error of root manifest body, in a RootError
// when it is an ErrInvalid.
func rootError(ref, repo string, body []byte, err error) error {
	if !errors.Is(err, ErrInvalid) {
		return err
	}
	return &RootError{Reference: ref, Repository: repo, Digest: digest.SHA256.FromBytes(body), Err: err}
}

// fetcher reads the content of one source by descriptor. Every source kind
// with manifests (registry, OCI layout, archive, blob store) implements it;
// the resolver turns it into images.
type fetcher interface {
	// manifest returns the bytes and media type of manifest d. Errors wrap
	// ErrNotFound when the source does not hold it.
	manifest(ctx context.Context, d oci.Descriptor) ([]byte, string, error)
	// blob returns the content of blob d (a config or a layer) as a stream.
	// Errors wrap ErrNotFound when the source does not hold it.
	blob(ctx context.Context, d oci.Descriptor) (io.ReadCloser, error)
}

// resolver turns a root manifest into the images to scan.
type resolver struct {
	f        fetcher
	repo     string
	platform *Platform
	// partial is set for local sources (layouts, archives), which often
	// hold only some platforms of an index: absent children are skipped.
	partial bool
	// ref is the reference the source was opened with, for a RootError.
	ref string
	log *slog.Logger
}

func newResolver(f fetcher, ref, repo string, opts Options, partial bool) (*resolver, error) {
	r := &resolver{f: f, ref: ref, repo: repo, partial: partial, log: slog.New(slog.DiscardHandler)}
	if opts.Platform != "" {
		p, err := ParsePlatform(opts.Platform)
		if err != nil {
			return nil, err
		}
		r.platform = &p
	}
	return r, nil
}

// resolve returns the images of the root manifest desc (whose bytes are
// body).
func (r *resolver) resolve(ctx context.Context, desc oci.Descriptor, body []byte) ([]*Image, error) {
	if err := verify(desc, body); err != nil {
		return nil, rootError(r.ref, r.repo, body, err)
	}
	m, err := oci.ParseManifest(desc.MediaType, body)
	if err != nil {
		return nil, rootError(r.ref, r.repo, body, fmt.Errorf("%w: manifest %s: %w", ErrInvalid, cmp.Or(desc.Digest, digest.SHA256.FromBytes(body)), err))
	}
	desc.MediaType = m.MediaType
	if !m.IsIndex() {
		im, err := r.image(ctx, desc, m, Platform{})
		if err != nil {
			return nil, err
		}
		if r.platform != nil && im.Platform != "" && im.NotApplicable == "" && im.Err == nil {
			p, _ := ParsePlatform(im.Platform)
			if !r.platform.Matches(p) {
				return nil, fmt.Errorf("%w: %s is a single-platform image for %s, not %s", ErrNoPlatform, r.repo, im.Platform, r.platform)
			}
		}
		return []*Image{im}, nil
	}
	var seen []string
	out, err := r.index(ctx, m, 1, &seen)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		if r.platform != nil {
			slices.Sort(seen)
			return nil, fmt.Errorf("%w: %s has no %s image (it has: %s)", ErrNoPlatform, r.repo, r.platform, strings.Join(slices.Compact(seen), ", "))
		}
		return nil, fmt.Errorf("%w: %s: the index lists no image this source holds", ErrNotFound, r.repo)
	}
	return out, nil
}

// index returns the images of the children of index m.
func (r *resolver) index(ctx context.Context, m *oci.Manifest, depth int, seen *[]string) ([]*Image, error) {
	if depth > maxIndexDepth {
		return nil, fmt.Errorf("%w: indexes nested more than %d deep", ErrInvalid, maxIndexDepth)
	}
	var out []*Image
	for _, child := range m.Manifests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if oci.IsAttestation(child) {
			continue
		}
		if !oci.IsManifestMediaType(child.MediaType) {
			// An index may list arbitrary blobs; they are not images.
			continue
		}
		hint := fromOCI(child.Platform)
		if hint.OS != "" && !oci.IsIndexMediaType(child.MediaType) {
			*seen = append(*seen, hint.String())
			if r.platform != nil && !r.platform.Matches(hint) {
				continue
			}
		}
		body, mt, err := r.f.manifest(ctx, child)
		if err != nil {
			if errors.Is(err, ErrNotFound) && r.partial {
				r.log.DebugContext(ctx, "skipping absent platform", "digest", child.Digest)
				continue
			}
			if errors.Is(err, ErrInvalid) {
				out = append(out, &Image{Repository: r.repo, Digest: child.Digest, Platform: platformString(hint), Err: err})
				continue
			}
			if errors.Is(err, ErrNotFound) {
				// A registry should refuse such an index, but not
				// every one does: this platform fails, the others
				// are scanned.
				out = append(out, &Image{Repository: r.repo, Digest: child.Digest, Platform: platformString(hint),
					Err: fmt.Errorf("%w: the index lists a manifest that is missing: %w", ErrInvalid, err)})
				continue
			}
			return nil, err
		}
		if err := verify(child, body); err != nil {
			out = append(out, &Image{Repository: r.repo, Digest: child.Digest, Platform: platformString(hint), Err: err})
			continue
		}
		cm, err := oci.ParseManifest(cmp.Or(mt, child.MediaType), body)
		if err != nil {
			out = append(out, &Image{Repository: r.repo, Digest: child.Digest, Platform: platformString(hint),
				Err: fmt.Errorf("%w: manifest %s: %w", ErrInvalid, child.Digest, err)})
			continue
		}
		if cm.IsIndex() {
			sub, err := r.index(ctx, cm, depth+1, seen)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		child.MediaType = cm.MediaType
		im, err := r.image(ctx, child, cm, hint)
		if err != nil {
			return nil, err
		}
		if im.attestation {
			// An attestation that its index entry did not mark as one
			// (tools that copy indexes may drop the annotations and
			// the unknown/unknown platform): left out as well.
			continue
		}
		if hint.OS == "" && im.Platform != "" {
			p, _ := ParsePlatform(im.Platform)
			*seen = append(*seen, im.Platform)
			if r.platform != nil && !r.platform.Matches(p) {
				continue
			}
		} else if hint.OS == "" && r.platform != nil {
			continue // no platform known: cannot be the one asked for
		}
		out = append(out, im)
	}
	return out, nil
}

// imageConfig is the part of an OCI/Docker image config the scanner reads.
type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// image builds the Image of image manifest m (descriptor desc), hint being
// the platform its index gave.
func (r *resolver) image(ctx context.Context, desc oci.Descriptor, m *oci.Manifest, hint Platform) (*Image, error) {
	im := &Image{Repository: r.repo, Digest: desc.Digest, Platform: platformString(hint)}
	switch m.Config.MediaType {
	case oci.MediaTypeImageConfig, oci.MediaTypeDockerConfig:
	default:
		im.NotApplicable = fmt.Sprintf("not a container image: artifact of type %q", cmp.Or(m.ArtifactType, m.Config.MediaType))
		im.NotApplicable += refersTo(m)
		return im, nil
	}
	if why, attestation := notFilesystem(m); why != "" {
		im.NotApplicable, im.attestation = why+refersTo(m), attestation
		return im, nil
	}
	if why := notLinux(hint.OS); why != "" {
		im.NotApplicable = why
		return im, nil
	}
	cfg, err := r.config(ctx, *m.Config)
	if err != nil {
		if errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) {
			im.Err = err
			return im, nil
		}
		return nil, err
	}
	if cfg.OS != "" && cfg.Architecture != "" {
		// The image's own word, not its index's: the server scans a
		// platform image when it is pushed, before any index names it,
		// and the two must report the same platform.
		im.Platform = Platform{OS: cfg.OS, Arch: cfg.Architecture, Variant: cfg.Variant}.String()
	}
	if why := notLinux(cfg.OS); why != "" {
		im.NotApplicable = why
		return im, nil
	}
	layers, err := layersOf(m.Layers, cfg)
	if err != nil {
		im.Err = err
		return im, nil
	}
	im.Layers = layers
	descs := m.Layers
	f := r.f
	im.open = func(ctx context.Context, i int) (io.ReadCloser, error) { return f.blob(ctx, descs[i]) }
	return im, nil
}

// Media types of layers that are documents rather than filesystems, in
// manifests that otherwise look like images (an image config): BuildKit's
// attestation manifests and cosign's signature and attestation manifests.
const (
	mediaTypeInToto       = "application/vnd.in-toto+json"
	mediaTypeDSSE         = "application/vnd.dsse.envelope.v1+json"
	mediaTypeCosignSig    = "application/vnd.dev.cosign.simplesigning.v1+json"
	layerMediaTypePrefix  = "application/vnd.oci.image.layer."
	dockerLayerTypePrefix = "application/vnd.docker.image.rootfs."
)

// notFilesystem says why image manifest m is not a container image although
// its config is an image config: a layer that is not a filesystem layer (an
// in-toto statement, a signature). attestation is set for attestation
// manifests (in-toto statements, DSSE envelopes), which an index lists
// beside the image they describe. Layers without a media type are taken
// for filesystem layers.
func notFilesystem(m *oci.Manifest) (why string, attestation bool) {
	for _, l := range m.Layers {
		mt := l.MediaType
		if mt == "" || strings.HasPrefix(mt, layerMediaTypePrefix) || strings.HasPrefix(mt, dockerLayerTypePrefix) {
			continue
		}
		switch mt {
		case mediaTypeInToto, mediaTypeDSSE:
			return "not a container image: an attestation (in-toto provenance or SBOM) of another image", true
		case mediaTypeCosignSig:
			return "not a container image: a cosign signature of another image", false
		}
		return fmt.Sprintf("not a container image: its layers are %q documents, not filesystem layers", mt), false
	}
	return "", false
}

// refersTo names the manifest that m refers to (its OCI subject), for a
// notApplicable reason.
func refersTo(m *oci.Manifest) string {
	if m.Subject == nil {
		return ""
	}
	return fmt.Sprintf("; it refers to %s, scan that image instead", m.Subject.Digest)
}

// notLinux says why an image for operating system os is not scanned, or
// returns "" for Linux (and for an image that names no OS): drydock's
// extractors and advisories are for Linux images, and a Windows, FreeBSD
// or WebAssembly (wasi) image would be reported healthy for want of
// anything they recognise.
func notLinux(os string) string {
	switch os {
	case "", "linux":
		return ""
	case "windows":
		return "Windows images are not scanned: drydock scans Linux images"
	}
	return fmt.Sprintf("images for %q are not scanned: drydock scans Linux images", os)
}

// layersOf pairs layer descriptors with the config's diff_ids.
func layersOf(descs []oci.Descriptor, cfg *imageConfig) ([]Layer, error) {
	if len(cfg.RootFS.DiffIDs) != len(descs) {
		return nil, fmt.Errorf("%w: the config lists %d diff_ids for %d layers", ErrInvalid, len(cfg.RootFS.DiffIDs), len(descs))
	}
	out := make([]Layer, len(descs))
	for i, d := range descs {
		diffID, err := oci.ParseDigest(cfg.RootFS.DiffIDs[i])
		if err != nil {
			return nil, fmt.Errorf("%w: config diff_ids[%d]: %w", ErrInvalid, i, err)
		}
		out[i] = Layer{Digest: d.Digest, DiffID: diffID, MediaType: d.MediaType, Size: d.Size}
	}
	return out, nil
}

// config reads and parses the image config desc.
func (r *resolver) config(ctx context.Context, desc oci.Descriptor) (*imageConfig, error) {
	if desc.Size > MaxConfigBytes {
		return nil, fmt.Errorf("%w: config %s is %d bytes, over the %d byte cap", ErrInvalid, desc.Digest, desc.Size, MaxConfigBytes)
	}
	rc, err := r.f.blob(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := readCapped(rc, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", desc.Digest, err)
	}
	return parseConfig(desc, b)
}

func parseConfig(desc oci.Descriptor, b []byte) (*imageConfig, error) {
	if err := verify(desc, b); err != nil {
		return nil, err
	}
	var cfg imageConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%w: config %s: %w", ErrInvalid, desc.Digest, err)
	}
	return &cfg, nil
}

// readCapped reads r to its end, failing with ErrInvalid past max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: document over the %d byte cap", ErrInvalid, max)
	}
	return b, nil
}

// verify checks that b is the content desc names (digest, and size when
// the descriptor gives one).
func verify(desc oci.Descriptor, b []byte) error {
	if desc.Digest == "" {
		return nil
	}
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("%w: digest %q: %w", ErrInvalid, desc.Digest, err)
	}
	if desc.Size > 0 && int64(len(b)) != desc.Size {
		return fmt.Errorf("%w: %s is %d bytes, the descriptor says %d", ErrInvalid, desc.Digest, len(b), desc.Size)
	}
	if got := desc.Digest.Algorithm().FromBytes(b); got != desc.Digest {
		return fmt.Errorf("%w: content of %s hashes to %s", ErrInvalid, desc.Digest, got)
	}
	return nil
}

func platformString(p Platform) string {
	if p.OS == "" {
		return ""
	}
	return p.String()
}

// sniffManifestType guesses the media type of a manifest document that
// came without one (the OCI spec allows omitting mediaType).
func sniffManifestType(b []byte) string {
	var probe struct {
		MediaType string          `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	if probe.MediaType != "" {
		return probe.MediaType
	}
	if len(bytes.TrimSpace(probe.Manifests)) > 0 {
		return oci.MediaTypeImageIndex
	}
	return oci.MediaTypeImageManifest
}
