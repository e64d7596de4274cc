package apk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
)

// Database paths (usr-merged systems with apk-tools 3 use the second).
var paths = []string{"lib/apk/db/installed", "usr/lib/apk/db/installed"}

// Extractor is the apk extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.FileOwner = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "os/apk" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 2 }

// Wants implements extract.Extractor.
func (Extractor) Wants(path string, fi fs.FileInfo) bool {
	return path == paths[0] || path == paths[1]
}

// ErrInvalid reports a database that is not in the installed-db format.
var ErrInvalid = errors.New("invalid apk database")

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var out []pkg.Package
	seen := make(map[string]bool)
	for _, p := range paths {
		f, err := in.FS.File(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("apk: %w", err)
		}
		if f.Err != nil {
			return nil, fmt.Errorf("apk: %s: %w", p, f.Err)
		}
		if seen[string(f.Data)] {
			continue // both paths lead to one file
		}
		seen[string(f.Data)] = true
		pkgs, err := parse(f.Data, in.Distro, func(n int) error { return in.TooMany(len(out) + n) })
		if err != nil {
			return nil, fmt.Errorf("apk: %s: %w", p, err)
		}
		for i := range pkgs {
			pkgs[i].Path = p
		}
		out = append(out, pkgs...)
	}
	return out, nil
}

// Owners implements extract.FileOwner: the installed database lists each
// package's files as "F:<dir>" lines, each followed by its "R:<file>" lines.
func (Extractor) Owners(ctx context.Context, in extract.Input, want func(string) bool) (map[string]string, error) {
	owners := make(map[string]string)
	for _, p := range paths {
		f, err := in.FS.File(p)
		if err != nil || f.Err != nil {
			continue // Extract reports an unreadable database
		}
		var name, dir string
		for line := range strings.Lines(string(f.Data)) {
			line = strings.TrimRight(line, "\r\n")
			if len(line) < 2 || line[1] != ':' {
				if line == "" {
					name, dir = "", ""
				}
				continue
			}
			switch v := line[2:]; line[0] {
			case 'P':
				name = v
			case 'F':
				dir = strings.Trim(v, "/")
			case 'R':
				if p := strings.TrimLeft(dir+"/"+v, "/"); name != "" && v != "" && want(p) {
					owners[p] = name
				}
			}
		}
	}
	return owners, nil
}

// Parse parses an installed database. Packages carry distro d (which may be
// nil) and no Path.
func Parse(data []byte, d *pkg.Distro) ([]pkg.Package, error) {
	return parse(data, d, func(int) error { return nil })
}

// parse is Parse, failing with tooMany's error as soon as it returns one
// for the number of packages found.
func parse(data []byte, d *pkg.Distro, tooMany func(n int) error) ([]pkg.Package, error) {
	var out []pkg.Package
	var cur pkg.Package
	started := false
	lineNo := 0
	flush := func() error {
		if !started {
			return nil
		}
		if cur.Name == "" || cur.Version == "" {
			return fmt.Errorf("%w: package ending at line %d has no P: or V:", ErrInvalid, lineNo)
		}
		if cur.SourceName == "" {
			cur.SourceName = cur.Name
		}
		cur.Type = pkg.TypeAPK
		cur.Distro = d
		cur.PURL = purl(&cur, d)
		out = append(out, cur)
		cur, started = pkg.Package{}, false
		return tooMany(len(out))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lineNo++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("%w: line %d: want K:value, got %q", ErrInvalid, lineNo, truncate(line))
		}
		started = true
		v := string(bytes.TrimSpace(line[2:]))
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.SourceName = v
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

// purl returns pkg:apk/<distro id>/<name>@<version>?arch=..&distro=..
// (namespace "alpine" when the distro is unknown).
func purl(p *pkg.Package, d *pkg.Distro) string {
	ns := "alpine"
	if d != nil && d.ID != "" {
		ns = d.ID
	}
	q := map[string]string{"arch": p.Arch, "distro": d.PURLQualifier()}
	if p.SourceName != p.Name {
		q["upstream"] = p.SourceName
	}
	return pkg.PURL("apk", ns, p.Name, p.Version, q)
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
