package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/osinfo"
)

// Inventory is what a [Session] found in an image.
type Inventory struct {
	// Distro is the OS release, nil when none was recognised.
	Distro *pkg.Distro
	// Packages are sorted with [pkg.Compare].
	Packages []pkg.Package
	// Layers describes the layers read.
	Layers []layer.Info
	// Anomalies are the suspicious entries the reader neutralised (the first
	// ones), and NumAnomalies how many there were.
	Anomalies    []layer.Anomaly
	NumAnomalies int
}

// Session reads one image's layers and extracts its packages. It is not
// safe for concurrent use.
type Session struct {
	exs         []Extractor
	r           *layer.Reader
	log         *slog.Logger
	platform    Platform
	maxPackages int
}

// ErrDuplicateExtractor is returned by [NewSession] when two extractors
// share a name.
var ErrDuplicateExtractor = errors.New("extract: duplicate extractor name")

// NewSession returns a session running exs. A nil logger discards.
func NewSession(cfg layer.Config, exs []Extractor, log *slog.Logger) (*Session, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sels := []layer.Selector{osinfo.Selector{}}
	seen := make(map[string]bool)
	for _, ex := range exs {
		if seen[ex.Name()] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateExtractor, ex.Name())
		}
		seen[ex.Name()] = true
		sels = append(sels, ex)
	}
	r, err := layer.New(cfg, sels...)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	return &Session{exs: exs, r: r, log: log, maxPackages: DefaultMaxPackages}, nil
}

// SetPlatform sets the platform the image was built for (from its config),
// which extractors receive in [Input.Platform]; it is unknown until set.
func (s *Session) SetPlatform(p Platform) { s.platform = p }

// SetMaxPackages changes the most packages the image's extractors may
// find in all ([DefaultMaxPackages]); an extractor that would pass it
// fails with [ErrTooManyPackages].
func (s *Session) SetMaxPackages(n int) { s.maxPackages = n }

// ReadLayer reads the image's next layer; see [layer.Reader.ReadLayer].
func (s *Session) ReadLayer(ctx context.Context, desc layer.Desc, src io.Reader) error {
	return s.r.ReadLayer(ctx, desc, src)
}

// ReadEntries reads the image's next layer given as entries; see
// [layer.Reader.ReadEntries].
func (s *Session) ReadEntries(ctx context.Context, desc layer.Desc, es layer.Entries) error {
	return s.r.ReadEntries(ctx, desc, es)
}

// Extract detects the OS and runs every extractor on the layers read. When
// extractors fail it returns the inventory of the others together with the
// joined errors.
func (s *Session) Extract(ctx context.Context) (*Inventory, error) {
	inv := &Inventory{Layers: s.r.Layers()}
	inv.Anomalies, inv.NumAnomalies = s.r.Anomalies()
	distro, err := osinfo.Detect(s.r.FS(0))
	if err != nil {
		return inv, fmt.Errorf("extract: os detection: %w", err)
	}
	inv.Distro = distro
	var errs []error
	for i, ex := range s.exs {
		if err := ctx.Err(); err != nil {
			return inv, err
		}
		left := s.maxPackages - len(inv.Packages)
		if left <= 0 {
			errs = append(errs, fmt.Errorf("extractor %s: not run: %w: the image has %d already", ex.Name(), ErrTooManyPackages, len(inv.Packages)))
			continue
		}
		pkgs, err := s.run(ctx, ex, s.r.FS(i+1), distro, left)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		inv.Packages = append(inv.Packages, pkgs...)
	}
	owners, err := s.owners(ctx, distro, inv.Packages)
	if err != nil {
		errs = append(errs, err)
	}
	MarkOwned(inv.Packages, owners)
	for i := range inv.Packages {
		p := &inv.Packages[i]
		if p.Layer >= 0 && p.Layer < len(inv.Layers) {
			p.LayerDigest = inv.Layers[p.Layer].Desc.Digest
		}
	}
	slices.SortFunc(inv.Packages, pkg.Compare)
	return inv, errors.Join(errs...)
}

// run runs one extractor and attributes its packages to layers.
func (s *Session) run(ctx context.Context, ex Extractor, fsys *layer.FS, distro *pkg.Distro, maxPackages int) ([]pkg.Package, error) {
	log := s.log.With("extractor", ex.Name())
	pkgs, err := extractSafely(ctx, ex, Input{FS: fsys, Distro: distro, Platform: s.platform, Logger: log, MaxPackages: maxPackages})
	if err == nil && len(pkgs) > maxPackages {
		err = fmt.Errorf("%w: %d, more than %d", ErrTooManyPackages, len(pkgs), maxPackages)
	}
	if err != nil {
		return nil, fmt.Errorf("extractor %s: %w", ex.Name(), err)
	}
	if len(pkgs) == 0 {
		return nil, nil
	}
	// Group by the file they came from, then attribute per file.
	byPath := make(map[string][]int)
	for i := range pkgs {
		byPath[pkgs[i].Path] = append(byPath[pkgs[i].Path], i)
	}
	quiet := slog.New(slog.DiscardHandler)
	for path, idx := range byPath {
		hist := fsys.History(path)
		if len(hist) == 0 {
			// Not a file the extractor wanted directly (e.g. found through
			// a link): the file's own layer is all there is.
			f, err := fsys.File(path)
			layerIdx := fsys.Layer()
			if err == nil {
				layerIdx = f.Layer
			}
			for _, i := range idx {
				pkgs[i].Layer = layerIdx
			}
			continue
		}
		// introduced[key] is the earliest layer of the unbroken run of
		// versions, ending with the current one, that all yield key;
		// alive holds the keys whose run is still unbroken. Each older
		// version costs its own packages plus the keys alive, never all
		// the keys: a file of a million packages over ten thousand layers
		// that each keep one of them alive is not 10^10 steps.
		cur := hist[len(hist)-1].Layer
		introduced := make(map[string]int, len(idx))
		for _, i := range idx {
			introduced[pkgs[i].Key()] = cur
		}
		alive := slices.Collect(maps.Keys(introduced))
		for v := len(hist) - 2; v >= 0 && len(alive) > 0; v-- {
			old, err := extractSafely(ctx, ex, Input{FS: layer.NewFS(hist[v]), Distro: distro, Platform: s.platform, Logger: quiet, MaxPackages: s.maxPackages})
			if err != nil {
				break // an unreadable older version ends the run
			}
			present := make(map[string]bool, len(old))
			for j := range old {
				present[old[j].Key()] = true
			}
			still := alive[:0]
			for _, k := range alive {
				if present[k] {
					introduced[k] = hist[v].Layer
					still = append(still, k)
				}
			}
			alive = still
		}
		for _, i := range idx {
			pkgs[i].Layer = introduced[pkgs[i].Key()]
		}
	}
	return pkgs, nil
}

// extractSafely runs Extract, turning a panic (a parser bug on hostile
// input) into an error so that one image cannot take the process down.
func extractSafely(ctx context.Context, ex Extractor, in Input) (pkgs []pkg.Package, err error) {
	defer func() {
		if v := recover(); v != nil {
			pkgs, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return ex.Extract(ctx, in)
}

// Reader returns the session's layer reader (for its layer descriptions
// and anomalies).
func (s *Session) Reader() *layer.Reader { return s.r }
