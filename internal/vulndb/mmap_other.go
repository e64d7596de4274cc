//go:build !unix

package vulndb

import (
	"io"
	"os"
)

// mapFile reads the whole file (no mmap on this platform).
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

// advise does nothing: mapFile read the whole file.
func advise([]byte, access) {}

// willNeed does nothing: mapFile read the whole file.
func willNeed([]byte, uint64, uint64) {}

// lockFile does not lock on this platform: concurrent writers are not
// detected.
func lockFile(*os.File) (bool, error) { return true, nil }
