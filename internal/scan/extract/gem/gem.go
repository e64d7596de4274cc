package gem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the RubyGems extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// ErrInvalid reports a gem specification or lockfile that cannot be read.
var ErrInvalid = errors.New("invalid RubyGems file")

// Name implements extract.Extractor.
func (Extractor) Name() string { return "ruby/gem" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 1 }

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case strings.HasSuffix(base, ".gemspec"):
		return path.Base(dir) == "specifications" ||
			(path.Base(dir) == "default" && path.Base(path.Dir(dir)) == "specifications")
	case base == "Gemfile.lock" || base == "gems.locked":
		return !strings.HasPrefix(p, "gems/") && !strings.Contains(p, "/gems/")
	}
	return false
}

// Reduce implements layer.Reducer: it keeps "name\tversion" lines.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	var lines []string
	if strings.HasSuffix(p, ".gemspec") {
		name, version, err := parseGemspec(data)
		if err != nil {
			return nil, err
		}
		lines = []string{line(name, version)}
	} else {
		var err error
		if lines, err = parseLockfile(data); err != nil {
			return nil, err
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(lines, "\n")), nil
}

func line(name, version string) string {
	return strings.ReplaceAll(name, "\t", " ") + "\t" + strings.ReplaceAll(version, "\n", " ")
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "gem file skipped", "path", f.Path, "err", f.Err)
			continue
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
			out = append(out, pkg.Package{
				Name: name, Version: version, Type: pkg.TypeGem, Path: f.Path,
				PURL: pkg.PURL("gem", "", name, version, nil),
			})
		}
	}
	return out, nil
}
