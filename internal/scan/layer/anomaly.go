package layer

// AnomalyKind names a kind of suspicious tar entry.
type AnomalyKind string

// Anomaly kinds. None of them fails a layer: the entry is neutralised as
// described and reading goes on. Nothing is ever written to disk, so none of
// them can reach outside the image.
const (
	// AbsolutePath: the name starts with "/"; it is read relative to the
	// image root, as container runtimes do.
	AbsolutePath AnomalyKind = "absolute-path"
	// PathTraversal: the name climbs above the root ("../etc/passwd"); the
	// entry is ignored.
	PathTraversal AnomalyKind = "path-traversal"
	// LinkEscape: a symbolic link's target climbs above the root (it is
	// resolved inside the root, as in a chroot), or a hard link names a
	// path outside the root (ignored).
	LinkEscape AnomalyKind = "link-escape"
	// LinkLoop: a parent directory of the entry cannot be resolved (a cycle
	// or too many symbolic links); the entry is ignored.
	LinkLoop AnomalyKind = "link-loop"
	// EmptyLink: a symbolic link without a target; ignored.
	EmptyLink AnomalyKind = "empty-link"
	// DeviceFile: a character or block device or a FIFO; ignored.
	DeviceFile AnomalyKind = "device-file"
	// Duplicate: a path kept by the reader appears twice in one layer; the
	// last entry wins, as when the tar is extracted. (Duplicates of paths
	// nobody wants are not tracked: they cannot change a result.)
	Duplicate AnomalyKind = "duplicate-entry"
)

// Anomaly is one neutralised entry.
type Anomaly struct {
	Layer  int
	Kind   AnomalyKind
	Path   string // the entry's name as written in the tar (truncated)
	Detail string // what was done
}
