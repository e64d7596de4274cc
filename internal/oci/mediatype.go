package oci

import (
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of the manifest documents drydock accepts.
const (
	MediaTypeImageManifest  = v1.MediaTypeImageManifest
	MediaTypeImageIndex     = v1.MediaTypeImageIndex
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeImageConfig    = v1.MediaTypeImageConfig
	MediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
	MediaTypeEmptyJSON      = v1.MediaTypeEmptyJSON
	// MediaTypeDockerSchema1 and its signed variant are recognised only to be
	// refused with a clear error.
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// Layer media types. Non-distributable ("foreign") layers are accepted in
// manifests but their blobs need not be present in the registry.
const (
	MediaTypeLayer                 = v1.MediaTypeImageLayer
	MediaTypeLayerGzip             = v1.MediaTypeImageLayerGzip
	MediaTypeLayerZstd             = v1.MediaTypeImageLayerZstd
	MediaTypeDockerLayerGzip       = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerForeignLayer    = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	mediaTypeOCINonDistributable   = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	mediaTypeOCINonDistributableGz = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	mediaTypeOCINonDistributableZs = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
)

// IsManifestMediaType reports whether mt names a manifest document drydock
// stores (image manifests and indexes, OCI or Docker).
func IsManifestMediaType(mt string) bool {
	switch mt {
	case MediaTypeImageManifest, MediaTypeImageIndex, MediaTypeDockerManifest, MediaTypeDockerList:
		return true
	}
	return false
}

// IsIndexMediaType reports whether mt is an OCI index or a Docker manifest list.
func IsIndexMediaType(mt string) bool {
	return mt == MediaTypeImageIndex || mt == MediaTypeDockerList
}

// IsNonDistributable reports whether a layer of media type mt may be absent
// from the registry (Docker foreign layers and OCI non-distributable layers).
func IsNonDistributable(mt string) bool {
	switch mt {
	case MediaTypeDockerForeignLayer, mediaTypeOCINonDistributable,
		mediaTypeOCINonDistributableGz, mediaTypeOCINonDistributableZs:
		return true
	}
	return false
}
