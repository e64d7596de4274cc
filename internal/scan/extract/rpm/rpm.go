package rpm

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Database locations, in order of preference: rpm's dbpath moved from
// var/lib/rpm to usr/lib/sysimage/rpm (Fedora 36, openSUSE), which
// usr/share/rpm names on rpm-ostree systems; the older location is then
// usually a symbolic link to the newer.
var (
	dbDirs  = []string{"usr/lib/sysimage/rpm", "var/lib/rpm", "usr/share/rpm"}
	dbFiles = []string{"rpmdb.sqlite", "Packages.db", "Packages"}
)

// Extractor is the rpm extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "os/rpm" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 3 } // 3: packages keyed with their architecture; hostile databases refused (overlapping blobs, SQLite views)

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	dir, file := path.Split(p)
	if len(dir) < 2 || !slices.Contains(dbFiles, file) {
		return false
	}
	return slices.Contains(dbDirs, dir[:len(dir)-1])
}

// Reduce implements layer.Reducer: the layer reader keeps the list of
// headers, a few bytes per package, instead of a database of tens of
// megabytes in every layer that rewrites it. A database that cannot be
// read is an error, which the reader keeps as the file's error.
func (Extractor) Reduce(_ string, data []byte) ([]byte, error) {
	hs, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return encode(hs), nil
}

// Extract implements extract.Extractor. It reads one database: the
// newest format in the preferred directory when an image holds several
// (a Packages left behind by a conversion to SQLite, say), and logs the
// others.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	f, others := choose(in.FS.Files())
	if f == nil {
		return nil, nil
	}
	if len(others) > 0 {
		in.Logger.WarnContext(ctx, "several rpm databases, reading one", "path", f.Path, "ignored", others)
	}
	if f.Err != nil {
		return nil, fmt.Errorf("rpm: %s: %w", f.Path, f.Err)
	}
	if n, err := count(f.Data); err == nil { // n <= len(f.Data)/8
		if err := in.TooMany(int(n)); err != nil {
			return nil, fmt.Errorf("rpm: %s: %w", f.Path, err)
		}
	}
	hs, err := decode(f.Data)
	if err != nil {
		return nil, fmt.Errorf("rpm: %s: %w", f.Path, err)
	}
	out := make([]pkg.Package, 0, len(hs))
	for i := range hs {
		if hs[i].Name == "gpg-pubkey" {
			continue // a public key rpm imported, not software
		}
		p := Package(&hs[i], in.Distro)
		p.Path = f.Path
		out = append(out, p)
	}
	return out, nil
}

// choose returns the database to read among the wanted files, and the
// paths of the others: the newest format, then the preferred directory,
// except that a database without packages (an empty file, say) yields to
// one with packages.
func choose(files []*layer.File) (*layer.File, []string) {
	rank := func(f *layer.File) int {
		dir, file := path.Split(f.Path)
		r := slices.Index(dbFiles, file)*len(dbDirs) + slices.Index(dbDirs, strings.TrimSuffix(dir, "/"))
		if f.Err == nil {
			if n, err := count(f.Data); err == nil && n == 0 {
				r += len(dbFiles) * len(dbDirs)
			}
		}
		return r
	}
	var best *layer.File
	var others []string
	for _, f := range files {
		switch {
		case best == nil:
			best = f
		case rank(f) < rank(best):
			others = append(others, best.Path)
			best = f
		default:
			others = append(others, f.Path)
		}
	}
	return best, others
}

// Package returns the package a header describes, for an image of distro
// d (which may be nil). Version is the EVR; SourceName and SourceVersion
// come from the source rpm's file name, with the binary package's epoch
// (a source rpm's name carries none); Path is left empty.
func Package(h *rpmdb.Header, d *pkg.Distro) pkg.Package {
	p := pkg.Package{
		Name:       h.Name,
		Version:    h.EVR(),
		Type:       pkg.TypeRPM,
		Arch:       h.Arch,
		SourceName: h.Name,
		Distro:     d,
		Module:     pkg.ModuleStream(h.ModularityLabel),
	}
	if name, ver, rel, ok := ParseSourceRPM(h.SourceRPM); ok {
		src := rpmdb.Header{Epoch: h.Epoch, Version: ver, Release: rel}
		p.SourceName = name
		if v := src.EVR(); v != p.Version {
			p.SourceVersion = v
		}
	}
	p.PURL = purl(&p, h, d)
	return p
}

// ParseSourceRPM splits a source rpm file name,
// "name-version-release.src.rpm" (or .nosrc.rpm), at its last two dashes:
// names may hold dashes, versions and releases may not.
func ParseSourceRPM(s string) (name, version, release string, ok bool) {
	rest, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if rest, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", "", false
		}
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", "", "", false
	}
	rest, release = rest[:i], rest[i+1:]
	j := strings.LastIndexByte(rest, '-')
	if j <= 0 {
		return "", "", "", false
	}
	name, version = rest[:j], rest[j+1:]
	if version == "" || release == "" {
		return "", "", "", false
	}
	return name, version, release, true
}

// purl returns pkg:rpm/<namespace>/<name>@<evr>?arch=..&distro=..
// with the source package as "upstream" when it differs (as the dpkg
// extractor does) and the module stream as "rpmmod" (as Red Hat's own
// purls do).
func purl(p *pkg.Package, h *rpmdb.Header, d *pkg.Distro) string {
	q := map[string]string{"arch": p.Arch, "distro": d.PURLQualifier(), "rpmmod": h.ModularityLabel}
	switch {
	case p.SourceVersion != "":
		q["upstream"] = p.SourceName + "@" + p.SourceVersion
	case p.SourceName != p.Name:
		q["upstream"] = p.SourceName
	}
	return pkg.PURL("rpm", Namespace(d, h.Vendor), p.Name, p.Version, q)
}

// namespaces maps os-release IDs to the purl namespace their
// distribution's own tools use.
var namespaces = map[string]string{
	"rhel":                "redhat",
	"ol":                  "oracle",
	"sles":                "suse",
	"sled":                "suse",
	"sles_sap":            "suse",
	"sle-micro":           "suse",
	"opensuse":            "opensuse",
	"opensuse-leap":       "opensuse",
	"opensuse-tumbleweed": "opensuse",
	"opensuse-microos":    "opensuse",
}

// vendors maps words of a package's Vendor to a namespace, for images
// whose distribution is unknown.
var vendors = []struct{ word, ns string }{
	{"Red Hat", "redhat"}, {"CentOS", "centos"}, {"Fedora", "fedora"},
	{"Rocky", "rocky"}, {"AlmaLinux", "almalinux"}, {"Amazon", "amzn"},
	{"Oracle", "oracle"}, {"openSUSE", "opensuse"}, {"SUSE", "suse"},
}

// Namespace returns the purl namespace of rpm packages on distro d: the
// vendor of the distribution ("redhat", "rocky", "almalinux", "fedora",
// "amzn", "suse", "opensuse", "oracle", "centos", or the os-release ID of
// any other), and, when d is unknown, one recognised in the package's
// vendor; "" when neither says.
func Namespace(d *pkg.Distro, vendor string) string {
	if d != nil && d.ID != "" {
		if ns, ok := namespaces[d.ID]; ok {
			return ns
		}
		return d.ID
	}
	for _, v := range vendors {
		if strings.Contains(vendor, v.word) {
			return v.ns
		}
	}
	return ""
}
