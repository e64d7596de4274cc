package source

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
)

// Caps on the archive's table of contents.
const (
	maxArchiveEntries = 1 << 20
	maxLinkHops       = 8
)

// Archive is a `docker save` archive: a tar file holding manifest.json
// (the legacy form: a config and layer tars per image) and, since Docker
// 25, also an OCI image layout (index.json, blobs/). The OCI layout is
// preferred when present, since it keeps the manifests and their digests.
//
// The archive is indexed once (names to offsets) and its members are then
// read in place: nothing is extracted.
type Archive struct {
	f       *os.File
	name    string
	sel     string
	opts    Options
	entries map[string]section
}

// section is a regular file's data inside the archive.
type section struct {
	off, size int64
}

// OpenArchive opens the docker save archive at file. sel, when not empty,
// selects one of several images by name, name:tag or tag.
func OpenArchive(file, sel string, opts Options) (*Archive, error) {
	return openArchive(PrefixDockerArchive, file, sel, opts)
}

// openArchive opens the archive file, named prefix+file.
func openArchive(prefix, file, sel string, opts Options) (*Archive, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("docker archive %s: %w", file, ErrNotFound)
		}
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	abs, _ := filepath.Abs(file)
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		// A pipe (docker save IMAGE | drydock scan docker-archive:/dev/stdin)
		// cannot be read at the offsets the manifest leads to.
		f.Close()
		kind := "not a regular file"
		switch m := fi.Mode(); {
		case m.IsDir():
			kind = "a directory"
		case m&fs.ModeNamedPipe != 0:
			kind = "a pipe"
		case m&fs.ModeDevice != 0:
			kind = "a device"
		case m&fs.ModeSocket != 0:
			kind = "a socket"
		}
		save := "docker save -o image.tar IMAGE"
		if prefix == PrefixOCIArchive {
			save = "skopeo copy IMAGE oci-archive:image.tar"
		}
		return nil, fmt.Errorf("%w: %s is %s; an archive is read at its members' offsets: save the image to a file first (%s)",
			ErrInvalid, prefix+file, kind, save)
	}
	a := &Archive{f: f, name: prefix + abs, sel: sel, opts: opts}
	if err := a.index(); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// index records where each regular file's data lies.
func (a *Archive) index() error {
	head := make([]byte, 6)
	n, _ := io.ReadFull(a.f, head)
	if _, err := a.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("docker archive: %w", err)
	}
	if n >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return fmt.Errorf("%w: %s is gzip-compressed; decompress it first (gunzip)", ErrInvalid, a.name)
	}
	if n >= 4 && bytes.Equal(head[:4], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return fmt.Errorf("%w: %s is zstd-compressed; decompress it first (zstd -d)", ErrInvalid, a.name)
	}
	a.entries = make(map[string]section)
	links := make(map[string]string)
	tr := tar.NewReader(a.f)
	for count := 0; ; count++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %s: not a readable tar archive: %w", ErrInvalid, a.name, err)
		}
		if count >= maxArchiveEntries {
			return fmt.Errorf("%w: %s has more than %d entries", ErrInvalid, a.name, maxArchiveEntries)
		}
		name, ok := cleanMember(h.Name)
		if !ok {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg:
			// archive/tar reads headers in whole blocks and does not read
			// ahead, so the file offset is where the data starts.
			off, err := a.f.Seek(0, io.SeekCurrent)
			if err != nil {
				return fmt.Errorf("docker archive: %w", err)
			}
			a.entries[name] = section{off: off, size: h.Size}
		case tar.TypeSymlink, tar.TypeLink:
			target := h.Linkname
			if h.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(name), target)
			}
			if t, ok := cleanMember(target); ok {
				links[name] = t
			}
		}
	}
	// Old Docker versions store a layer shared by two images once and link
	// the other layer.tar to it.
	for name, target := range links {
		for hop := 0; hop < maxLinkHops; hop++ {
			if next, ok := links[target]; ok {
				target = next
				continue
			}
			break
		}
		if s, ok := a.entries[target]; ok {
			a.entries[name] = s
		}
	}
	return nil
}

// cleanMember returns the clean relative name of an archive member, and
// false for names outside the archive root.
func cleanMember(name string) (string, bool) {
	name = path.Clean(strings.TrimPrefix(name, "/"))
	if name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return "", false
	}
	return name, true
}

// Images implements [Source].
func (a *Archive) Images(ctx context.Context) ([]*Image, error) {
	if _, ok := a.entries["index.json"]; ok {
		return layoutImages(ctx, archiveFS{a}, a.name, a.sel, a.opts)
	}
	if _, ok := a.entries["manifest.json"]; ok {
		return a.legacyImages(ctx)
	}
	return nil, fmt.Errorf("%w: %s has neither index.json nor manifest.json (not a docker save archive)", ErrInvalid, a.name)
}

// Close implements [Source].
func (a *Archive) Close() error { return a.f.Close() }

// Name implements [Source].
func (a *Archive) Name() string { return a.name }

// open returns the data of member name.
func (a *Archive) open(name string) (*io.SectionReader, error) {
	s, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("%s: member %s: %w", a.name, name, ErrNotFound)
	}
	return io.NewSectionReader(a.f, s.off, s.size), nil
}

// legacyEntry is one image of a legacy manifest.json.
type legacyEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

