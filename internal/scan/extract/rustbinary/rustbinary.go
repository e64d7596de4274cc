package rustbinary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// minSize is the smallest file worth opening.
const minSize = 4 << 10

// Extractor is the cargo-auditable extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// ErrInvalid reports audit data that cannot be read.
var ErrInvalid = errors.New("invalid cargo-auditable data")

// Name implements extract.Extractor.
func (Extractor) Name() string { return "rust/cargo-auditable" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 1 }

// Wants implements extract.Extractor: executable regular files.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	m := fi.Mode()
	return m.IsRegular() && m&0o111 != 0 && fi.Size() >= minSize
}

// Reduce implements layer.Reducer: it keeps "name\tversion" lines for the
// reported crates of a binary with audit data, nothing of other files.
func (Extractor) Reduce(_ string, data []byte) ([]byte, error) {
	if format(data) == "" || !bytes.Contains(data, []byte(sectionName)) {
		return nil, nil
	}
	raw, err := section(data)
	if err != nil || raw == nil {
		return nil, err
	}
	crates, err := decode(raw)
	if err != nil {
		return nil, err
	}
	return kept(crates), nil
}

// kept is what Reduce keeps of a binary's crates: "name\tversion" lines,
// nil for none.
func kept(crates []crate) []byte {
	if len(crates) == 0 {
		return nil
	}
	lines := make([]string, len(crates))
	for i, c := range crates {
		lines[i] = c.Name + "\t" + c.Version
	}
	return []byte(strings.Join(lines, "\n"))
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			// One unreadable binary should not hide the rest of the image.
			in.Logger.WarnContext(ctx, "rust binary skipped", "path", f.Path, "err", f.Err)
			continue
		}
		for l := range bytes.Lines(f.Data) {
			name, version, ok := strings.Cut(string(bytes.TrimSuffix(l, []byte("\n"))), "\t")
			if !ok {
				continue
			}
			if err := in.TooMany(len(out) + 1); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Path, err)
			}
			out = append(out, pkg.Package{
				Name: name, Version: version, Type: pkg.TypeCargo, Path: f.Path,
				PURL: pkg.PURL("cargo", "", name, version, nil),
			})
		}
	}
	return out, nil
}
