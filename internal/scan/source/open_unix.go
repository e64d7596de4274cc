//go:build unix

package source

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errNotRegular: a path the walk saw as a regular file was something else
// when it was opened (replaced during the walk).
var errNotRegular = errors.New("no longer a regular file")

// openRegular opens p for reading only if it is still the regular file
// the walk saw: a symbolic link swapped in is not followed (it could lead
// out of the root), and a FIFO or device swapped in is refused without
// blocking (opening a FIFO for reading waits for a writer).
func openRegular(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: %w", p, errNotRegular)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, errNotRegular)
	}
	return f, nil
}
