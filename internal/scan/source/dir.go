package source

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	wk := &walker{ctx: ctx, root: d.root}
	w := &dirWalk{walker: wk, ahead: make(chan walked, walkAhead), done: make(chan struct{})}
	if w.root, w.err = os.Open(d.root); w.err != nil {
		w.err = fmt.Errorf("dir: %w", w.err)
		close(w.ahead)
		return w
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(w.ahead)
		defer wk.close()
		for {
			h, err := wk.next()
			select {
			case w.ahead <- walked{h, err}:
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

// walked is one step of the walk: an entry, or the error that ended the
// walk (io.EOF at its end).
type walked struct {
	h   *tar.Header
	err error
}

// dirWalk gives a walk's entries, one per Next, and the contents of the
// current one.
type dirWalk struct {
	walker *walker
	root   *os.File // the root directory: files are opened beneath it
	ahead  chan walked
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error // the walk's end, once seen

	// The current regular file: opened by the first Read.
	cur  *tar.Header
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
		w.cur, w.left = s.h, s.h.Size
	}
	return s.h, nil
}

// walker walks a directory tree in lexical order, parents before their
// contents (as filepath.WalkDir does). It holds open each directory it
// is in and looks at that directory's entries relative to it (see
// dirHandle), so that a directory swapped for a link during the walk
// cannot lead it out of the root.
type walker struct {
	ctx     context.Context
	root    string
	started bool
	stack   []walkFrame // the directories the walk is in, innermost last
	n       int

	// Entries left out because the walk may not read them, and the
	// first of them.
	mu        sync.Mutex
	skipped   int
	firstSkip string
}

// walkFrame is an open directory and its entries still to visit.
type walkFrame struct {
	dir   *dirHandle
	rel   string // from the root; "." for the root
	names []string
}

// next returns the next entry's header; io.EOF after the last.
func (w *walker) next() (*tar.Header, error) {
	if !w.started {
		w.started = true
		d, err := openWalkRoot(w.root)
		if err != nil {
			return nil, fmt.Errorf("dir: %w", err)
		}
		if err := w.push(d, "."); err != nil {
			return nil, err
		}
	}
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if len(top.names) == 0 {
			top.dir.close()
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		name := top.names[0]
		top.names = top.names[1:]
		if w.n++; w.n%256 == 0 {
			if err := w.ctx.Err(); err != nil {
				return nil, err
			}
		}
		rel := path.Join(top.rel, name)
		h, err := top.dir.header(name, rel)
		if errors.Is(err, fs.ErrPermission) {
			w.skip(rel)
			continue
		}
		if err != nil {
			return nil, err
		}
		if h == nil {
			continue // removed during the walk, or not a file kind we list
		}
		if h.Typeflag == tar.TypeDir {
			if err := w.enter(top.dir, name, rel); err != nil {
				return nil, err
			}
		}
		return h, nil
	}
	return nil, io.EOF
}

// enter opens directory name of parent (rel from the root) for the walk
// to visit its entries next: none for a kernel file system mounted
// inside the root (/proc, /sys of a live system), nor for a directory the
// walk may not read, nor for one removed or replaced since its lstat.
func (w *walker) enter(parent *dirHandle, name, rel string) error {
	d, err := parent.sub(name)
	switch {
	case errors.Is(err, fs.ErrPermission):
		w.skip(rel + "/")
		return nil
	case err != nil:
		return fmt.Errorf("dir: %w", err)
	case d == nil:
		return nil
	case d.pseudo():
		d.close()
		return nil
	}
	return w.push(d, rel)
}

// push lists directory d (rel from the root) and makes it the one the
// walk is in; d is closed when its entries are done.
func (w *walker) push(d *dirHandle, rel string) error {
	names, err := d.names()
	if err != nil {
		d.close()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // removed during the walk
		case errors.Is(err, fs.ErrPermission):
			w.skip(rel + "/")
			return nil
		}
		return fmt.Errorf("dir: %w", err)
	}
	slices.Sort(names)
	w.stack = append(w.stack, walkFrame{dir: d, rel: rel, names: names})
	return nil
}

// close closes the directories the walk is in.
func (w *walker) close() {
	for _, f := range w.stack {
		f.dir.close()
	}
	w.stack = nil
}

func (w *walker) skip(rel string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.skipped++; w.skipped == 1 {
		w.firstSkip = rel
	}
}

// Skipped returns how many entries the walk left out because it may not
// read them (permission denied), and the first of them.
func (w *dirWalk) Skipped() (n int, first string) {
	w.walker.mu.Lock()
	defer w.walker.mu.Unlock()
	return w.walker.skipped, w.walker.firstSkip
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
		f, err := openRegular(w.root, w.cur.Name)
		if err != nil {
			return 0, err
		}
		w.f = f
	}
	n, err := w.f.Read(b)
	w.left -= int64(n)
	if errors.Is(err, io.EOF) {
		w.pad, err = true, nil
	}
	if err != nil {
		return n, fmt.Errorf("dir: %s: %w", w.f.Name(), err)
	}
	return n, nil
}

// errNotRegular: a path the walk saw as a regular file was something else
// when it was opened (replaced during the walk).
var errNotRegular = errors.New("no longer a regular file")

// openRegular opens the file rel beneath root for reading, if it is
// still the regular file the walk saw. Anything else, a file removed or
// replaced since (by a symbolic link, a FIFO, a device, or a directory on
// its path by a link) or one the walk may not read, is
// layer.ErrUnreadable: that one file is left out.
func openRegular(root *os.File, rel string) (*os.File, error) {
	f, err := openBeneath(root, rel)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s: %w", f.Name(), errNotRegular)
		}
		if err != nil {
			f.Close()
		}
	}
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist), errors.Is(err, errNotRegular):
		return nil, fmt.Errorf("dir: %w: %w", layer.ErrUnreadable, err)
	}
	return nil, fmt.Errorf("dir: %w", err)
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
	if w.root != nil {
		w.root.Close()
		w.root = nil
	}
	if w.err == nil {
		w.err = errors.New("dir: walk closed")
	}
	return nil
}
