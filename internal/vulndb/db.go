package vulndb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// DB is one open, immutable database version. All methods are safe for
// concurrent use. Entries it returns are shared and must not be modified.
type DB struct {
	path    string
	data    []byte
	m       *mapping
	version string
	meta    Meta
	stamp   Stamp

	records, recTable, enrich, enrTable []byte
	// index is the package index section and idx one entry per package,
	// in key order (indexKey(ecosystem, name), sorted at build): a lookup
	// is a binary search, and opening a database costs one pass over the
	// section, not a map of every package.
	index []byte
	idx   []idxEntry
	// cands is the candidates section (candidates.go), in the mapping: a
	// lookup copies out only its package's run.
	cands []byte
	cache *lookupCache // nil when disabled
}

// idxEntry locates one package: its key in the index section and its run
// in the candidates section.
type idxEntry struct {
	key, klen uint32
	span
}

// mapping owns the file mapping; it is released by Close or, when the DB
// becomes unreachable, by the garbage collector (a [Watcher] swaps versions
// without knowing when the last reader of the old one is done).
type mapping struct {
	once    sync.Once
	release func() error
	err     error
}

func (m *mapping) close() error {
	m.once.Do(func() { m.err = m.release() })
	return m.err
}

func keepAlive(db *DB) { runtime.KeepAlive(db) }

// Options tune an open database.
type Options struct {
	// CacheBytes bounds the lookup cache by the encoded size of the records
	// it holds (decoded they take about twice that); 0 means
	// DefaultCacheBytes, a negative value disables the cache.
	CacheBytes int
	// Sparse says the database serves few lookups (one drydock scan): the
	// file is then read a page at a time as lookups reach it, but for the
	// sections every lookup uses, read ahead as it opens. Otherwise (a
	// server, which comes to need most of the file) page faults read the
	// block device's read-ahead window around them (see advise).
	Sparse bool
}

// DefaultCacheBytes is the default lookup cache bound.
const DefaultCacheBytes = 64 << 20

// OpenFile opens the database file at path (a version in a store, or an
// export bundle) with default options, verifies its checksum and loads the
// package index.
func OpenFile(path string) (*DB, error) { return OpenFileWith(path, Options{}) }

// OpenFileWith is OpenFile with options.
func OpenFileWith(path string, opts Options) (*DB, error) { return openFile(path, opts, "") }

// openFile opens the database file at path. With version empty it checks
// the file hash, reading every byte. A store's version file was checked
// when it was installed, and its name carries its version: with version
// set (those 16 hex digits), only the framing is checked, the section
// bounds, the format, and that the footer's content hash begins with
// version; sections are then read as lookups need them, and their
// decoders reject what does not parse (FuzzLoad feeds them arbitrary
// bytes). opts.Sparse decides how the mapping is read (see advise).
func openFile(path string, opts Options, version string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vulndb: open: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vulndb: open: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("vulndb: open %s: %w", path, ErrNotDatabase)
	}
	data, release, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, err
	}
	lookups := normal
	if opts.Sparse {
		lookups = atRandom
	}
	if version == "" {
		advise(data, inOrder) // loadWith hashes every byte
	} else if opts.Sparse {
		advise(data, lookups)
		readAhead(data)
	}
	db, err := loadWith(path, data, version)
	if err == nil {
		if version == "" {
			advise(data, lookups)
		}
		switch {
		case opts.CacheBytes == 0:
			db.cache = newLookupCache(DefaultCacheBytes)
		case opts.CacheBytes > 0:
			db.cache = newLookupCache(opts.CacheBytes)
		}
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("vulndb: open %s: %w", path, err)
	}
	db.m = &mapping{release: release}
	runtime.AddCleanup(db, func(m *mapping) { m.close() }, db.m)
	return db, nil
}

// access is how a mapped file will be read (see advise).
type access int

const (
	normal   access = iota // the kernel's default: read-ahead windows
	atRandom               // few lookups (Options.Sparse)
	inOrder                // hashing the whole file
)

