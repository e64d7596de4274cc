package layer

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// File is a file of a view: its contents as one selector kept them.
type File struct {
	// Path is clean, relative to the image root, without a leading "/".
	Path string
	// Mode is the mode of the file (of the link's target for a path that is
	// a symbolic link).
	Mode fs.FileMode
	// Size is the size of the file in its layer (before any reduction).
	Size int64
	// Layer is the index of the last layer that changed what Path shows:
	// the layer that wrote the file, or a later one that wrote a symbolic
	// link leading to it.
	Layer int
	// Data is the kept contents, or what the selector's Reduce returned.
	Data []byte
	// Err, when not nil, says why the contents could not be kept (a
	// *LimitError for a file over MaxFileBytes, or a Reduce error); Data
	// is then nil.
	Err error
}

// FS is the view one selector has of the chained filesystem as of one
// layer: the files it wanted, whiteouts applied, symbolic links resolved
// inside the image root. It is read-only and safe for concurrent use once
// the Reader is done reading.
type FS struct {
	state *state
	sel   int
	at    int
	hops  int
}

// FS returns selector sel's view (sel is its position in [New]'s list) as of
// the last layer read. An index that names no selector gives an empty view.
func (r *Reader) FS(sel int) *FS {
	if sel < 0 || sel >= len(r.sels) {
		return &FS{state: newState(), at: -1}
	}
	return &FS{state: r.state, sel: sel, at: len(r.layers) - 1, hops: r.cfg.MaxLinkHops}
}

// NewFS returns a view holding just files (no links, no history), each at
// its Path and Layer. It serves extractors' tests and re-extraction of one
// file's earlier versions.
func NewFS(files ...*File) *FS {
	f := &FS{state: newState(), at: -1, hops: DefaultMaxLinkHops}
	for _, fl := range files {
		p, _, _ := cleanName(fl.Path)
		n := &node{typ: typeFile, layer: fl.Layer, mode: fl.Mode, size: fl.Size, wanted: 1, has: 1,
			kept: []kept{{data: fl.Data, err: fl.Err}}}
		f.state.set(p, fl.Layer, n)
		f.at = max(f.at, fl.Layer)
	}
	return f
}

// At returns the same selector's view as of layer (an index of a layer
// already read; layers above the view's own are not visible).
func (f *FS) At(layer int) *FS {
	g := *f
	g.at = min(layer, f.at)
	return &g
}

// Layer returns the index of the last layer the view includes (-1 if none).
func (f *FS) Layer() int { return f.at }

// Files returns the view's files sorted by path. A symbolic link the
// selector wanted is listed under its own path, with the contents of what
// it resolves to.
func (f *FS) Files() []*File {
	var out []*File
	bit := uint64(1) << f.sel
	lookup := f.state.lookupAt(f.at)
	for p, h := range f.state.paths {
		n := h.at(f.at)
		if n == nil || n.wanted&bit == 0 {
			continue
		}
		switch n.typ {
		case typeFile:
			out = append(out, f.file(p, n, -1))
		case typeSymlink:
			rp, top, ok := resolve(p, lookup, true, f.hops)
			if !ok {
				continue
			}
			if t := lookup(rp); t != nil && t.typ == typeFile && t.has&bit != 0 {
				out = append(out, f.file(p, t, top))
			}
		}
	}
	slices.SortFunc(out, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// File returns the file at name (with or without a leading "/"), following
// symbolic links, if the selector has its contents (it wanted the path, or
// wanted a link leading to it). It returns an error wrapping fs.ErrNotExist when the view
// has no such file, and a *LimitError when resolving it needs more than
// MaxLinkHops links.
func (f *FS) File(name string) (*File, error) {
	p, _, escapes := cleanName(name)
	if escapes || p == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	lookup := f.state.lookupAt(f.at)
	rp, top, ok := resolve(p, lookup, true, f.hops)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name,
			Err: &LimitError{Limit: LimitLinkHops, Max: int64(f.hops), Layer: f.at, Path: p}}
	}
	n := lookup(rp)
	if n == nil || n.typ != typeFile || n.has&(1<<f.sel) == 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.file(p, n, top), nil
}

// ReadFile returns the kept contents of the file at name, or its Err.
func (f *FS) ReadFile(name string) ([]byte, error) {
	fl, err := f.File(name)
	if err != nil {
		return nil, err
	}
	if fl.Err != nil {
		return nil, fmt.Errorf("read %s: %w", fl.Path, fl.Err)
	}
	return fl.Data, nil
}

// History returns the versions of the file at path name (no link
// following) that the view's current one descends from, oldest first: the
// unbroken run of layers that wrote a file there that the selector kept,
// ending with the current one. It is empty when the view has no file at
// name, and for a path that is a symbolic link it holds just the current
// resolved file.
func (f *FS) History(name string) []*File {
	p, _, _ := cleanName(name)
	h := f.state.paths[p]
	if h == nil {
		return nil
	}
	bit := uint64(1) << f.sel
	var out []*File
	for i := len(h.v) - 1; i >= 0; i-- {
		v := h.v[i]
		if v.layer > f.at {
			continue
		}
		n := v.n
		if n == nil || n.wanted&bit == 0 || (n.typ != typeFile && n.typ != typeSymlink) {
			break
		}
		if n.typ == typeSymlink {
			if len(out) == 0 {
				if fl, err := f.File(p); err == nil {
					out = append(out, fl)
				}
			}
			break
		}
		out = append(out, f.file(p, n, -1))
	}
	slices.Reverse(out)
	return out
}

func (f *FS) file(p string, n *node, linkLayer int) *File {
	k := n.kept[f.sel]
	return &File{Path: p, Mode: n.mode, Size: n.size, Layer: max(n.layer, linkLayer), Data: k.data, Err: k.err}
}
