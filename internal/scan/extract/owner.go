package extract

import (
	"context"
	"fmt"

	"github.com/drydock/drydock/internal/pkg"
)

// FileOwner is implemented by OS package extractors that know which files
// their installed packages put in the image (dpkg's info/*.list, apk's F:
// and R: lines).
type FileOwner interface {
	// Owners returns the installed package that owns each file, by path
	// (clean, relative to the image root, no leading "/"), read from the
	// same view [Extractor.Extract] gets.
	Owners(ctx context.Context, in Input) (map[string]string, error)
}

// MarkOwned sets OwnedBy on each language package whose Path an OS package
// owns (see [pkg.Package.OwnedBy]). It is a post-processing step over a
// final inventory, so it holds however the inventory was assembled.
func MarkOwned(pkgs []pkg.Package, owners map[string]string) {
	if len(owners) == 0 {
		return
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Type.IsOS() {
			continue
		}
		if o, ok := owners[p.Path]; ok {
			p.OwnedBy = o
		}
	}
}

// owners merges what every FileOwner extractor reports.
func (s *Session) owners(ctx context.Context, distro *pkg.Distro) (map[string]string, error) {
	var all map[string]string
	for i, ex := range s.exs {
		fo, ok := ex.(FileOwner)
		if !ok {
			continue
		}
		in := Input{FS: s.r.FS(i + 1), Distro: distro, Logger: s.log.With("extractor", ex.Name())}
		m, err := ownersSafely(ctx, fo, in)
		if err != nil {
			return all, fmt.Errorf("extractor %s: file owners: %w", ex.Name(), err)
		}
		if all == nil {
			all = m
			continue
		}
		for k, v := range m {
			if _, dup := all[k]; !dup {
				all[k] = v
			}
		}
	}
	return all, nil
}

func ownersSafely(ctx context.Context, fo FileOwner, in Input) (m map[string]string, err error) {
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return fo.Owners(ctx, in)
}
