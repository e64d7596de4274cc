package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Descriptor is an OCI content descriptor.
type Descriptor = v1.Descriptor

// Platform is an OCI platform description.
type Platform = v1.Platform

// ErrInvalidManifest is returned by [ParseManifest] for documents that are not
// a valid manifest of the kind they claim to be.
var ErrInvalidManifest = errors.New("invalid manifest")

// Manifest is the registry's view of any accepted manifest document: the
// fields every kind shares, flattened so that callers need not switch on the
// media type.
type Manifest struct {
	// MediaType is the effective media type: the document's own mediaType
	// field, or the Content-Type it was pushed with when the field is absent.
	MediaType string
	// ArtifactType is the OCI artifactType, or for image manifests without one
	// the config media type when it is not a known image config (the
	// distribution spec's rule for the referrers API).
	ArtifactType string
	// Subject is the manifest this one refers to (OCI referrers), if any.
	Subject *Descriptor
	// Config is the config descriptor of an image manifest.
	Config *Descriptor
	// Layers are the layer (blob) descriptors of an image manifest.
	Layers []Descriptor
	// Manifests are the child descriptors of an index or manifest list.
	Manifests []Descriptor
	// Annotations of the document.
	Annotations map[string]string
}

// IsIndex reports whether m is an index or manifest list.
func (m *Manifest) IsIndex() bool { return IsIndexMediaType(m.MediaType) }

// BlobReferences lists the blobs (config and layers) an image manifest needs,
// skipping non-distributable layers, which a registry need not hold.
func (m *Manifest) BlobReferences() []Descriptor {
	var out []Descriptor
	if m.Config != nil {
		out = append(out, *m.Config)
	}
	for _, l := range m.Layers {
		if IsNonDistributable(l.MediaType) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// rawManifest is the union of the fields of every manifest kind.
type rawManifest struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *Descriptor       `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"`
}

// ParseManifest parses body pushed with the given Content-Type. It checks that
// the document is JSON of a supported kind, that its mediaType field (when
// present) agrees with contentType, and that every descriptor carries a valid
// digest and a non-negative size.
func ParseManifest(contentType string, body []byte) (*Manifest, error) {
	var raw rawManifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after JSON document", ErrInvalidManifest)
	}
	mt := raw.MediaType
	switch {
	case mt == "" && contentType == "":
		// Guess as the OCI spec allows: an index has manifests, an image has config.
		if raw.Manifests != nil {
			mt = MediaTypeImageIndex
		} else {
			mt = MediaTypeImageManifest
		}
	case mt == "":
		mt = contentType
	case contentType != "" && contentType != mt && !(contentType == "application/json"):
		return nil, fmt.Errorf("%w: mediaType %q does not match Content-Type %q", ErrInvalidManifest, mt, contentType)
	}
	if mt == MediaTypeDockerSchema1 || mt == MediaTypeDockerSchema1Signed || raw.FSLayers != nil {
		return nil, fmt.Errorf("%w: Docker schema 1 manifests are not supported; push with a current client", ErrInvalidManifest)
	}
	if !IsManifestMediaType(mt) {
		return nil, fmt.Errorf("%w: unsupported media type %q", ErrInvalidManifest, mt)
	}
	if raw.SchemaVersion == nil || *raw.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: schemaVersion must be 2", ErrInvalidManifest)
	}
	m := &Manifest{
		MediaType:    mt,
		ArtifactType: raw.ArtifactType,
		Subject:      raw.Subject,
		Annotations:  raw.Annotations,
	}
	if IsIndexMediaType(mt) {
		if raw.Config != nil || raw.Layers != nil {
			return nil, fmt.Errorf("%w: an index has no config or layers", ErrInvalidManifest)
		}
		if raw.Manifests == nil {
			return nil, fmt.Errorf("%w: an index needs a manifests list", ErrInvalidManifest)
		}
		m.Manifests = raw.Manifests
	} else {
		if raw.Manifests != nil {
			return nil, fmt.Errorf("%w: an image manifest has no manifests list", ErrInvalidManifest)
		}
		if raw.Config == nil {
			return nil, fmt.Errorf("%w: an image manifest needs a config descriptor", ErrInvalidManifest)
		}
		m.Config = raw.Config
		m.Layers = raw.Layers
		if m.ArtifactType == "" && m.Config.MediaType != MediaTypeImageConfig &&
			m.Config.MediaType != MediaTypeDockerConfig && m.Config.MediaType != "" {
			m.ArtifactType = m.Config.MediaType
		}
	}
	if mt == MediaTypeDockerManifest || mt == MediaTypeDockerList {
		if raw.Subject != nil || raw.ArtifactType != "" {
			return nil, fmt.Errorf("%w: Docker manifests cannot carry subject or artifactType", ErrInvalidManifest)
		}
	}
	check := func(where string, d *Descriptor) error {
		if _, err := ParseDigest(d.Digest.String()); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidManifest, where, err)
		}
		if d.Size < 0 {
			return fmt.Errorf("%w: %s: negative size", ErrInvalidManifest, where)
		}
		return nil
	}
	if m.Config != nil {
		if err := check("config", m.Config); err != nil {
			return nil, err
		}
	}
	if m.Subject != nil {
		if err := check("subject", m.Subject); err != nil {
			return nil, err
		}
	}
	for i := range m.Layers {
		if err := check(fmt.Sprintf("layers[%d]", i), &m.Layers[i]); err != nil {
			return nil, err
		}
	}
	for i := range m.Manifests {
		if err := check(fmt.Sprintf("manifests[%d]", i), &m.Manifests[i]); err != nil {
			return nil, err
		}
	}
	return m, nil
}
