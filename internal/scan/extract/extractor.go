package extract

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor finds packages of one format in an image.
type Extractor interface {
	// Name identifies the extractor ("os/apk", "go/binary"); it is stable
	// and unique.
	Name() string
	// Version is bumped whenever the extractor's results may change for the
	// same input; it is part of the inventory cache key.
	Version() int
	// Wants reports whether the file at path (clean, relative to the image
	// root, no leading "/") is one the extractor reads; see
	// [layer.Selector]. It runs for every tar entry: keep it to a few string
	// comparisons.
	Wants(path string, fi fs.FileInfo) bool
	// Extract returns the packages found in the files it wanted. It sets
	// every Package field but Layer and LayerDigest, with Path naming the
	// file the package came from. A file it cannot parse is an error when it
	// is the package database (the inventory would be wrong), and is logged
	// and skipped when it is one of many independent manifests. It must not
	// retain in. It fails with an error wrapping [ErrTooManyPackages] as
	// soon as it has found more than in.MaxPackages (see [Input.TooMany]).
	Extract(ctx context.Context, in Input) ([]pkg.Package, error)
}

// Input is what an extractor reads.
type Input struct {
	// FS holds the files the extractor wanted, as of the last layer.
	FS *layer.FS
	// Distro is the detected OS release, nil when unknown.
	Distro *pkg.Distro
	// Platform is the platform the image was built for; the zero value
	// when unknown (a dir: scan).
	Platform Platform
	// Logger is never nil; it carries the extractor's name.
	Logger *slog.Logger
	// MaxPackages, when positive, is the most packages Extract may
	// return.
	MaxPackages int
}

// DefaultMaxPackages is the most packages a [Session] lets an image's
// extractors find in all. The largest real images have tens of thousands;
// a hostile one fits a package in a few bytes (a 64 MiB dpkg status of
// one-line stanzas is 1.3 million packages, 1.3 GB of memory, and the
// layers may keep 256 MiB of such files), so the image fails instead,
// having cost at most about 350 MB.
const DefaultMaxPackages = 500_000

// MaxManifestBytes is the largest manifest (a JSON or YAML lockfile) that
// extractors decode whole: as large as a file the layer reader keeps
// whole ([layer.DefaultMaxFileBytes]), though extractors that reduce
// files see up to four times more. Decoding costs 6 to 12 times a
// manifest's size (a 32 MiB package-lock.json, 230 MB).
const MaxManifestBytes = layer.DefaultMaxFileBytes

// ErrTooManyPackages reports an extractor that found more than
// [Input.MaxPackages] packages.
var ErrTooManyPackages = errors.New("too many packages")

// TooMany returns an error wrapping [ErrTooManyPackages] when n packages
// are more than in.MaxPackages, nil otherwise. Extractors call it as they
// go, so that a hostile file fails before its packages fill memory.
func (in Input) TooMany(n int) error {
	if in.MaxPackages > 0 && n > in.MaxPackages {
		return fmt.Errorf("%w: more than %d", ErrTooManyPackages, in.MaxPackages)
	}
	return nil
}

// Platform is the platform an image was built for, as its config names it
// (GOOS and GOARCH values: "linux", "amd64", "arm64", variant "v7").
// Extractors that read lockfiles listing packages for every platform
// (npm's optional native packages) report only those for this one.
type Platform struct {
	OS, Arch, Variant string
}

// Known reports whether the platform is known.
func (p Platform) Known() bool { return p.OS != "" && p.Arch != "" }

// ParsePlatform returns the platform an "os/arch[/variant]" string names
// (source.Image.Platform: "linux/amd64", "linux/arm/v7"), or the unknown
// platform for anything else (an empty string, a dir: scan).
func ParsePlatform(s string) Platform {
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p
}
