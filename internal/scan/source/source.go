package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Sentinel errors; check with errors.Is.
var (
	// ErrInvalidReference: the image reference cannot be parsed.
	ErrInvalidReference = errors.New("invalid image reference")
	// ErrNotFound: the image, tag, file or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the image is malformed (a manifest, config or archive
	// that does not parse, a digest that does not match its content, a
	// document over its size cap). Scanning such an image ends in a
	// failed report, never in a crash.
	ErrInvalid = errors.New("invalid image")
	// ErrNoPlatform: --platform names no platform the image has.
	ErrNoPlatform = errors.New("no such platform in the image")
	// ErrAmbiguous: the reference names several images and the caller must
	// choose one (an OCI layout or archive with several tagged images).
	ErrAmbiguous = errors.New("ambiguous image reference")
)

// Size caps for the documents a source reads whole. Larger documents are
// ErrInvalid: no real image comes close, and they bound the memory a
// hostile source can make the scanner use.
const (
	MaxManifestBytes = 4 << 20  // the distribution spec's recommended limit
	MaxConfigBytes   = 16 << 20 // configs carry history; the largest seen are ~100 KiB
	maxIndexDepth    = 4        // nested indexes followed
)

// Source is something that holds container images.
type Source interface {
	// Images resolves the source into the images to scan: one per platform
	// of an index (only the one Options.Platform picks, when set), or the
	// single image. Artifacts and Windows images are included with
	// [Image.NotApplicable] set; attestation manifests of an index are left
	// out. An image whose manifest or config is malformed is included with
	// [Image.Err] set, so that it is reported as failed. Errors are
	// returned when the source itself cannot be read (not found,
	// unauthorized, network) or is not an image at all.
	Images(ctx context.Context) ([]*Image, error)
	// Name is the source as reports name it when no image could be
	// resolved: the repository of a registry reference, "oci:DIR", ...
	Name() string
	// Close releases the files and connections the source holds.
	Close() error
}

// The source kinds.
var (
	_ Source = (*Registry)(nil)
	_ Source = (*Layout)(nil)
	_ Source = (*Archive)(nil)
	_ Source = (*Dir)(nil)
	_ Source = (*Stored)(nil)
)

// Image is one platform image of a source.
type Image struct {
	// Repository names the image in reports: the repository of a
	// registry reference ("registry.example.com/team/app"), the image name
	// recorded in a layout or archive, or the source as given ("dir:/x").
	Repository string
	// Digest is the digest of the image manifest; empty for dir: sources,
	// and the config digest (Docker's image id) for legacy docker save
	// archives, which hold no manifest.
	Digest oci.Digest
	// Platform is os/arch[/variant] from the index or the config; empty
	// when unknown (dir: sources).
	Platform string
	// NotApplicable, when not empty, says why the image is not scanned
	// (a Windows image, an artifact that is not a container image).
	NotApplicable string
	// Err, when not nil, says why the image cannot be scanned (it wraps
	// ErrInvalid); the scan reports it as failed.
	Err error
	// Layers are the image's layers, base first.
	Layers []Layer

	open    opener
	entries func(ctx context.Context, i int) (Entries, error)
	// attestation is set (with NotApplicable) for an attestation
	// manifest, which an index lists beside the image it describes and
	// which is then left out.
	attestation bool
}

// Layer describes one layer of an image.
type Layer struct {
	// Digest is the blob's digest (compressed, as stored); empty for dir:
	// sources, the diff_id for legacy docker archives.
	Digest oci.Digest
	// DiffID is the digest of the uncompressed layer from the image config;
	// the layer reader checks it. Empty when unknown (dir: sources).
	DiffID oci.Digest
	// MediaType of the layer blob, when known.
	MediaType string
	// Size of the blob in bytes; -1 when unknown.
	Size int64
}

// opener opens layer i of an image.
type opener func(ctx context.Context, i int) (io.ReadCloser, error)

