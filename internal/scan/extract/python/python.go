package python

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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
func (Extractor) Version() int { return 1 }

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
		return strings.HasSuffix(dir, ".egg-info") || strings.HasSuffix(dir, ".egg/EGG-INFO")
	}
	return strings.HasSuffix(base, ".egg-info") // single-file egg-info
}

// Reduce implements layer.Reducer: it keeps "name\tversion".
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	name, version := parseHeader(data)
	if name == "" || version == "" {
		return nil, nil
	}
	return []byte(name + "\t" + version), nil
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
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "python metadata skipped", "path", f.Path, "err", f.Err)
			continue
		}
		name, version, ok := strings.Cut(string(f.Data), "\t")
		if !ok {
			continue
		}
		if err := in.TooMany(len(out) + 1); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		out = append(out, pkg.Package{
			Name: name, Version: version, Type: pkg.TypePyPI, Path: f.Path,
			PURL: pkg.PURL("pypi", "", Normalize(name), version, nil),
		})
	}
	return out, nil
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns the normalized form of a distribution name (PEP 503:
// lower case, runs of "-", "_" and "." as one "-"), as PyPI and OSV key
// packages.
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}
