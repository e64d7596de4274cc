package layer

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors, wrapped with the layer and the detail.
var (
	// ErrCorrupt: the layer is not a readable (compressed) tar stream.
	ErrCorrupt = errors.New("corrupt layer")
	// ErrTruncated: the layer stream ended in the middle of a compressed
	// frame, a tar header or a file's contents. It wraps ErrCorrupt.
	ErrTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
	// ErrUnsupportedCompression: the layer is compressed with a format the
	// reader does not decode (xz, bzip2, lz4).
	ErrUnsupportedCompression = errors.New("unsupported layer compression")
	// ErrDiffIDMismatch: the uncompressed layer does not hash to the
	// expected diff_id.
	ErrDiffIDMismatch = errors.New("layer diff_id mismatch")
	// ErrReaderFailed: an earlier layer failed; the Reader holds no usable
	// state for later layers.
	ErrReaderFailed = errors.New("layer reader failed earlier")
	// ErrOmitted: the reader needed the contents of a file that a skeleton
	// stream left out (see Desc.Omitted).
	ErrOmitted = errors.New("layer file contents omitted")
	// ErrUnreadable: an [Entries] source could not give one file's
	// contents (a directory's file its user may not read). Returned by
	// Entries.Read, it leaves that file out, each selector that wanted it
	// seeing the error, instead of failing the layer.
	ErrUnreadable = errors.New("file unreadable")
	// ErrLimit matches every *LimitError with errors.Is.
	ErrLimit = errors.New("limit exceeded")
)

// Limit names one of the [Config] limits.
type Limit string

// Limits, named after the [Config] field that sets them.
const (
	LimitLayerBytes = Limit("MaxLayerBytes")
	LimitEntries    = Limit("MaxEntries")
	LimitFileBytes  = Limit("MaxFileBytes")
	LimitReduce     = Limit("MaxReduceBytes")
	LimitKeptBytes  = Limit("MaxKeptBytes")
	LimitRatio      = Limit("MaxRatio")
	LimitPathLength = Limit("MaxPathLength")
	LimitPathDepth  = Limit("MaxPathDepth")
	LimitLinkHops   = Limit("MaxLinkHops")
	LimitTime       = Limit("Timeout")
)

// LimitError reports that a layer exceeded one of the [Config] limits.
type LimitError struct {
	Limit Limit
	Max   int64  // the configured value (nanoseconds for LimitTime)
	Layer int    // index of the layer being read; -1 for the image as a whole
	Path  string // entry being read, when the limit concerns one
	Err   error  // underlying cause (the context's error for LimitTime)
}

func (e *LimitError) Error() string {
	var what string
	switch e.Limit {
	case LimitLayerBytes:
		what = fmt.Sprintf("uncompressed layer larger than %d bytes", e.Max)
	case LimitEntries:
		what = fmt.Sprintf("more than %d tar entries", e.Max)
	case LimitFileBytes:
		what = fmt.Sprintf("file larger than %d bytes", e.Max)
	case LimitReduce:
		what = fmt.Sprintf("file larger than %d bytes", e.Max)
	case LimitKeptBytes:
		what = fmt.Sprintf("more than %d bytes of wanted files", e.Max)
	case LimitRatio:
		what = fmt.Sprintf("decompression ratio above %d:1 (compression bomb?)", e.Max)
	case LimitPathLength:
		what = fmt.Sprintf("path longer than %d bytes", e.Max)
	case LimitPathDepth:
		what = fmt.Sprintf("path deeper than %d elements", e.Max)
	case LimitLinkHops:
		what = fmt.Sprintf("more than %d symbolic links to follow", e.Max)
	case LimitTime:
		what = "time limit reached"
		if e.Max > 0 {
			what = fmt.Sprintf("still reading layers after %s", time.Duration(e.Max))
		}
	default:
		what = string(e.Limit)
	}
	s := fmt.Sprintf("%s: %s (%s)", ErrLimit, what, e.Limit)
	if e.Layer >= 0 {
		s = fmt.Sprintf("layer %d: %s", e.Layer, s)
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *LimitError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrLimit) true for every *LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Named wraps err, an error reading layer i (digest d) of an image, as
// "layer i (d): ..." ("layer i: ..." without a digest), saying the index
// once when err begins with it (as this package's errors do).
func Named(i int, d string, err error) error { return &namedError{i: i, digest: d, err: err} }

type namedError struct {
	i      int
	digest string
	err    error
}

func (e *namedError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), fmt.Sprintf("layer %d: ", e.i))
	if e.digest == "" { // a dir: source's only layer
		return fmt.Sprintf("layer %d: %s", e.i, msg)
	}
	return fmt.Sprintf("layer %d (%s): %s", e.i, e.digest, msg)
}

func (e *namedError) Unwrap() error { return e.err }
