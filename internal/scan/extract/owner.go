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
	// Owners returns the installed package that owns each file for which
	// want is true, by path (clean, relative to the image root, no
	// leading "/"), read from the same view [Extractor.Extract] gets.
	// Only the files wanted are kept: file lists name every file of the
	// image (and a hostile one millions more), while want asks about
	// the few that hold language packages.
	Owners(ctx context.Context, in Input, want func(path string) bool) (map[string]string, error)
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

// owners merges what every FileOwner extractor reports about the files
// that language packages in pkgs were found in.
func (s *Session) owners(ctx context.Context, distro *pkg.Distro, pkgs []pkg.Package) (map[string]string, error) {
	paths := make(map[string]bool)
	for i := range pkgs {
		if !pkgs[i].Type.IsOS() {
			paths[pkgs[i].Path] = true
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	want := func(p string) bool { return paths[p] }
	var all map[string]string
	for i, ex := range s.exs {
		fo, ok := ex.(FileOwner)
		if !ok {
			continue
		}
		in := Input{FS: s.r.FS(i + 1), Distro: distro, Platform: s.platform, Logger: s.log.With("extractor", ex.Name()), MaxPackages: s.maxPackages}
		m, err := ownersSafely(ctx, fo, in, want)
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

func ownersSafely(ctx context.Context, fo FileOwner, in Input, want func(string) bool) (m map[string]string, err error) {
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return fo.Owners(ctx, in, want)
}
