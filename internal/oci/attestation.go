package oci

// IsAttestation reports whether index entry d is a BuildKit attestation
// manifest (in-toto provenance or SBOM): it describes another entry of the
// index and is no platform image of its own. BuildKit marks its entries with
// the annotation vnd.docker.reference.type=attestation-manifest and the
// platform unknown/unknown; either is enough, as tools that copy indexes
// may keep only one.
func IsAttestation(d Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}
