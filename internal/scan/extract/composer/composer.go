package composer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the Composer extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// ErrInvalid reports a lockfile or installed.json that cannot be read.
var ErrInvalid = errors.New("invalid Composer file")

// Name implements extract.Extractor.
func (Extractor) Name() string { return "php/composer" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 2 } // 2: manifests over extract.MaxManifestBytes refused

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	switch path.Base(p) {
	case "composer.lock":
		return !inVendor(p)
	case "installed.json":
		return path.Base(path.Dir(p)) == "composer"
	}
	return false
}

// inVendor reports whether a path lies under a directory named "vendor".
func inVendor(p string) bool {
	return strings.HasPrefix(p, "vendor/") || strings.Contains(p, "/vendor/")
}

// Reduce implements layer.Reducer: it keeps "name\tversion" lines.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	if len(data) > extract.MaxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalid, len(data), extract.MaxManifestBytes)
	}
	var (
		pkgs []entry
		err  error
	)
	if path.Base(p) == "composer.lock" {
		pkgs, err = parseLock(data)
	} else {
		pkgs, err = parseInstalled(data)
	}
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, e := range pkgs {
		if e.Name == "" || e.Version == "" {
			continue // a metapackage or a malformed entry: nothing to match
		}
		lines = append(lines, strings.ReplaceAll(e.Name, "\t", " ")+"\t"+strings.ReplaceAll(e.Version, "\n", " "))
	}
	if len(lines) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// entry is the part of a package in composer.lock and installed.json that
// identifies it.
type entry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// parseLock reads composer.lock.
func parseLock(data []byte) ([]entry, error) {
	var lf struct {
		Packages    *[]entry `json:"packages"`
		PackagesDev []entry  `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("%w: composer.lock: %w", ErrInvalid, err)
	}
	if lf.Packages == nil {
		return nil, fmt.Errorf("%w: composer.lock: no \"packages\" list", ErrInvalid)
	}
	return append(*lf.Packages, lf.PackagesDev...), nil
}

// parseInstalled reads vendor/composer/installed.json: an array of
// packages (Composer 1) or an object with a "packages" array (Composer 2).
func parseInstalled(data []byte) ([]entry, error) {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("[")) {
		var v1 []entry
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, fmt.Errorf("%w: installed.json: %w", ErrInvalid, err)
		}
		return v1, nil
	}
	var v2 struct {
		Packages *[]entry `json:"packages"`
	}
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, fmt.Errorf("%w: installed.json: %w", ErrInvalid, err)
	}
	if v2.Packages == nil {
		return nil, fmt.Errorf("%w: installed.json: neither an array nor an object with \"packages\"", ErrInvalid)
	}
	return *v2.Packages, nil
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	files := in.FS.Files()
	installed := make(map[string]bool) // paths of readable installed.json files
	for _, f := range files {
		if path.Base(f.Path) == "installed.json" && f.Err == nil {
			installed[f.Path] = true
		}
	}
	var out []pkg.Package
	for _, f := range files {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "composer file skipped", "path", f.Path, "err", f.Err)
			continue
		}
		if path.Base(f.Path) == "composer.lock" && installed[path.Join(path.Dir(f.Path), "vendor/composer/installed.json")] {
			continue // the installed packages next to it are reported instead
		}
		seen := make(map[string]bool)
		for l := range bytes.Lines(f.Data) {
			l = bytes.TrimSuffix(l, []byte("\n"))
			name, version, ok := strings.Cut(string(l), "\t")
			if !ok || seen[string(l)] {
				continue
			}
			seen[string(l)] = true
			if err := in.TooMany(len(out) + 1); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Path, err)
			}
			vendor, short, _ := strings.Cut(name, "/")
			if short == "" {
				vendor, short = "", name
			}
			out = append(out, pkg.Package{
				Name: name, Version: version, Type: pkg.TypeComposer, Path: f.Path,
				PURL: pkg.PURL("composer", vendor, short, version, nil),
			})
		}
	}
	return out, nil
}
