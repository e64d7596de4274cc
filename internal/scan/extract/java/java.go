package java

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Bounds on nested archives and metadata files.
const (
	maxDepth       = 4        // archive in archive in ...
	maxNestedBytes = 64 << 20 // uncompressed size of one nested archive
	maxTotalBytes  = 256 << 20
	maxMetaBytes   = 1 << 20 // one pom.properties or MANIFEST.MF
	maxEntries     = 200_000 // zip entries over all nested archives
	// The bytes inflated from one archive (its nested archives and
	// metadata, at every depth) are at most maxRatio times its size plus
	// ratioSlack, and never over maxTotalBytes. Jars hold compressed
	// classes and jars: nested ones inflate about 1:1. A bomb of a few
	// kilobytes (deflate is 1000:1, and a zip of zips multiplies) would
	// otherwise cost maxTotalBytes of inflating per file, and a layer of
	// such files hours.
	maxRatio   = 32
	ratioSlack = 64 << 10
)

// centralDirSig starts each central directory record of a zip archive.
var centralDirSig = []byte("PK\x01\x02")

// Extractor is the Java archive extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "java/archive" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 5 } // 5: manifest versions, names and groups checked against Debian's maven-repo

// archiveExts are the names of Java archives: jars, web and enterprise
// applications, Jenkins plugins (.jpi, .hpi), JCA resource adapters (.rar,
// in an ear), NiFi archives (.nar, jars in META-INF/bundled-dependencies),
// JBoss service archives (.sar), Karaf features (.kar), Liferay packages
// (.lpkg) and process archives (.par). A file of one of these names that
// is no zip archive (a RAR) is dropped.
var archiveExts = map[string]bool{
	".jar": true, ".war": true, ".ear": true, ".jpi": true, ".hpi": true,
	".rar": true, ".nar": true, ".sar": true, ".kar": true, ".lpkg": true, ".par": true,
}

// mavenRepo is where Debian links its jars under their Maven coordinates.
const mavenRepo = "usr/share/maven-repo/"

// Wants implements extract.Extractor: Java archives, and the symbolic
// links of Debian's maven-repo (their coordinates name the jar they lead
// to).
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !archiveExts[strings.ToLower(path.Ext(p))] {
		return false
	}
	return fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0 && strings.HasPrefix(p, mavenRepo)
}

// ErrLimit reports an archive beyond the bounds above.
var ErrLimit = errors.New("java archive too large or too deeply nested")

// artifact is one identified Maven artifact.
type artifact struct {
	group, name, version string
	inner                string // archive path inside the file ("" = the file)
	self                 bool   // the archive's own identity, not one it bundles
	pom                  bool   // from a pom.properties, not guessed
}

// Reduce implements layer.Reducer: a "fp\t<fingerprint>" line naming the
// archive's contents, then one "own|self|dep\tgroup\tartifact\tversion\tinner"
// line per artifact found (own: the archive's identity from its
// pom.properties; self: its identity guessed from its manifest and name;
// dep: an artifact it bundles). A file that is not a zip archive is
// dropped.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	w := &walker{budget: min(maxTotalBytes, ratioSlack+maxRatio*int64(len(data)))}
	return w.result(w.archive(data, path.Base(p), "", 0))
}

