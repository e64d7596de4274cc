package python

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the Python extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "python/dist" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 4 }

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() {
		return false
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch base {
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info") || strings.HasSuffix(dir, ".egg/EGG-INFO") ||
			(path.Base(dir) == "EGG-INFO" && isSiteDir(path.Base(path.Dir(dir))))
	}
	// A single-file egg-info, or a zipped egg (its EGG-INFO/PKG-INFO
	// inside).
	return strings.HasSuffix(base, ".egg-info") || strings.HasSuffix(base, ".egg")
}

// isSiteDir reports whether a directory name is that of an installation
// directory (site-packages, or Debian's dist-packages).
func isSiteDir(name string) bool { return name == "site-packages" || name == "dist-packages" }

// Reduce implements layer.Reducer: it keeps "name\tversion".
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	if strings.HasSuffix(p, ".egg") {
		var err error
		if data, err = eggMetadata(data); err != nil || data == nil {
			return nil, err
		}
	}
	name, version := parseHeader(data)
	if name == "" || version == "" {
		return nil, nil
	}
	return []byte(name + "\t" + version), nil
}

// Bounds of a zipped egg's reading: its central directory records (zip
// reads them all before the entries can be looked up) and its PKG-INFO.
const (
	maxEggEntries   = 100_000
	maxPKGInfoBytes = 1 << 20
)

// centralDirSig starts each central directory record of a zip archive.
var centralDirSig = []byte("PK\x01\x02")

// ErrLimit reports a zipped egg beyond the bounds above.
var ErrLimit = errors.New("python egg too large")

// eggMetadata returns the EGG-INFO/PKG-INFO of a zipped egg (as
// easy_install and `setup.py install` leave them in site-packages), or nil
// for a file that is no zip archive or has none.
func eggMetadata(data []byte) ([]byte, error) {
	if n := bytes.Count(data, centralDirSig); n > maxEggEntries {
		return nil, fmt.Errorf("%w: up to %d entries, over %d", ErrLimit, n, maxEggEntries)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil // not an egg archive
	}
	for _, f := range zr.File {
		if f.Name != "EGG-INFO/PKG-INFO" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("EGG-INFO/PKG-INFO: %w", err)
		}
		defer rc.Close()
		// The declared size may lie: read one byte more than allowed.
		b, err := io.ReadAll(io.LimitReader(rc, maxPKGInfoBytes+1))
		if err != nil {
			return nil, fmt.Errorf("EGG-INFO/PKG-INFO: %w", err)
		}
		if len(b) > maxPKGInfoBytes {
			return nil, fmt.Errorf("%w: EGG-INFO/PKG-INFO is over %d bytes", ErrLimit, maxPKGInfoBytes)
		}
		return b, nil
	}
	return nil, nil
}

// parseHeader reads Name and Version from the RFC 822 header of a core
// metadata file (up to the first blank line).
func parseHeader(data []byte) (name, version string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "name":
			name = strings.TrimSpace(v)
		case "version":
			version = strings.TrimSpace(v)
		}
	}
	return name, version
}

// Extract implements extract.Extractor.
//
// One distribution is reported once per installation directory: when a
// directory holds two metadata records of the same distribution and
// version (Debian bookworm's python3-cryptography installs both
// cryptography-38.0.4.dist-info and cryptography.egg-info), Python imports
// one package, so one is reported: the record of the earliest layer (the
// one that introduced the distribution), the .dist-info one of a layer
// that has both. Records of different versions are all kept: which one is live cannot be
// told from the metadata.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	seen := make(map[string]int) // install dir, name, version -> index in out
	layers := make(map[int]int)  // index in out -> layer of its record
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "python metadata skipped", "path", f.Path, "err", f.Err)
			continue
		}
		name, version, ok := strings.Cut(string(f.Data), "\t")
		if !ok {
			continue
		}
		key := installDir(f.Path) + "\x00" + Normalize(name) + "\x00" + version
		if i, dup := seen[key]; dup {
			if f.Layer < layers[i] || (f.Layer == layers[i] && preferred(f.Path, out[i].Path)) {
				out[i].Name, out[i].Path, layers[i] = name, f.Path, f.Layer
			}
			continue
		}
		if err := in.TooMany(len(out) + 1); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		seen[key], layers[len(out)] = len(out), f.Layer
		out = append(out, pkg.Package{
			Name: name, Version: version, Type: pkg.TypePyPI, Path: f.Path,
			PURL: pkg.PURL("pypi", "", Normalize(name), version, nil),
		})
	}
	return out, nil
}

// installDir returns the directory a metadata file's distribution is
// installed in (site-packages, dist-packages, ...).
func installDir(p string) string {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base != "METADATA" && base != "PKG-INFO":
		return dir // a single-file .egg-info or a zipped .egg
	case path.Base(dir) == "EGG-INFO" && strings.HasSuffix(path.Dir(dir), ".egg"):
		return path.Dir(path.Dir(dir))
	}
	return path.Dir(dir)
}

// preferred reports whether metadata file a is reported rather than b, of
// the same distribution and version in one directory and layer: a .dist-info
// (installed by an installer, with its RECORD) before the others, then the
// first path in byte order, so the choice does not depend on file order.
func preferred(a, b string) bool {
	da, db := strings.HasSuffix(a, ".dist-info/METADATA"), strings.HasSuffix(b, ".dist-info/METADATA")
	if da != db {
		return da
	}
	return a < b
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns the normalized form of a distribution name (PEP 503:
// lower case, runs of "-", "_" and "." as one "-"), as PyPI and OSV key
// packages.
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}
