package layer

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for [Config]. They admit every real image seen so far (the largest
// public images have a few hundred thousand files and layers of a few GiB)
// while bounding the work a hostile image can cause.
const (
	DefaultMaxLayerBytes  = 16 << 30 // uncompressed bytes per layer
	DefaultMaxEntries     = 4_000_000
	DefaultMaxFileBytes   = 64 << 20
	DefaultMaxReduceBytes = 256 << 20
	DefaultMaxKeptBytes   = 256 << 20
	DefaultMaxRatio       = 256
	DefaultMaxPathLength  = 4096 // PATH_MAX
	DefaultMaxPathDepth   = 256
	DefaultMaxLinkHops    = 40 // Linux MAXSYMLINKS
	DefaultMaxAnomalies   = 100

	// ratioSlack is how many uncompressed bytes a layer may produce before
	// the ratio limit applies, so that small, very regular layers (a few
	// files of zeros) are not refused.
	ratioSlack = 64 << 20
)

// Config bounds the work a [Reader] does. Zero fields take the defaults
// above; negative values are invalid.
type Config struct {
	// MaxLayerBytes caps the uncompressed size of one layer's tar stream.
	MaxLayerBytes int64
	// MaxEntries caps the number of tar entries over all layers.
	MaxEntries int64
	// MaxFileBytes caps the size of one file the reader keeps whole (a
	// package database, a manifest). A larger wanted file is not read: its
	// [File.Err] is a *LimitError and the scan goes on (extractors decide
	// whether that is fatal).
	MaxFileBytes int64
	// MaxReduceBytes caps the size of a file that only [Reducer]s want
	// (binaries, archives). Such files are read one at a time into one
	// reused buffer, so this is also the peak memory they cost. A larger
	// file gets a *LimitError as its [File.Err], like MaxFileBytes, unless
	// it is read as a stream (StreamFrom bytes or more, wanted only by
	// [StreamReducer]s): that costs no memory, and its bytes pass through
	// the decompressor whether or not anyone looks at them.
	MaxReduceBytes int64
	// MaxKeptBytes caps the bytes kept in memory over all files and layers
	// (contents or reduced contents, including superseded versions).
	MaxKeptBytes int64
	// MaxRatio caps uncompressed/compressed size for compressed layers,
	// checked once a layer has produced 64 MiB.
	MaxRatio int64
	// MaxPathLength caps the length of an entry's path in bytes.
	MaxPathLength int
	// MaxPathDepth caps the number of elements in an entry's path.
	MaxPathDepth int
	// MaxLinkHops caps the symbolic links followed to resolve one path;
	// a longer chain (or a cycle) resolves to nothing.
	MaxLinkHops int
	// MaxAnomalies caps the anomalies recorded; later ones are only counted.
	MaxAnomalies int
	// Timeout caps the total time spent reading layers, measured from
	// [New]; zero means only the callers' contexts bound it.
	Timeout time.Duration
}

// ErrInvalidConfig is returned by [Config.Validate] (wrapped).
var ErrInvalidConfig = errors.New("invalid layer reader config")

// Validate reports a negative field.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxLayerBytes", c.MaxLayerBytes},
		{"MaxEntries", c.MaxEntries},
		{"MaxFileBytes", c.MaxFileBytes},
		{"MaxReduceBytes", c.MaxReduceBytes},
		{"MaxKeptBytes", c.MaxKeptBytes},
		{"MaxRatio", c.MaxRatio},
		{"MaxPathLength", int64(c.MaxPathLength)},
		{"MaxPathDepth", int64(c.MaxPathDepth)},
		{"MaxLinkHops", int64(c.MaxLinkHops)},
		{"MaxAnomalies", int64(c.MaxAnomalies)},
		{"Timeout", int64(c.Timeout)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s is negative (%d)", ErrInvalidConfig, f.name, f.v)
		}
	}
	return nil
}

// withDefaults returns c with zero fields set to the defaults.
func (c Config) withDefaults() Config {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxLayerBytes, DefaultMaxLayerBytes)
	def(&c.MaxEntries, DefaultMaxEntries)
	def(&c.MaxFileBytes, DefaultMaxFileBytes)
	def(&c.MaxReduceBytes, DefaultMaxReduceBytes)
	def(&c.MaxKeptBytes, DefaultMaxKeptBytes)
	def(&c.MaxRatio, DefaultMaxRatio)
	defInt(&c.MaxPathLength, DefaultMaxPathLength)
	defInt(&c.MaxPathDepth, DefaultMaxPathDepth)
	defInt(&c.MaxLinkHops, DefaultMaxLinkHops)
	defInt(&c.MaxAnomalies, DefaultMaxAnomalies)
	return c
}
