//go:build !unix

package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// dirHandle is a directory of a dir: walk, looked at by its path (this
// platform offers no directory-relative calls to os; a directory swapped
// for a link during the walk is followed).
type dirHandle struct{ path string }

func openWalkRoot(root string) (*dirHandle, error) {
	if _, err := os.Stat(root); err != nil {
		return nil, err
	}
	return &dirHandle{path: root}, nil
}

func (d *dirHandle) names() ([]string, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func (d *dirHandle) sub(name string) (*dirHandle, error) {
	p := filepath.Join(d.path, name)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &dirHandle{path: p}, nil
}

func (d *dirHandle) pseudo() bool { return false }

func (d *dirHandle) close() {}

func (d *dirHandle) header(name, rel string) (*tar.Header, error) {
	p := filepath.Join(d.path, name)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dir: %w", err)
	}
	var link string
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(p); err != nil {
			return nil, fmt.Errorf("dir: %w", err)
		}
	case fi.IsDir(), fi.Mode().IsRegular():
	default:
		return nil, nil
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil, fmt.Errorf("dir: %s: %w", p, err)
	}
	h.Name = rel
	if fi.IsDir() {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	return h, nil
}

func openBeneath(root *os.File, rel string) (*os.File, error) {
	return os.Open(filepath.Join(root.Name(), rel))
}