func (a *Archive) legacyImages(ctx context.Context) ([]*Image, error) {
	r, err := a.open("manifest.json")
	if err != nil {
		return nil, err
	}
	b, err := readCapped(r, MaxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", a.name, err)
	}
	var entries []legacyEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%w: %s: manifest.json: %w", ErrInvalid, a.name, err)
	}
	e, err := a.selectLegacy(entries)
	if err != nil {
		return nil, err
	}
	repo := a.name
	if len(e.RepoTags) > 0 {
		repo = trimTag(e.RepoTags[0])
	}
	cfgName, ok := cleanMember(e.Config)
	if !ok {
		return nil, fmt.Errorf("%w: %s: config path %q", ErrInvalid, a.name, e.Config)
	}
	cr, err := a.open(cfgName)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	cb, err := readCapped(cr, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", a.name, err)
	}
	cfgDigest := oci.Digest("sha256:" + strings.TrimSuffix(path.Base(cfgName), ".json"))
	if cfgDigest.Validate() != nil {
		cfgDigest = digest.Canonical.FromBytes(cb)
	}
	im := &Image{Repository: repo, Digest: cfgDigest}
	cfg, err := parseConfig(oci.Descriptor{Digest: cfgDigest}, cb)
	if err != nil {
		im.Err = err
		return []*Image{im}, nil
	}
	if cfg.OS != "" && cfg.Architecture != "" {
		im.Platform = Platform{OS: cfg.OS, Arch: cfg.Architecture, Variant: cfg.Variant}.String()
	}
	if cfg.OS == "windows" {
		im.NotApplicable = "Windows images are not scanned: drydock scans Linux images"
		return []*Image{im}, nil
	}
	if a.opts.Platform != "" && im.Platform != "" {
		want, _ := ParsePlatform(a.opts.Platform)
		got, _ := ParsePlatform(im.Platform)
		if !want.Matches(got) {
			return nil, fmt.Errorf("%w: %s is a single-platform image for %s, not %s", ErrNoPlatform, repo, im.Platform, want)
		}
	}
	if len(cfg.RootFS.DiffIDs) != len(e.Layers) {
		im.Err = fmt.Errorf("%w: the config lists %d diff_ids for %d layers", ErrInvalid, len(cfg.RootFS.DiffIDs), len(e.Layers))
		return []*Image{im}, nil
	}
	members := make([]string, len(e.Layers))
	for i, l := range e.Layers {
		name, ok := cleanMember(l)
		if !ok {
			im.Err = fmt.Errorf("%w: layer path %q", ErrInvalid, l)
			return []*Image{im}, nil
		}
		s, ok := a.entries[name]
		if !ok {
			im.Err = fmt.Errorf("%w: layer %s is not in the archive", ErrInvalid, l)
			return []*Image{im}, nil
		}
		diffID, err := oci.ParseDigest(cfg.RootFS.DiffIDs[i])
		if err != nil {
			im.Err = fmt.Errorf("%w: config diff_ids[%d]: %w", ErrInvalid, i, err)
			return []*Image{im}, nil
		}
		members[i] = name
		// Legacy archives name layers by path, not digest; the layer tar
		// is the uncompressed diff, so its digest is the diff_id.
		im.Layers = append(im.Layers, Layer{Digest: diffID, DiffID: diffID, MediaType: "application/vnd.docker.image.rootfs.diff.tar", Size: s.size})
	}
	im.open = func(_ context.Context, i int) (io.ReadCloser, error) {
		r, err := a.open(members[i])
		if err != nil {
			return nil, err
		}
		return io.NopCloser(r), nil
	}
	return []*Image{im}, nil
}

func (a *Archive) selectLegacy(entries []legacyEntry) (legacyEntry, error) {
	if len(entries) == 0 {
		return legacyEntry{}, fmt.Errorf("%w: %s: manifest.json lists no image", ErrInvalid, a.name)
	}
	var all []string
	for _, e := range entries {
		all = append(all, e.RepoTags...)
	}
	if a.sel == "" {
		if len(entries) == 1 {
			return entries[0], nil
		}
		return legacyEntry{}, fmt.Errorf("%w: %s holds %d images; name one as %s:NAME (images: %s)",
			ErrAmbiguous, a.name, len(entries), a.name, strings.Join(all, ", "))
	}
	for _, e := range entries {
		for _, t := range e.RepoTags {
			if t == a.sel || strings.HasSuffix(t, ":"+a.sel) || strings.HasSuffix(t, "/"+a.sel) ||
				trimTag(t) == a.sel || strings.HasSuffix(trimTag(t), "/"+a.sel) {
				return e, nil
			}
		}
	}
	return legacyEntry{}, fmt.Errorf("%w: %s has no image %q (images: %s)", ErrNotFound, a.name, a.sel, strings.Join(all, ", "))
}

// archiveFS serves the archive's members as a read-only fs.FS, for the
// OCI layout inside it.
type archiveFS struct{ a *Archive }

func (f archiveFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	s, ok := f.a.entries[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memberFile{SectionReader: io.NewSectionReader(f.a.f, s.off, s.size), name: name}, nil
}

// memberFile is an open archive member.
type memberFile struct {
	*io.SectionReader
	name string
}

func (m *memberFile) Stat() (fs.FileInfo, error) { return memberInfo{m}, nil }
func (m *memberFile) Close() error               { return nil }

type memberInfo struct{ m *memberFile }

func (i memberInfo) Name() string       { return path.Base(i.m.name) }
func (i memberInfo) Size() int64        { return i.m.Size() }
func (i memberInfo) Mode() fs.FileMode  { return 0o444 }
func (i memberInfo) ModTime() time.Time { return time.Time{} }
func (i memberInfo) IsDir() bool        { return false }
func (i memberInfo) Sys() any           { return nil }
