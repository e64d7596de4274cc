package source

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir is a root filesystem in a directory (an unpacked image), scanned as
// one layer. The layer is a tar stream produced on the fly from a walk of
// the directory: regular files, directories and symbolic links (never
// followed; the layer reader resolves them inside the image root). Device
// files, sockets and FIFOs are left out; hard-linked files appear once per
// name. Nothing is written anywhere.
type Dir struct {
	root string
}

// OpenDir opens the root filesystem in dir.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: dir: needs a directory, as dir:ROOTFS", ErrInvalidReference)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("dir: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("dir %s: %w", dir, ErrNotFound)
		}
		return nil, fmt.Errorf("dir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrInvalidReference, dir)
	}
	return &Dir{root: abs}, nil
}

// Images implements [Source]: one image with one layer and no digest.
func (d *Dir) Images(context.Context) ([]*Image, error) {
	im := &Image{
		Repository: PrefixDir + d.root,
		Layers:     []Layer{{MediaType: "application/vnd.oci.image.layer.v1.tar", Size: -1}},
	}
	im.open = func(ctx context.Context, _ int) (io.ReadCloser, error) { return d.stream(ctx), nil }
	return []*Image{im}, nil
}

// Close implements [Source].
func (d *Dir) Close() error { return nil }

// Name implements [Source].
func (d *Dir) Name() string { return PrefixDir + d.root }

// stream returns the directory as a tar stream. Closing the reader stops
// the walk.
func (d *Dir) stream(ctx context.Context) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // removed during the walk
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, err := filepath.Rel(d.root, p)
			if err != nil || rel == "." {
				return err
			}
			return writeEntry(tw, p, filepath.ToSlash(rel), e)
		})
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// writeEntry writes the tar entry of one file of the walk.
func writeEntry(tw *tar.Writer, p, name string, e fs.DirEntry) error {
	fi, err := e.Info()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("dir: %w", err)
	}
	var link string
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(p); err != nil {
			return fmt.Errorf("dir: %w", err)
		}
	case fi.IsDir(), fi.Mode().IsRegular():
	default:
		return nil // devices, sockets, FIFOs
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("dir: %s: %w", p, err)
	}
	h.Name = name
	if fi.IsDir() {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("dir: %w", err)
	}
	defer f.Close()
	n, err := io.CopyN(tw, f, h.Size)
	if errors.Is(err, io.EOF) {
		// The file shrank during the walk: pad it to its header size.
		_, err = io.CopyN(tw, zeros{}, h.Size-n)
	}
	if err != nil {
		return fmt.Errorf("dir: %s: %w", p, err)
	}
	return nil
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