// readAhead starts reading the sections of a mapped database file that
// opening it and every lookup read (the package index, the record and
// enrichment tables, meta and stamp: 0.3 MB of the 18 MB test database,
// 8 MB of a 430 MB one); the candidates and records are read page by page
// as lookups reach them. A file that does not parse is left to loadWith
// to report.
func readAhead(data []byte) {
	ft, err := parseFooter(data, false)
	if err != nil {
		return
	}
	for _, s := range []int{secPackageIndex, secRecordTable, secEnrichTable, secMeta, secStamp} {
		willNeed(data, ft.sections[s].off, ft.sections[s].n)
	}
}

func load(path string, data []byte) (*DB, error) { return loadWith(path, data, "") }

// loadWith loads data, verifying the file hash unless version is set (see
// openFile).
func loadWith(path string, data []byte, version string) (*DB, error) {
	ft, err := parseFooter(data, version == "")
	if err != nil {
		return nil, err
	}
	if version != "" && !strings.HasPrefix(ft.version(), version) {
		return nil, fmt.Errorf("%w: the file holds version %.16s, its name says %s", ErrCorrupt, ft.version(), version)
	}
	db := &DB{path: path, data: data, version: ft.version(),
		records: ft.section(data, secRecords), recTable: ft.section(data, secRecordTable),
		enrich: ft.section(data, secEnrichment), enrTable: ft.section(data, secEnrichTable)}
	if len(db.recTable)%8 != 0 || len(db.enrTable)%8 != 0 {
		return nil, fmt.Errorf("%w: table size", ErrCorrupt)
	}
	if err := json.Unmarshal(ft.section(data, secMeta), &db.meta); err != nil {
		return nil, fmt.Errorf("%w: meta: %w", ErrCorrupt, err)
	}
	if err := json.Unmarshal(ft.section(data, secStamp), &db.stamp); err != nil {
		return nil, fmt.Errorf("%w: stamp: %w", ErrCorrupt, err)
	}
	db.cands = ft.section(data, secCandidates)
	if err := db.loadIndex(ft.section(data, secPackageIndex)); err != nil {
		return nil, err
	}
	return db, nil
}

// loadIndex checks the package index section (framing, strictly increasing
// keys, runs that tile the candidates section) and notes where each entry
// is.
func (db *DB) loadIndex(sec []byte) error {
	if len(sec) > math.MaxUint32 { // keys are found by 32-bit offsets
		return fmt.Errorf("%w: package index", ErrCorrupt)
	}
	r := decoder{b: sec}
	n := r.count(3)
	db.index = sec
	db.idx = make([]idxEntry, 0, n)
	off := 0
	var prev []byte
	for i := 0; i < n && r.err == nil; i++ {
		kl := r.uint()
		if r.err != nil || kl > uint64(len(r.b)) {
			r.fail()
			break
		}
		at := len(sec) - len(r.b)
		k := r.b[:kl]
		r.b = r.b[kl:]
		m := r.uint()
		l := r.uint()
		// Each candidate takes at least 3 bytes (ordinal, length, id).
		if r.err != nil || m == 0 || l > uint64(len(db.cands)-off) || m > l/3 || (i > 0 && bytes.Compare(prev, k) >= 0) {
			r.fail()
			break
		}
		prev = k
		db.idx = append(db.idx, idxEntry{key: uint32(at), klen: uint32(kl), span: span{off: off, end: off + int(l), n: int(m)}})
		off += int(l)
	}
	if r.err != nil || len(r.b) != 0 || off != len(db.cands) {
		return fmt.Errorf("%w: package index", ErrCorrupt)
	}
	return nil
}

// find returns the run of the package with index key kb.
func (db *DB) find(kb []byte) (span, bool) {
	i, ok := sort.Find(len(db.idx), func(i int) int {
		e := &db.idx[i]
		return bytes.Compare(kb, db.index[e.key:e.key+e.klen])
	})
	if !ok {
		return span{}, false
	}
	return db.idx[i].span, true
}

// Close releases the file mapping. Only call it when no other goroutine uses
// db any more; a DB that is simply dropped is released by the garbage
// collector.
func (db *DB) Close() error {
	if db.m == nil {
		return nil
	}
	return db.m.close()
}

