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
	"sync"

	"github.com/drydock/drydock/internal/scan/layer"
)

// Dir is a root filesystem in a directory (an unpacked image), scanned as
// one layer: a walk of the directory giving regular files, directories and
// symbolic links (never followed; the layer reader resolves them inside the
// image root). Device files, sockets and FIFOs are left out; hard-linked
// files appear once per name. The scan takes the walk as entries
// ([Image.OpenEntries]) and opens only the files its extractors want;
// OpenLayer gives the same walk as a tar stream. Nothing is written
// anywhere.
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
	im.entries = func(ctx context.Context, _ int) (Entries, error) { return d.entries(ctx), nil }
	return []*Image{im}, nil
}

// Close implements [Source].
func (d *Dir) Close() error { return nil }

// Name implements [Source].
func (d *Dir) Name() string { return PrefixDir + d.root }

// stream returns the directory as a tar stream, the walk of
// [Dir.entries] written out. Closing the reader stops the walk.
func (d *Dir) stream(ctx context.Context) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		w := d.entries(ctx)
		defer w.Close()
		tw := tar.NewWriter(pw)
		buf := make([]byte, 256<<10)
		var err error
		for {
			var h *tar.Header
			if h, err = w.Next(); err != nil {
				break
			}
			if err = tw.WriteHeader(h); err != nil {
				break
			}
			if h.Typeflag == tar.TypeReg {
				if _, err = io.CopyBuffer(tw, w, buf); err != nil {
					break
				}
			}
		}
		if errors.Is(err, io.EOF) {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// entries is the layer as entries (see [Image.OpenEntries]): the walk,
// with a file opened only when its contents are read, so that a scan
// reads the files its extractors want and no others. The walk itself
// (readdir and lstat of every entry, half of a warm scan's time) runs
// ahead in a goroutine of its own.
func (d *Dir) entries(ctx context.Context) *dirWalk {
	wk := &walker{ctx: ctx, root: d.root, stack: [][]walkItem{{{rel: ".", dir: true}}}}
	w := &dirWalk{walker: wk, ahead: make(chan walked, walkAhead), done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(w.ahead)
		for {
			h, p, err := wk.next()
			select {
			case w.ahead <- walked{h, p, err}:
			case <-w.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

// walkAhead is how many entries the walk may run ahead of the reader.
const walkAhead = 512

// walked is one step of the walk: an entry and its file, or the error
// that ended the walk (io.EOF at its end).
type walked struct {
	h    *tar.Header
	path string
	err  error
}

// dirWalk gives a walk's entries, one per Next, and the contents of the
// current one.
type dirWalk struct {
	walker *walker
	ahead  chan walked
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error // the walk's end, once seen

	// The current regular file: opened by the first Read.
	cur  *tar.Header
	path string
	f    *os.File
	left int64 // bytes of cur still to give
	pad  bool  // the file shrank: the rest reads as zeros
}

// Next returns the next entry's header; io.EOF after the last.
func (w *dirWalk) Next() (*tar.Header, error) {
	w.closeFile()
	if w.err != nil {
		return nil, w.err
	}
	s, ok := <-w.ahead
	if !ok {
		s.err = errors.New("dir: walk closed")
	}
	if s.err != nil {
		w.err = s.err
		return nil, s.err
	}
	if s.h.Typeflag == tar.TypeReg {
		w.cur, w.path, w.left = s.h, s.path, s.h.Size
	}
	return s.h, nil
}

// walker walks a directory tree in lexical order, parents before their
// contents (as filepath.WalkDir does).
type walker struct {
	ctx   context.Context
	root  string
	stack [][]walkItem // per open directory, the entries still to visit
	n     int

	// Entries left out because the walk may not read them, and the
	// first of them.
	mu        sync.Mutex
	skipped   int
	firstSkip string
}

type walkItem struct {
	rel string
	dir bool
}

// next returns the next entry's header and path; io.EOF after the last.
func (w *walker) next() (*tar.Header, string, error) {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if len(*top) == 0 {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		it := (*top)[0]
		*top = (*top)[1:]
		if w.n++; w.n%256 == 0 {
			if err := w.ctx.Err(); err != nil {
				return nil, "", err
			}
		}
		p := filepath.Join(w.root, it.rel)
		if it.dir {
			if err := w.push(p, it.rel); err != nil {
				return nil, "", err
			}
		}
		if it.rel == "." {
			continue
		}
		h, err := header(p, filepath.ToSlash(it.rel))
		if errors.Is(err, fs.ErrPermission) {
			w.skip(it.rel)
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if h == nil {
			continue // removed during the walk, or not a file kind we list
		}
		return h, p, nil
	}
	return nil, "", io.EOF
}

// push adds the entries of directory p (rel from the root) to visit next:
// none for a kernel file system mounted inside the root (/proc, /sys of a
// live system), nor for a directory the walk may not read.
func (w *walker) push(p, rel string) error {
	if rel != "." && pseudoFS(p) {
		return nil
	}
	des, err := os.ReadDir(p)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // removed during the walk
		case errors.Is(err, fs.ErrPermission):
			w.skip(rel + "/")
			return nil
		}
		return fmt.Errorf("dir: %w", err)
	}
	items := make([]walkItem, len(des))
	for i, de := range des {
		items[i] = walkItem{rel: filepath.Join(rel, de.Name()), dir: de.IsDir()}
	}
	w.stack = append(w.stack, items)
	return nil
}

func (w *walker) skip(rel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.skipped++; w.skipped == 1 {
		w.firstSkip = filepath.ToSlash(rel)
	}
}

// Skipped returns how many entries the walk left out because it may not
// read them (permission denied), and the first of them.
func (w *dirWalk) Skipped() (n int, first string) {
	w.walker.mu.Lock()
	defer w.walker.mu.Unlock()
	return w.walker.skipped, w.walker.firstSkip
}

// header is the tar header of the file at p, named name; nil for a file
// removed during the walk and for devices, sockets and FIFOs.
func header(p, name string) (*tar.Header, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
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
	h.Name = name
	if fi.IsDir() {
		h.Name += "/"
	}
	h.Uname, h.Gname = "", ""
	return h, nil
}

// Read reads the current regular file: exactly its header's size, the
// part past its end read as zeros if it shrank during the walk, and
// nothing past that size if it grew.
func (w *dirWalk) Read(b []byte) (int, error) {
	if w.cur == nil || w.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > w.left {
		b = b[:w.left]
	}
	if w.pad {
		clear(b)
		w.left -= int64(len(b))
		return len(b), nil
	}
	if w.f == nil {
		f, err := openRegular(w.path)
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, errNotRegular) {
			return 0, fmt.Errorf("dir: %w: %w", layer.ErrUnreadable, err)
		}
		if err != nil {
			return 0, fmt.Errorf("dir: %w", err)
		}
		w.f = f
	}
	n, err := w.f.Read(b)
	w.left -= int64(n)
	if errors.Is(err, io.EOF) {
		w.pad, err = true, nil
	}
	if err != nil {
		return n, fmt.Errorf("dir: %s: %w", w.path, err)
	}
	return n, nil
}

// errNotRegular: a path the walk saw as a regular file was something else
// when it was opened (replaced during the walk).
var errNotRegular = errors.New("no longer a regular file")

// openRegular opens p for reading only if it is still the regular file
// the walk saw: not a symbolic link, FIFO or device swapped in since.
func openRegular(p string) (*os.File, error) {
	f, err := openNoFollow(p)
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

func (w *dirWalk) closeFile() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.cur, w.pad = nil, false
}

// Close ends the walk; its goroutine is gone when Close returns.
func (w *dirWalk) Close() error {
	w.closeFile()
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
	if w.err == nil {
		w.err = errors.New("dir: walk closed")
	}
	return nil
}
