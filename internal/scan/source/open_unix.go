//go:build unix

package source

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openNoFollow opens p for reading without following a symbolic link in
// its last element (it could lead out of the root) and without blocking
// (opening a FIFO for reading waits for a writer).
func openNoFollow(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s: %w", p, errNotRegular)
	}
	return f, err
}