// Version is the content hash of the database (hex SHA-256): equal content
// gives an equal version, whenever and wherever it was built.
func (db *DB) Version() string { return db.version }

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Status describes the database: sources, counts, build and fetch times.
func (db *DB) Status() Status {
	st := Status{Version: db.version, Path: db.path, Meta: db.meta, Stamp: db.stamp}
	st.UpdatedAt = st.DataTime()
	return st
}

// Ecosystems lists the ecosystems with advisories that start with prefix
// ("" lists all; "Debian:" lists every Debian release present).
func (db *DB) Ecosystems(prefix string) []string { return db.meta.EcosystemsWithPrefix(prefix) }

// HasEcosystem reports whether the database holds any advisory filed
// under the exact ecosystem string ("Debian:12", "npm").
func (db *DB) HasEcosystem(ecosystem string) bool { return db.meta.Ecosystems[ecosystem] > 0 }

func (db *DB) numRecords() int    { return len(db.recTable) / 8 }
func (db *DB) numEnrichment() int { return len(db.enrTable) / 8 }

// recordBody returns the source index, flags and encoded entry of record i.
func (db *DB) recordBody(i int) (src int, flags byte, enc []byte, err error) {
	off := binary.LittleEndian.Uint64(db.recTable[i*8:])
	if off >= uint64(len(db.records)) {
		return 0, 0, nil, ErrCorrupt
	}
	r := decoder{b: db.records[off:]}
	body := r.bytes()
	if r.err != nil {
		return 0, 0, nil, r.err
	}
	r = decoder{b: body}
	s := r.uint()
	if r.err != nil || len(r.b) == 0 || s >= uint64(len(db.meta.Sources)) {
		return 0, 0, nil, ErrCorrupt
	}
	return int(s), r.b[0], r.b[1:], nil
}

// Lookup returns the advisories that name the package (ecosystem, name):
// the ecosystem is the exact OSV string with its release suffix
// ("Alpine:v3.19", "Debian:12", "npm"), the name is compared as
// [NormalizeName] says. Withdrawn advisories are never returned. Every
// returned entry has at least one affected entry for the package (see
// [SamePackage]); it is the matcher's job to decide whether a version is
// affected. An error means the file is damaged; it is never "not affected".
//
// Results are cached (bounded, see cache.go), so a repeated lookup does not
// allocate: the returned slice and its entries are shared between callers
// and must not be modified (copy the slice before sorting it; appending is
// safe, its capacity is its length).
func (db *DB) Lookup(ecosystem, name string) ([]*osv.Entry, error) {
	defer keepAlive(db)
	var buf [128]byte
	kb := appendKey(buf[:0], ecosystem, name)
	sp, ok := db.find(kb)
	if !ok {
		return nil, nil
	}
	if db.cache != nil {
		if l, ok := db.cache.get(kb); ok {
			return l, nil
		}
	}
	ords, err := db.ordinals(sp)
	if err != nil {
		return nil, fmt.Errorf("vulndb: lookup %s/%s: %w", ecosystem, name, err)
	}
	// One copy of all the records and one slab of entries per lookup: the
	// entries' strings point into the copy.
	size := 0
	for _, o := range ords {
		_, _, enc, err := db.recordBody(int(o))
		if err != nil {
			return nil, fmt.Errorf("vulndb: lookup %s/%s: %w", ecosystem, name, err)
		}
		size += len(enc)
	}
	arena := make([]byte, 0, size)
	slab := make([]osv.Entry, len(ords))
	out := make([]*osv.Entry, len(ords))
	for i, o := range ords {
		_, _, enc, _ := db.recordBody(int(o))
		start := len(arena)
		arena = append(arena, enc...)
		if err := decodeInto(&slab[i], arena[start:len(arena):len(arena)]); err != nil {
			return nil, fmt.Errorf("vulndb: lookup %s/%s: %w", ecosystem, name, err)
		}
		out[i] = &slab[i]
	}
	key := string(kb)
	if db.cache != nil {
		db.cache.put(key, out, size)
	}
	return out, nil
}

// ordinals returns the record ordinals of a package's candidates.
func (db *DB) ordinals(sp span) ([]uint32, error) {
	r := decoder{b: db.cands[sp.off:sp.end]}
	out := make([]uint32, sp.n)
	var ord uint64
	for i := range out {
		d := r.uint()
		r.bytes()
		ord += d
		if r.err != nil || (i > 0 && d == 0) || ord >= uint64(db.numRecords()) {
			return nil, ErrCorrupt
		}
		out[i] = uint32(ord)
	}
	return out, nil
}