// result encodes what the walker found, err being how its walk ended.
func (w *walker) result(err error) ([]byte, error) {
	if err != nil {
		if (errors.Is(err, zip.ErrFormat) || errors.Is(err, errNotStreamable)) && len(w.found) == 0 {
			return nil, nil
		}
		if !errors.Is(err, ErrLimit) {
			return nil, err
		}
		// Over the bounds: keep what was found, it is still true.
	}
	if len(w.found) == 0 && w.fp == 0 {
		return nil, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fp\t%016x\n", w.fp)
	for _, a := range w.found {
		kind := "dep"
		switch {
		case a.self && a.pom:
			kind = "own"
		case a.self:
			kind = "self"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", kind, a.group, a.name, a.version, a.inner)
	}
	return []byte(b.String()), nil
}

type walker struct {
	found   []artifact
	entries int
	bytes   int64  // inflated so far
	budget  int64  // most bytes to inflate
	fp      uint64 // fingerprint of the outer archive's central directory
}

// fingerprint hashes the names, CRC-32s and sizes of an archive's entries:
// two paths with the same fingerprint hold the same archive (a Debian jar
// and its maven-repo link), without hashing the contents.
func fingerprint(files []*zip.File) uint64 {
	h := fnv.New64a()
	var n [12]byte
	for _, f := range files {
		h.Write([]byte(f.Name))
		binary.LittleEndian.PutUint32(n[:4], f.CRC32)
		binary.LittleEndian.PutUint64(n[4:], f.UncompressedSize64)
		h.Write(n[:])
	}
	return h.Sum64()
}

// archive identifies the artifacts of one zip archive and recurses into
// the archives it contains.
func (w *walker) archive(data []byte, fileName, inner string, depth int) error {
	// zip.NewReader reads every central directory record (about 200 bytes
	// of memory each, from 46 in the file, whatever count the archive
	// declares) before the entries can be counted. Each record starts
	// with its signature: their count bounds it beforehand.
	if n := bytes.Count(data, centralDirSig); w.entries+n > maxEntries {
		return fmt.Errorf("%w: %s: up to %d entries, over %d in all", ErrLimit, cmpOr(inner, fileName), n, maxEntries)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%s: %w", cmpOr(inner, fileName), err)
	}
	if depth == 0 {
		w.fp = fingerprint(zr.File)
	}
	w.entries += len(zr.File)
	if w.entries > maxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrLimit, maxEntries)
	}
	var poms []*zip.File
	var manifest *zip.File
	var nested []*zip.File
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			poms = append(poms, f)
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			manifest = f
		case archiveExts[strings.ToLower(path.Ext(name))] && !f.FileInfo().IsDir():
			nested = append(nested, f)
		}
	}
	var errs []error
	var props []artifact
	for _, f := range poms {
		b, err := w.read(f, maxMetaBytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a, ok := parsePomProperties(b); ok {
			props = append(props, a)
		}
	}
	var m map[string]string
	if manifest != nil {
		if b, err := w.read(manifest, maxMetaBytes); err != nil {
			errs = append(errs, err)
		} else {
			m = parseManifest(b)
		}
	}
	for _, a := range identify(props, m, fileName) {
		a.inner = inner
		w.found = append(w.found, a)
	}
	if depth+1 > maxDepth && len(nested) > 0 {
		return errors.Join(append(errs, fmt.Errorf("%w: nested deeper than %d", ErrLimit, maxDepth))...)
	}
	for _, f := range nested {
		b, err := w.read(f, maxNestedBytes)
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, ErrLimit) {
				break
			}
			continue
		}
		in := f.Name
		if inner != "" {
			in = inner + "!/" + f.Name
		}
		if err := w.archive(b, path.Base(f.Name), in, depth+1); err != nil {
			if errors.Is(err, ErrLimit) {
				return errors.Join(append(errs, err)...)
			}
			errs = append(errs, err) // a broken nested archive: skip it
		}
	}
	return nil
}

// read returns the contents of a zip entry, at most max bytes, counting
// against the walker's budget.
func (w *walker) read(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrLimit, f.Name, f.UncompressedSize64)
	}
	if left := w.budget - w.bytes; f.UncompressedSize64 > uint64(left) {
		return nil, fmt.Errorf("%w: %s is %d bytes, over the %d left to inflate from this archive", ErrLimit, f.Name, f.UncompressedSize64, left)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	// The declared size may lie: read one byte more than allowed.
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: %s is over %d bytes", ErrLimit, f.Name, max)
	}
	w.bytes += int64(len(b))
	if w.bytes > w.budget {
		return nil, fmt.Errorf("%w: over %d bytes inflated from this archive", ErrLimit, w.budget)
	}
	return b, nil
}

// parsePomProperties reads groupId, artifactId and version.
func parsePomProperties(b []byte) (artifact, bool) {
	var a artifact
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "groupId":
			a.group = strings.TrimSpace(v)
		case "artifactId":
			a.name = strings.TrimSpace(v)
		case "version":
			a.version = strings.TrimSpace(v)
		}
	}
	ok := a.group != "" && a.name != "" && a.version != "" &&
		!strings.Contains(a.group+a.name+a.version, "${")
	a.pom = true
	return a, ok
}

// parseManifest returns the attributes of a manifest: the main section's,
// then those that the main one lacks and every later (per-entry) section
// that sets them gives the same value. log4j 1.2.17 states its title and
// version only in its one "Name: org/apache/log4j/" section; xercesImpl
// and xalan describe the APIs they bundle in sections of their own
// (javax.xml.datatype 1.4.01, org.w3c.dom 1.0), none of which is the
// archive's.
func parseManifest(b []byte) map[string]string {
	attrs := make(map[string]string)
	later := make(map[string]string) // agreed value of later sections
	conflict := make(map[string]bool)
	main := true
	var last string
	section := map[string]string{}
	endSection := func() {
		for k, v := range section {
			switch {
			case main:
				attrs[k] = v
			case conflict[k]:
			case later[k] == "" || later[k] == v:
				later[k] = v
			default:
				conflict[k] = true
			}
		}
		if len(section) > 0 {
			main = false
		}
		clear(section)
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		switch {
		case line == "":
			endSection()
			last = ""
		case line[0] == ' ' && last != "":
			section[last] += line[1:]
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.TrimSpace(k)
			section[last] = strings.TrimSpace(v)
		}
	}
	endSection()
	for k, v := range later {
		if _, ok := attrs[k]; !ok && !conflict[k] {
			attrs[k] = v
		}
	}
	return attrs
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
