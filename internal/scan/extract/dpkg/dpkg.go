package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
)

const (
	statusPath = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d/"
	infoDir    = "var/lib/dpkg/info/"
)

// Extractor is the dpkg extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.FileOwner = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "os/dpkg" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 3 }

// Wants implements extract.Extractor.
//
// Besides the status database it wants the file lists of the installed
// packages (info/*.list, and status.d/*.md5sums in distroless images) for
// [Extractor.Owners].
func (Extractor) Wants(path string, fi fs.FileInfo) bool {
	if path == statusPath {
		return true
	}
	if strings.HasPrefix(path, infoDir) && strings.HasSuffix(path, ".list") {
		return !strings.Contains(path[len(infoDir):], "/")
	}
	return strings.HasPrefix(path, statusDir) && !strings.Contains(path[len(statusDir):], "/")
}

// isFileList reports whether path is one of the file lists Wants keeps.
func isFileList(path string) bool {
	return strings.HasSuffix(path, ".list") && strings.HasPrefix(path, infoDir) ||
		strings.HasSuffix(path, ".md5sums") && strings.HasPrefix(path, statusDir)
}

// Owners implements extract.FileOwner: each path of an installed package's
// file list names that package (the list's file name, without its
// ":arch" qualifier).
func (Extractor) Owners(ctx context.Context, in extract.Input, want func(string) bool) (map[string]string, error) {
	owners := make(map[string]string)
	for _, f := range in.FS.Files() {
		if !isFileList(f.Path) {
			continue
		}
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "dpkg file list skipped", "path", f.Path, "err", f.Err)
			continue
		}
		name := strings.TrimSuffix(strings.TrimSuffix(path.Base(f.Path), ".list"), ".md5sums")
		name, _, _ = strings.Cut(name, ":")
		md5sums := strings.HasSuffix(f.Path, ".md5sums")
		for line := range strings.Lines(string(f.Data)) {
			line = strings.TrimRight(line, "\r\n")
			if md5sums {
				// "<md5>  <path>"
				_, line, _ = strings.Cut(line, "  ")
			}
			if p := strings.TrimLeft(line, "/"); p != "" && want(p) {
				owners[p] = name
			}
		}
	}
	return owners, nil
}

// ErrInvalid reports a database that is not in the deb-status format.
var ErrInvalid = errors.New("invalid dpkg database")

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	for _, f := range in.FS.Files() {
		if isFileList(f.Path) {
			continue
		}
		if f.Err != nil {
			return nil, fmt.Errorf("dpkg: %s: %w", f.Path, f.Err)
		}
		pkgs, err := parse(f.Data, in.Distro, f.Path != statusPath, func(n int) error { return in.TooMany(len(out) + n) })
		if err != nil {
			return nil, fmt.Errorf("dpkg: %s: %w", f.Path, err)
		}
		for i := range pkgs {
			pkgs[i].Path = f.Path
		}
		out = append(out, pkgs...)
	}
	return out, nil
}

// Parse parses a status file. With statusD, stanzas without a Status field
// are installed (distroless status.d files). Packages carry distro d (which
// may be nil) and no Path.
func Parse(data []byte, d *pkg.Distro, statusD bool) ([]pkg.Package, error) {
	return parse(data, d, statusD, func(int) error { return nil })
}

// parse is Parse, failing with tooMany's error as soon as it returns one
// for the number of packages found.
func parse(data []byte, d *pkg.Distro, statusD bool, tooMany func(n int) error) ([]pkg.Package, error) {
	var out []pkg.Package
	st := stanza{}
	lineNo, start := 0, 0
	flush := func() error {
		if len(st) == 0 {
			return nil
		}
		defer clear(st)
		p, ok, err := st.pkg(d, statusD)
		if err != nil {
			return fmt.Errorf("%w: stanza at line %d: %w", ErrInvalid, start, err)
		}
		if ok {
			out = append(out, p)
		}
		return tooMany(len(out))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var last string
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
			last = ""
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("%w: line %d: continuation line outside a field", ErrInvalid, lineNo)
			}
			// Continuations matter only for long fields we ignore.
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: want \"Field: value\", got %q", ErrInvalid, lineNo, truncate(line))
			}
			if len(st) == 0 {
				start = lineNo
			}
			last = k
			st[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %w", ErrInvalid, lineNo+1, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// stanza holds the fields of one package.
type stanza map[string]string

// unpackedStates are the Status states in which a package's files are on
// disk.
var unpackedStates = map[string]bool{
	"installed": true, "unpacked": true, "half-configured": true,
	"triggers-awaiting": true, "triggers-pending": true,
}

// pkg returns the package a stanza describes, ok=false for one that is not
// installed.
func (st stanza) pkg(d *pkg.Distro, statusD bool) (pkg.Package, bool, error) {
	name := st["Package"]
	if name == "" {
		return pkg.Package{}, false, errors.New("no Package field")
	}
	status, hasStatus := st["Status"]
	if hasStatus || !statusD {
		f := strings.Fields(status)
		if len(f) != 3 {
			return pkg.Package{}, false, fmt.Errorf("package %s: Status %q is not \"want flag state\"", name, status)
		}
		if !unpackedStates[f[2]] {
			return pkg.Package{}, false, nil
		}
	}
	p := pkg.Package{Name: name, Version: st["Version"], Type: pkg.TypeDeb, Arch: st["Architecture"], Distro: d}
	if p.Version == "" {
		return pkg.Package{}, false, fmt.Errorf("package %s: no Version", name)
	}
	p.SourceName = p.Name
	if src := st["Source"]; src != "" {
		// "Source: name" or "Source: name (version)".
		n, v, hasV := strings.Cut(src, "(")
		p.SourceName = strings.TrimSpace(n)
		if hasV {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), ")"))
			if v != p.Version {
				p.SourceVersion = v
			}
		}
		if p.SourceName == "" {
			return pkg.Package{}, false, fmt.Errorf("package %s: empty Source name", name)
		}
	}
	p.PURL = purl(&p, d)
	return p, true, nil
}

// purl returns pkg:deb/<distro id>/<name>@<version>?arch=..&distro=..
// (namespace "debian" when the distro is unknown), with the source package
// as "upstream" when it differs.
func purl(p *pkg.Package, d *pkg.Distro) string {
	ns := "debian"
	if d != nil && d.ID != "" {
		ns = d.ID
	}
	q := map[string]string{"arch": p.Arch, "distro": d.PURLQualifier()}
	switch {
	case p.SourceVersion != "":
		q["upstream"] = p.SourceName + "@" + p.SourceVersion
	case p.SourceName != p.Name:
		q["upstream"] = p.SourceName
	}
	return pkg.PURL("deb", ns, p.Name, p.Version, q)
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