// Get returns the advisory with the given id; a record converted from
// several sources (Alpine releases imported separately, say) comes back as
// one entry per source. It returns nil when there is none.
func (db *DB) Get(id string) ([]*osv.Entry, error) {
	defer keepAlive(db)
	n := db.numRecords()
	var ferr error
	i := sort.Search(n, func(i int) bool {
		_, _, enc, err := db.recordBody(i)
		if err != nil {
			ferr = err
			return true
		}
		rid, err := entryID(enc)
		if err != nil {
			ferr = err
			return true
		}
		return rid >= id
	})
	if ferr != nil {
		return nil, fmt.Errorf("vulndb: get %s: %w", id, ferr)
	}
	var out []*osv.Entry
	for ; i < n; i++ {
		_, flags, enc, err := db.recordBody(i)
		if err != nil {
			return nil, fmt.Errorf("vulndb: get %s: %w", id, err)
		}
		if rid, err := entryID(enc); err != nil || rid != id {
			break
		}
		if flags&flagLive == 0 {
			continue
		}
		e, err := decodeEntry(enc)
		if err != nil {
			return nil, fmt.Errorf("vulndb: get %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Enrichment is what the database knows about a CVE beyond advisories. A nil
// part means no data of that kind.
type Enrichment struct {
	CVE  string
	NVD  *feed.NVD
	KEV  *feed.KEV
	EPSS *feed.EPSS
}

type rawPart struct {
	src int
	b   []byte
}

func (db *DB) enrichmentParts(i int) (string, []rawPart, error) {
	off := binary.LittleEndian.Uint64(db.enrTable[i*8:])
	if off >= uint64(len(db.enrich)) {
		return "", nil, ErrCorrupt
	}
	r := decoder{b: db.enrich[off:]}
	r = decoder{b: r.bytes()}
	cve := r.strCopy()
	n := r.count(2)
	parts := make([]rawPart, 0, n)
	for j := 0; j < n && r.err == nil; j++ {
		parts = append(parts, rawPart{src: int(r.uint()), b: r.bytes()})
	}
	if r.err != nil {
		return "", nil, r.err
	}
	return cve, parts, nil
}

// Enrichment returns the NVD, KEV and EPSS data for a CVE id, or nil when
// there is none. When several sources hold data of one kind, the newest
// wins (NVD lastModified, KEV dateAdded, EPSS score date).
func (db *DB) Enrichment(cve string) (*Enrichment, error) {
	defer keepAlive(db)
	n := db.numEnrichment()
	var ferr error
	i := sort.Search(n, func(i int) bool {
		c, _, err := db.enrichmentParts(i)
		if err != nil {
			ferr = err
			return true
		}
		return c >= cve
	})
	if ferr != nil {
		return nil, fmt.Errorf("vulndb: enrichment %s: %w", cve, ferr)
	}
	if i >= n {
		return nil, nil
	}
	c, parts, err := db.enrichmentParts(i)
	if err != nil {
		return nil, fmt.Errorf("vulndb: enrichment %s: %w", cve, err)
	}
	if c != cve {
		return nil, nil
	}
	out := &Enrichment{CVE: cve}
	for _, p := range parts {
		var en Enrichment
		if err := decodePart(p.b, &en); err != nil {
			return nil, fmt.Errorf("vulndb: enrichment %s: %w", cve, err)
		}
		if en.NVD != nil && (out.NVD == nil || en.NVD.Modified.After(out.NVD.Modified)) {
			out.NVD = en.NVD
		}
		if en.KEV != nil && (out.KEV == nil || en.KEV.DateAdded.After(out.KEV.DateAdded)) {
			out.KEV = en.KEV
		}
		if en.EPSS != nil && (out.EPSS == nil || en.EPSS.Date.After(out.EPSS.Date)) {
			out.EPSS = en.EPSS
		}
	}
	return out, nil
}

// ErrNoDatabase is returned when a store has no current version yet.
var ErrNoDatabase = errors.New("vulndb: no advisory database yet")
