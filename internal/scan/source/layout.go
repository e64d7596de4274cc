package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/oci"
)

// Annotations that name the images of an OCI layout's index.json.
const (
	annotationRefName   = "org.opencontainers.image.ref.name" // tag, or full reference
	annotationImageName = "io.containerd.image.name"          // full reference (Docker, containerd)
)

// layoutIndex is an OCI layout's index.json.
type layoutIndex struct {
	SchemaVersion int              `json:"schemaVersion"`
	MediaType     string           `json:"mediaType"`
	Manifests     []oci.Descriptor `json:"manifests"`
}

// Layout is an OCI image layout
// (https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md)
// in a directory.
type Layout struct {
	root fs.FS // the layout directory
	name string
	sel  string
	opts Options
}

// OpenLayout opens the OCI image layout in dir. sel, when not empty,
// selects one image of index.json: a tag, a full reference, or a manifest
// digest.
func OpenLayout(dir, sel string, opts Options) (*Layout, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("oci layout %s: %w", dir, ErrNotFound)
		}
		return nil, fmt.Errorf("oci layout: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: oci layout %s is not a directory", ErrInvalidReference, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("oci layout: %w", err)
	}
	return &Layout{root: os.DirFS(abs), name: PrefixOCI + abs, sel: sel, opts: opts}, nil
}

// Images implements [Source].
func (l *Layout) Images(ctx context.Context) ([]*Image, error) {
	return layoutImages(ctx, l.root, l.name, l.sel, l.opts)
}

// Close implements [Source].
func (l *Layout) Close() error { return nil }

// Name implements [Source].
func (l *Layout) Name() string { return l.name }

// layoutImages resolves the images of an OCI layout held in root (a
// directory or the inside of an archive).
func layoutImages(ctx context.Context, root fs.FS, name, sel string, opts Options) ([]*Image, error) {
	if b, err := fs.ReadFile(root, "oci-layout"); err == nil {
		var v struct {
			Version string `json:"imageLayoutVersion"`
		}
		if json.Unmarshal(b, &v) != nil || v.Version == "" {
			return nil, fmt.Errorf("%w: %s: oci-layout is not an OCI layout marker", ErrInvalid, name)
		}
	}
	f, err := root.Open("index.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has no index.json (not an OCI image layout)", ErrInvalid, name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b, err := readCapped(f, MaxManifestBytes)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", name, err)
	}
	var idx layoutIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%w: %s: index.json: %w", ErrInvalid, name, err)
	}
	desc, repo, err := selectManifest(idx.Manifests, name, sel)
	if err != nil {
		return nil, err
	}
	lf := layoutFetcher{root: root}
	body, mt, err := lf.manifest(ctx, desc)
	if err != nil {
		return nil, err
	}
	desc.MediaType = mt
	ref := name
	if sel != "" {
		ref += ":" + sel
	}
	r, err := newResolver(lf, ref, repo, opts, true)
	if err != nil {
		return nil, err
	}
	return r.resolve(ctx, desc, body)
}

// selectManifest picks the entry of an index.json that sel names (or the
// only one) and the repository name to report it under.
func selectManifest(ms []oci.Descriptor, name, sel string) (oci.Descriptor, string, error) {
	var cands []oci.Descriptor
	for _, d := range ms {
		if oci.IsManifestMediaType(d.MediaType) || d.MediaType == "" {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return oci.Descriptor{}, "", fmt.Errorf("%w: %s: index.json lists no manifest", ErrNotFound, name)
	}
	repoOf := func(d oci.Descriptor) string {
		if n := d.Annotations[annotationImageName]; n != "" {
			return trimTag(n)
		}
		if n := d.Annotations[annotationRefName]; strings.ContainsAny(n, "/:") && !strings.HasPrefix(n, "sha256:") {
			return trimTag(n)
		}
		return name
	}
	if sel == "" {
		if len(cands) == 1 {
			return cands[0], repoOf(cands[0]), nil
		}
		return oci.Descriptor{}, "", fmt.Errorf("%w: %s holds %d images; name one as %s (tags: %s)",
			ErrAmbiguous, name, len(cands), name+":TAG", strings.Join(tagsOf(cands), ", "))
	}
	for _, d := range cands {
		if d.Digest.String() == sel {
			return d, repoOf(d), nil
		}
	}
	for _, d := range cands {
		for _, key := range []string{annotationRefName, annotationImageName} {
			n := d.Annotations[key]
			if n != "" && (n == sel || strings.HasSuffix(n, ":"+sel) || strings.HasSuffix(n, "/"+sel) ||
				trimTag(n) == sel && strings.HasSuffix(n, ":latest")) {
				return d, repoOf(d), nil
			}
		}
	}
	return oci.Descriptor{}, "", fmt.Errorf("%w: %s has no image %q (tags: %s)", ErrNotFound, name, sel, strings.Join(tagsOf(cands), ", "))
}

func tagsOf(ds []oci.Descriptor) []string {
	var out []string
	for _, d := range ds {
		n := d.Annotations[annotationRefName]
		if n == "" {
			n = d.Annotations[annotationImageName]
		}
		if n == "" {
			n = d.Digest.String()
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// trimTag removes the tag or digest of a full image reference.
func trimTag(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// layoutFetcher reads blobs from blobs/<alg>/<hex> of a layout.
type layoutFetcher struct{ root fs.FS }

func (f layoutFetcher) path(d oci.Descriptor) (string, error) {
	if _, err := oci.ParseDigest(d.Digest.String()); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded(), nil
}

func (f layoutFetcher) blob(_ context.Context, d oci.Descriptor) (io.ReadCloser, error) {
	p, err := f.path(d)
	if err != nil {
		return nil, err
	}
	r, err := f.root.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("blob %s: %w", d.Digest, ErrNotFound)
		}
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return r, nil
}

func (f layoutFetcher) manifest(ctx context.Context, d oci.Descriptor) ([]byte, string, error) {
	rc, err := f.blob(ctx, d)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	b, err := readCapped(rc, MaxManifestBytes)
	if err != nil {
		return nil, "", fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	mt := d.MediaType
	if mt == "" {
		mt = sniffManifestType(b)
	}
	return b, mt, nil
}
