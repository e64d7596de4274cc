// Package oci holds the pure data of the OCI image and distribution specs
// that the rest of drydock shares: media types, digests, repository names and
// references, and a single manifest parser that understands every manifest
// kind the registry accepts.
//
// It performs no I/O and imports nothing of drydock's.
//
// # Supported documents
//
//   - OCI image manifest and OCI image index (image-spec v1.1, including
//     artifactType and subject).
//   - Docker image manifest v2 schema 2 and Docker manifest list.
//
// Docker schema 1 manifests are refused (they are deprecated and unsigned
// pushes of them are disabled in every current registry).
//
// Spec: https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md
// and https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md
package oci
