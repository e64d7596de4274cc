package layer

import "io/fs"

// nodeType is what a tracked path holds in one layer.
type nodeType uint8

const (
	typeFile    nodeType = iota + 1 // regular file kept for at least one selector
	typeSymlink                     // symbolic link (all are tracked)
	typeDir                         // directory that replaced a tracked path
	typeOther                       // anything else that replaced a tracked path
)

// node is one version of a tracked path.
type node struct {
	typ    nodeType
	layer  int
	mode   fs.FileMode
	size   int64
	target string // symlink target as written in the tar
	// wanted has bit i set when selector i wanted this path: the view of
	// selector i lists it.
	wanted uint64
	// has has bit i set when kept[i] holds something for selector i: it
	// wanted the path, or a symbolic link it wanted leads here.
	has  uint64
	kept []kept // per selector; typeFile only
}

// kept is what the reader kept of a file for one selector.
type kept struct {
	data []byte
	err  error
}

// version is a node written by a layer; n == nil records a deletion.
type version struct {
	layer int
	n     *node
}

// hist is the history of one path over the layers read, oldest first.
type hist struct{ v []version }

// at returns the node visible at layer (nil if none or deleted).
func (h *hist) at(layer int) *node {
	for i := len(h.v) - 1; i >= 0; i-- {
		if h.v[i].layer <= layer {
			return h.v[i].n
		}
	}
	return nil
}

// live returns the newest node (nil if none or deleted).
func (h *hist) live() *node {
	if len(h.v) == 0 {
		return nil
	}
	return h.v[len(h.v)-1].n
}

// state is the chained filesystem of tracked paths: every symbolic link, and
// the regular files some selector wanted, with their history.
type state struct {
	paths map[string]*hist
	// dirs holds every ancestor directory of a path ever tracked, so that
	// removing a directory's contents scans paths only when there may be
	// something to remove.
	dirs map[string]struct{}
	// links counts symlink versions ever added (a fast path: no links, no
	// resolution).
	links int
}

func newState() *state {
	return &state{paths: make(map[string]*hist), dirs: make(map[string]struct{})}
}

// lookupAt returns a lookup function for the view at layer.
func (s *state) lookupAt(layer int) lookupFunc {
	return func(p string) *node {
		if h := s.paths[p]; h != nil {
			return h.at(layer)
		}
		return nil
	}
}

// live returns the newest node at p.
func (s *state) live(p string) *node {
	if h := s.paths[p]; h != nil {
		return h.live()
	}
	return nil
}

// set records n as the version of p written by layer. Directory and
// "other" nodes are recorded only when they replace something.
func (s *state) set(p string, layer int, n *node) {
	h := s.paths[p]
	if n.typ == typeDir || n.typ == typeOther {
		if h == nil || h.live() == nil {
			return
		}
		if n.typ == typeDir && h.live().typ == typeDir {
			return
		}
	}
	if h == nil {
		h = &hist{}
		s.paths[p] = h
		for d := parent(p); ; d = parent(d) {
			if _, ok := s.dirs[d]; ok {
				break
			}
			s.dirs[d] = struct{}{}
			if d == "" {
				break
			}
		}
	}
	if k := len(h.v); k > 0 && h.v[k-1].layer == layer {
		h.v[k-1].n = n
		return
	}
	h.v = append(h.v, version{layer: layer, n: n})
}

// remove records the deletion of p by layer (when it is live below layer).
func (s *state) remove(p string, layer int) {
	h := s.paths[p]
	if h == nil {
		return
	}
	k := len(h.v)
	if k == 0 || h.v[k-1].n == nil || h.v[k-1].layer >= layer {
		return
	}
	h.v = append(h.v, version{layer: layer})
}
