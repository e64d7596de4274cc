package cli

import (
	"fmt"
	"math"

	"github.com/dustin/go-humanize"
)

// byteSize is a flag of bytes that takes a plain number or one with a
// unit ("64MiB", "2GB", "512k"), as config.ByteSize does in settings.
type byteSize int64

func (b *byteSize) String() string { return humanize.IBytes(uint64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("not a size (want bytes, or a number with a unit such as 64MiB or 2GB)")
	}
	if n > math.MaxInt64 {
		return fmt.Errorf("%s is too large", s)
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) Type() string { return "size" }
