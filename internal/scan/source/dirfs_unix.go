//go:build unix

package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dirHandle is an open directory of a dir: walk. Its entries are looked
// at relative to it (fstatat, readlinkat, openat), never by a path from
// the root: a directory swapped for a symbolic link during the walk
// cannot take the walk out of the root.
type dirHandle struct {
	f    *os.File
	path string // for messages
}

// openWalkRoot opens the root directory of a walk.
func openWalkRoot(root string) (*dirHandle, error) {
	f, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	return &dirHandle{f: f, path: root}, nil
}

func (d *dirHandle) fd() int { return int(d.f.Fd()) }

// names lists the directory's entries.
func (d *dirHandle) names() ([]string, error) { return d.f.Readdirnames(-1) }

// sub opens the directory name inside d, without following a symbolic
// link; nil, nil when it is gone or no longer a directory.
func (d *dirHandle) sub(name string) (*dirHandle, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Openat(d.fd(), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		return err
	})
	p := filepath.Join(d.path, name)
	switch {
	case err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP:
		return nil, nil
	case err != nil:
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	return &dirHandle{f: os.NewFile(uintptr(fd), p), path: p}, nil
}

// pseudo reports whether d is on a kernel file system (see pseudoFS).
func (d *dirHandle) pseudo() bool { return pseudoFS(d.fd()) }

func (d *dirHandle) close() { d.f.Close() }

// header is the tar header of entry name of d, named rel; nil for an
// entry removed during the walk and for devices, sockets and FIFOs.
func (d *dirHandle) header(name, rel string) (*tar.Header, error) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err == unix.ENOENT {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dir: %w", &fs.PathError{Op: "lstat", Path: filepath.Join(d.path, name), Err: err})
	}
	h := &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()).Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, rel+"/"
	case unix.S_IFLNK:
		h.Typeflag = tar.TypeSymlink
		if h.Linkname, err = d.readlink(name); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, fmt.Errorf("dir: %w", err)
		}
	default:
		return nil, nil
	}
	return h, nil
}

// readlink reads the symbolic link name of d.
func (d *dirHandle) readlink(name string) (string, error) {
	for n := 256; ; n *= 2 {
		b := make([]byte, n)
		var m int
		err := ignoringEINTR(func() (err error) {
			m, err = unix.Readlinkat(d.fd(), name, b)
			return err
		})
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: filepath.Join(d.path, name), Err: err}
		}
		if m < n {
			return string(b[:m]), nil
		}
	}
}

// openBeneath opens the regular file at rel under the walk's root for
// reading: every element of rel is opened relative to the one before,
// and none may be a symbolic link (the walk saw none there, so one now
// was swapped in, and could lead out of the root). A FIFO swapped in
// opens without waiting for a writer; the caller checks what it opened.
func openBeneath(root *os.File, rel string) (*os.File, error) {
	p := filepath.Join(root.Name(), rel)
	dir := int(root.Fd())
	elems := strings.Split(filepath.ToSlash(rel), "/")
	for i, e := range elems {
		last := i == len(elems)-1
		flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if last {
			flags |= unix.O_NONBLOCK
		} else {
			flags |= unix.O_DIRECTORY
		}
		var fd int
		err := ignoringEINTR(func() (err error) {
			fd, err = unix.Openat(dir, e, flags, 0)
			return err
		})
		if dir != int(root.Fd()) {
			unix.Close(dir)
		}
		if err == unix.ELOOP || (err == unix.ENOTDIR && !last) {
			return nil, fmt.Errorf("%s: %w", p, errNotRegular)
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		if last {
			return os.NewFile(uintptr(fd), p), nil
		}
		dir = fd
	}
	return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.EINVAL}
}

// ignoringEINTR retries fn while it is interrupted by a signal.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