// OpenLayer returns the blob of layer i as a stream (compressed as stored;
// the layer reader detects the compression). Nothing is written to disk.
// The caller closes it.
func (im *Image) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(im.Layers) {
		return nil, fmt.Errorf("source: layer %d of %d: %w", i, len(im.Layers), ErrNotFound)
	}
	if im.open == nil {
		return nil, fmt.Errorf("source: image %s has no layer data: %w", im.Repository, ErrInvalid)
	}
	return im.open(ctx, i)
}

// CountReads makes the layer blobs opened from now on report the bytes
// read from them to fn, from the goroutine reading (several layers may be
// read at once: fn must be safe for concurrent use). It is for progress
// displays; a layer given entry by entry (dir: sources) reports nothing.
func (im *Image) CountReads(fn func(n int64)) {
	open := im.open
	if open == nil {
		return
	}
	im.open = func(ctx context.Context, i int) (io.ReadCloser, error) {
		rc, err := open(ctx, i)
		if err != nil {
			return nil, err
		}
		return &countingBlob{rc, fn}, nil
	}
}

type countingBlob struct {
	io.ReadCloser
	count func(n int64)
}

func (c *countingBlob) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		c.count(int64(n))
	}
	return n, err
}

// Entries is a layer given entry by entry instead of as a blob, with each
// file's contents read only if asked for (a layer.Entries that is closed
// after use).
type Entries interface {
	// layer.Entries: Next and Read. A Read error wrapping
	// layer.ErrUnreadable leaves that one file out.
	layer.Entries
	// Skipped returns how many entries were left out because they could
	// not be read (permission denied), and the first of them.
	Skipped() (n int, first string)
	Close() error
}

// OpenEntries returns layer i as entries when the source can give it so
// (dir: sources, where skipping a file costs nothing), and ok false when it
// can only give the blob (see OpenLayer). The caller closes it.
func (im *Image) OpenEntries(ctx context.Context, i int) (es Entries, ok bool, err error) {
	if im.entries == nil || i < 0 || i >= len(im.Layers) {
		return nil, false, nil
	}
	es, err = im.entries(ctx, i)
	return es, true, err
}

// Options configure how a reference is opened.
type Options struct {
	// Platform selects one platform of a multi-platform image,
	// "os/arch[/variant]" ("linux/arm64", "linux/arm/v7"). Empty scans
	// every platform.
	Platform string
	// Insecure allows plain HTTP and unverified TLS certificates for
	// registry references. (Registries on loopback, localhost, *.local and
	// private addresses are tried over plain HTTP without it, as
	// go-containerregistry does.) Unverified TLS applies to the default
	// transport and to an *http.Transport given in Transport.
	Insecure bool
	// Transport is the HTTP transport for registry references; nil uses
	// the default one (proxy settings from the environment).
	Transport http.RoundTripper
	// DockerConfig is the Docker client config file holding registry
	// credentials; empty means $DOCKER_CONFIG/config.json, or
	// ~/.docker/config.json when DOCKER_CONFIG is not set. A file that
	// cannot be read or parsed is ignored with a warning (pulls go on
	// without credentials, as docker's do), and named in the error of a
	// registry that then asks for credentials.
	DockerConfig string
	// Warnings receives warnings about the environment, one line each (a
	// Docker config file ignored); nil discards them.
	Warnings io.Writer
	// UserAgent is sent to registries; empty uses a default.
	UserAgent string
	// AnswerTimeout bounds how long a registry may take to answer a
	// request for anything but a blob (the API check, a token, a
	// manifest) before the scan fails saying so; zero means
	// DefaultAnswerTimeout.
	AnswerTimeout time.Duration
}

// Reference prefixes of the local source kinds.
const (
	PrefixOCI           = "oci:"
	PrefixOCIArchive    = "oci-archive:"
	PrefixDockerArchive = "docker-archive:"
	PrefixDir           = "dir:"

	// prefixDocker is skopeo's and podman's name for a registry
	// reference, "docker://REGISTRY/REPO:TAG".
	prefixDocker = "docker://"
)

