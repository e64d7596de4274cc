package dotnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the .NET deps.json extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// ErrInvalid reports a deps.json that cannot be read.
var ErrInvalid = errors.New("invalid deps.json")

// Name implements extract.Extractor.
func (Extractor) Name() string { return "dotnet/deps" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 2 } // 2: manifests over extract.MaxManifestBytes refused

// Wants implements extract.Extractor: <name>.deps.json.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	base := path.Base(p)
	return strings.HasSuffix(base, ".deps.json") && len(base) > len(".deps.json")
}

// depsFile is the part of a deps.json we read.
type depsFile struct {
	RuntimeTarget struct {
		Name string `json:"name"`
	} `json:"runtimeTarget"`
	Targets   map[string]map[string]targetEntry `json:"targets"`
	Libraries *map[string]library               `json:"libraries"`
}

// targetEntry is a library's entry in a target: what it deploys.
type targetEntry struct {
	Dependencies   map[string]json.RawMessage `json:"dependencies"`
	Runtime        map[string]json.RawMessage `json:"runtime"`
	Native         map[string]json.RawMessage `json:"native"`
	RuntimeTargets map[string]json.RawMessage `json:"runtimeTargets"`
	Resources      map[string]json.RawMessage `json:"resources"`
}

func (e targetEntry) empty() bool {
	return len(e.Dependencies)+len(e.Runtime)+len(e.Native)+len(e.RuntimeTargets)+len(e.Resources) == 0
}

type library struct {
	Type string `json:"type"`
}

const runtimePackPrefix = "runtimepack."

// Reduce implements layer.Reducer: it keeps "name\tversion" lines.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	if len(data) > extract.MaxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalid, len(data), extract.MaxManifestBytes)
	}
	var df depsFile
	if err := json.Unmarshal(data, &df); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if df.Libraries == nil {
		return nil, fmt.Errorf("%w: no \"libraries\" object", ErrInvalid)
	}
	target, filter := df.Targets[df.RuntimeTarget.Name]
	var lines []string
	for key, lib := range *df.Libraries {
		t := strings.ToLower(lib.Type)
		if t != "package" && t != "runtimepack" {
			continue
		}
		name, version, ok := strings.Cut(key, "/")
		if !ok || name == "" || version == "" || strings.ContainsAny(key, "\t\n") {
			return nil, fmt.Errorf("%w: library %q: want \"name/version\"", ErrInvalid, trim(key))
		}
		if filter {
			if e, ok := target[key]; !ok || e.empty() {
				continue
			}
		}
		if t == "runtimepack" {
			name = strings.TrimPrefix(name, runtimePackPrefix)
		}
		lines = append(lines, name+"\t"+version)
	}
	if len(lines) == 0 {
		return nil, nil
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n")), nil
}

// trim shortens what error messages quote from hostile input.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "deps.json skipped", "path", f.Path, "err", f.Err)
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
				Name: name, Version: version, Type: pkg.TypeNuGet, Path: f.Path,
				PURL: pkg.PURL("nuget", "", name, version, nil),
			})
		}
	}
	return out, nil
}
