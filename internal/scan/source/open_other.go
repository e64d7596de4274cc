//go:build !unix

package source

import (
	"errors"
	"fmt"
	"os"
)

var errNotRegular = errors.New("no longer a regular file")

// openRegular opens p for reading if it is a regular file.
func openRegular(p string) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
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