// foreignTransports are image locations other tools name that drydock
// does not read (a local daemon's or engine's store): referring to one is
// a usage error saying how to export the image, not a registry lookup of
// a host named after it.
var foreignTransports = []string{"docker-daemon:", "containers-storage:", "podman:", "ostree:", "sif:", "tarball:"}

// Open returns the source named by ref:
//
//   - oci:DIR[:TAG] — an OCI image layout directory; TAG (a tag, a full
//     reference or a manifest digest) selects one of several images;
//     (a tar file of a layout is read as oci-archive:);
//   - docker-archive:FILE[:REF] — a `docker save` archive (the legacy
//     manifest.json form, or the OCI layout Docker 25+ also writes);
//     REF (an image name or tag) selects one of several images;
//   - oci-archive:FILE[:REF] — an OCI image layout in a tar file (skopeo,
//     podman and buildah write them), read as docker-archive: is;
//   - dir:ROOTFS — a root filesystem directory, scanned as one layer;
//   - anything else is a registry reference REGISTRY/REPO[:TAG|@DIGEST],
//     also written docker://REGISTRY/REPO[:TAG|@DIGEST].
//
// Registry references are resolved lazily: Open checks the syntax only.
func Open(ctx context.Context, ref string, opts Options) (Source, error) {
	if opts.Platform != "" {
		if _, err := ParsePlatform(opts.Platform); err != nil {
			return nil, err
		}
	}
	switch {
	case strings.HasPrefix(ref, PrefixOCI):
		dir, tag := splitPathRef(strings.TrimPrefix(ref, PrefixOCI))
		if fi, err := os.Stat(dir); err == nil && fi.Mode().IsRegular() {
			return openArchive(PrefixOCIArchive, dir, tag, opts)
		}
		return OpenLayout(dir, tag, opts)
	case strings.HasPrefix(ref, PrefixOCIArchive):
		file, sel := splitPathRef(strings.TrimPrefix(ref, PrefixOCIArchive))
		return openArchive(PrefixOCIArchive, file, sel, opts)
	case strings.HasPrefix(ref, PrefixDockerArchive):
		file, sel := splitPathRef(strings.TrimPrefix(ref, PrefixDockerArchive))
		return OpenArchive(file, sel, opts)
	case strings.HasPrefix(ref, PrefixDir):
		return OpenDir(strings.TrimPrefix(ref, PrefixDir))
	case strings.HasPrefix(ref, prefixDocker):
		return OpenRegistry(strings.TrimPrefix(ref, prefixDocker), opts)
	}
	for _, t := range foreignTransports {
		if strings.HasPrefix(ref, t) && !portThenPath(ref[len(t):]) {
			return nil, fmt.Errorf("%w: %q: drydock does not read %s images; export the image first "+
				"(docker save IMAGE -o FILE.tar, then docker-archive:FILE.tar; or skopeo copy to oci:DIR)",
				ErrInvalidReference, ref, strings.TrimSuffix(t, ":"))
		}
	}
	return OpenRegistry(ref, opts)
}

// portThenPath reports whether s begins with a port number and a '/':
// "podman:5000/team/app" is a registry host named podman, not a transport.
func portThenPath(s string) bool {
	i := strings.IndexByte(s, '/')
	if i <= 0 {
		return false
	}
	for _, c := range s[:i] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// splitPathRef splits "PATH[:SEL]". The path is the shortest prefix ending
// before a ':' that exists (so paths containing ':' work, and so does a
// selector with ':' in it, "app.tar:demo/app:1.0"); when no prefix exists,
// the whole string is the path unless its last ':' is followed by a
// selector without '/'.
func splitPathRef(s string) (path, sel string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] != ':' || i == 0 {
			continue
		}
		if _, err := os.Stat(s[:i]); err == nil {
			return s[:i], s[i+1:]
		}
	}
	i := strings.LastIndex(s, ":")
	if i <= 0 || strings.Contains(s[i+1:], "/") {
		return s, ""
	}
	return s[:i], s[i+1:]
}
