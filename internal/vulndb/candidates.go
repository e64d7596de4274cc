package vulndb

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Candidates: what matching needs of each advisory naming a package,
// written per package at build time so that a lookup never decodes a whole
// advisory. The candidates section holds one run per package index key;
// each candidate is
//
//	uvarint(record ordinal − previous ordinal of the run; the first is absolute)
//	uvarint(len(body)) body
//	body = str(id) uvarint(k), then k affected entries naming the package:
//	       uvarint(position in the advisory's affected[]) str(package name as spelled)
//	       uvarint(ranges) ranges × (type, uvarint(events) events × (kind byte, str))
//	       strs(versions) raw(ecosystem_specific)
//
// A range type is one byte, 'E' (ECOSYSTEM), 'S' (SEMVER), 'G' (GIT), or
// 'x' followed by str(type). GIT ranges keep their type but not their
// events (commits never match a package version); GIT-only entries are not
// written at all. Severity, purl and database_specific are left out: they
// are read from the whole advisory once it matched.
//
// The section is copied to the heap when the file is opened, so strings
// decoded from it stay valid however long a caller keeps them.

// Ref identifies one advisory record of a database version. It is only
// meaningful to the [DB] that returned it.
type Ref uint32

const (
	rangeEcosystem = 'E'
	rangeSemver    = 'S'
	rangeGit       = 'G'
	rangeOther     = 'x'
)

// appendCandidate appends the body of the candidate for the affected
// entries idx of e (all naming one package) to b.
func appendCandidate(b []byte, e *osv.Entry, idx []int) []byte {
	w := encoder{b}
	w.str(e.ID)
	w.uint(uint64(len(idx)))
	for _, i := range idx {
		a := &e.Affected[i]
		w.uint(uint64(i))
		w.str(a.Package.Name)
		w.uint(uint64(len(a.Ranges)))
		for _, r := range a.Ranges {
			switch r.Type {
			case osv.RangeEcosystem:
				w.b = append(w.b, rangeEcosystem)
			case osv.RangeSemver:
				w.b = append(w.b, rangeSemver)
			case osv.RangeGit:
				w.b = append(w.b, rangeGit)
				w.uint(0)
				continue
			default:
				w.b = append(w.b, rangeOther)
				w.str(r.Type)
			}
			w.uint(uint64(len(r.Events)))
			for _, ev := range r.Events {
				switch {
				case ev.Introduced != "":
					w.b = append(w.b, 'i')
					w.str(ev.Introduced)
				case ev.Fixed != "":
					w.b = append(w.b, 'f')
					w.str(ev.Fixed)
				case ev.LastAffected != "":
					w.b = append(w.b, 'a')
					w.str(ev.LastAffected)
				default:
					w.b = append(w.b, 'l')
					w.str(ev.Limit)
				}
			}
		}
		w.strs(a.Versions)
		w.raw(a.EcosystemSpecific)
	}
	return w.b
}

// span locates one package's run in the candidates section.
type span struct {
	off, end int
	n        int
}

// Candidates iterates over the advisories naming one package, in the
// compact form a version check needs (see [DB.Candidates]). Use it like a
// bufio.Scanner:
//
//	c := db.Candidates("Debian:12", "openssl")
//	for c.Next() {
//		e := c.Entry() // ID and this package's affected entries only
//		...            // judge the version; when affected:
//		full, err := db.Advisory(c.Ref())
//	}
//	if err := c.Err(); err != nil { ... }
//
// The zero value has no candidates. A Candidates must not be copied once
// Next was called (the copies would share scratch space).
type Candidates struct {
	db   *DB
	eco  string
	r    decoder
	n    int
	left int
	ref  uint32
	err  error

	e osv.Entry
	s *scratch // taken from scratchPool by the first Next, back at the end
}

// scratch is the memory an iteration decodes into: Entry is valid until
// the next call to Next. It is pooled, so that a lookup does not allocate
// once warm.
type scratch struct {
	idx []int
	aff []osv.Affected
	rng []osv.Range
	ev  []osv.Event
	ver []string
}

var scratchPool = sync.Pool{New: func() any {
	// Room for a typical candidate (one or two entries, a range or two, a
	// few events); it grows as needed.
	return &scratch{idx: make([]int, 0, 4), aff: make([]osv.Affected, 0, 4), rng: make([]osv.Range, 0, 4), ev: make([]osv.Event, 0, 16)}
}}

// maxPooled bounds the scratch kept in the pool: one made huge by an
// unusual candidate (thousands of versions) is left to the collector.
const maxPooled = 1 << 10

// Candidates returns the advisories that name the package (ecosystem,
// name), with the same rules as [DB.Lookup] (exact ecosystem, normalized
// name, withdrawn advisories and GIT-only entries left out, one copy per
// id), without decoding the advisories: each candidate carries only its id
// and the affected entries naming the package. Fetch the whole advisory of
// a candidate that matched with [DB.Advisory].
//
// It allocates once, a copy of the package's run (a package without
// advisories costs nothing): the strings of the entries point into that
// copy, which the collector keeps as long as they live, while the file
// mapping may go (a Watcher's old version). Candidates are decoded into
// scratch space taken from a pool by the first Next and given back when
// Next returns false.
func (db *DB) Candidates(ecosystem, name string) Candidates {
	defer keepAlive(db)
	var buf [128]byte
	kb := appendKey(buf[:0], ecosystem, name)
	sp, ok := db.find(kb)
	if !ok {
		return Candidates{}
	}
	return Candidates{db: db, eco: ecosystem, r: decoder{b: bytes.Clone(db.cands[sp.off:sp.end])}, n: sp.n, left: sp.n}
}

// Len is the number of candidates, read or not.
func (c *Candidates) Len() int { return c.n }

// Next advances to the next candidate; it returns false at the end or on
// an error (see Err).
func (c *Candidates) Next() bool {
	if c.left == 0 || c.err != nil {
		c.release()
		return false
	}
	first := c.left == c.n
	c.left--
	delta := c.r.uint()
	body := c.r.bytes()
	if c.r.err != nil || (!first && delta == 0) || uint64(c.ref)+delta >= uint64(c.db.numRecords()) {
		return c.fail()
	}
	c.ref += uint32(delta)
	if c.s == nil {
		c.s = scratchPool.Get().(*scratch)
	}
	if err := c.decode(body); err != nil {
		return c.fail()
	}
	return true
}

func (c *Candidates) fail() bool {
	c.err = fmt.Errorf("vulndb: candidates of %s package: %w", c.eco, ErrCorrupt)
	c.left = 0
	c.release()
	return false
}

// release returns the scratch space to the pool at the end of the
// iteration; the entry is cleared so that it no longer points into it.
func (c *Candidates) release() {
	if c.s == nil {
		return
	}
	c.e = osv.Entry{}
	s := c.s
	c.s = nil
	if cap(s.aff) <= maxPooled && cap(s.rng) <= maxPooled && cap(s.ev) <= maxPooled && cap(s.ver) <= maxPooled {
		scratchPool.Put(s)
	}
}

// decode reads one candidate body into the scratch entry. Strings point
// into the copy of the package's run (heap memory that never changes).
func (c *Candidates) decode(body []byte) error {
	r := decoder{b: body}
	// The hot loop reads short strings and small counts inline (shortStr,
	// byteCount) and falls back to the general readers otherwise.
	id, ok := r.shortStr()
	if !ok {
		id = r.str()
	}
	c.e = osv.Entry{ID: id}
	k, ok := r.byteCount(4)
	if !ok {
		k = r.count(4)
	}
	s := c.s
	s.idx, s.aff, s.rng, s.ev, s.ver = s.idx[:0], s.aff[:0], s.rng[:0], s.ev[:0], s.ver[:0]
	for range k {
		i, ok := r.byteUint()
		if !ok {
			i = r.uint()
		}
		s.idx = append(s.idx, int(i))
		name, ok := r.shortStr()
		if !ok {
			name = r.str()
		}
		s.aff = append(s.aff, osv.Affected{Package: osv.Package{Ecosystem: c.eco, Name: name}})
		a := &s.aff[len(s.aff)-1] // filled in place: no copy of the struct
		nr, ok := r.byteCount(2)
		if !ok {
			nr = r.count(2)
		}
		if nr > 0 {
			r0 := len(s.rng)
			s.rng = slices.Grow(s.rng, nr)[:r0+nr]
			rngs := s.rng[r0:]
			for i := range rngs {
				if len(r.b) == 0 {
					return ErrCorrupt
				}
				rg := &rngs[i]
				t := r.b[0]
				r.b = r.b[1:]
				switch t {
				case rangeEcosystem:
					*rg = osv.Range{Type: osv.RangeEcosystem}
				case rangeSemver:
					*rg = osv.Range{Type: osv.RangeSemver}
				case rangeGit:
					*rg = osv.Range{Type: osv.RangeGit}
				case rangeOther:
					*rg = osv.Range{Type: r.str()}
				default:
					return ErrCorrupt
				}
				ne, ok := r.byteCount(2)
				if !ok {
					ne = r.count(2)
				}
				if ne > 0 {
					e0 := len(s.ev)
					s.ev = slices.Grow(s.ev, ne)[:e0+ne]
					evs := s.ev[e0:]
					for j := range evs {
						if len(r.b) == 0 {
							return ErrCorrupt
						}
						kind := r.b[0]
						r.b = r.b[1:]
						v, ok := r.shortStr()
						if !ok {
							v = r.str()
						}
						switch kind {
						case 'i':
							evs[j] = osv.Event{Introduced: v}
						case 'f':
							evs[j] = osv.Event{Fixed: v}
						case 'a':
							evs[j] = osv.Event{LastAffected: v}
						case 'l':
							evs[j] = osv.Event{Limit: v}
						default:
							return ErrCorrupt
						}
					}
					rg.Events = evs[:ne:ne]
				}
			}
			a.Ranges = rngs[:nr:nr]
		}
		nv, ok := r.byteCount(1)
		if !ok {
			nv = r.count(1)
		}
		if nv > 0 {
			v0 := len(s.ver)
			for range nv {
				v, ok := r.shortStr()
				if !ok {
					v = r.str()
				}
				s.ver = append(s.ver, v)
			}
			a.Versions = s.ver[v0:len(s.ver):len(s.ver)]
		}
		if len(r.b) != 0 && r.b[0] == 0 { // no ecosystem_specific, the common case
			r.b = r.b[1:]
		} else {
			a.EcosystemSpecific = r.raw()
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return ErrCorrupt
	}
	if k > 0 {
		c.e.Affected = s.aff[:k:k]
	}
	return nil
}

// Entry is the current candidate: an [osv.Entry] with only its ID and the
// affected entries naming the package (package ecosystem and name, ranges,
// versions, ecosystem_specific). It is valid until the next call to Next
// (which reuses its memory, and at the end of the iteration hands it to
// the next lookup); strings taken from it stay valid.
func (c *Candidates) Entry() *osv.Entry { return &c.e }

// Index returns the position in the whole advisory's affected[] of the
// current entry's Affected[i].
func (c *Candidates) Index(i int) int { return c.s.idx[i] }

// Ref identifies the current candidate's record for [DB.Advisory].
func (c *Candidates) Ref() Ref { return Ref(c.ref) }

// Err is the error that stopped the iteration (a damaged file), or nil.
func (c *Candidates) Err() error { return c.err }

// Advisory decodes the whole advisory of record r (from [Candidates.Ref]).
// The entry is the caller's own.
func (db *DB) Advisory(r Ref) (*osv.Entry, error) {
	defer keepAlive(db)
	if int(r) >= db.numRecords() {
		return nil, fmt.Errorf("vulndb: advisory record %d of %d: %w", r, db.numRecords(), ErrCorrupt)
	}
	_, _, enc, err := db.recordBody(int(r))
	if err != nil {
		return nil, fmt.Errorf("vulndb: advisory record %d: %w", r, err)
	}
	e, err := decodeEntry(enc)
	if err != nil {
		return nil, fmt.Errorf("vulndb: advisory record %d: %w", r, err)
	}
	return e, nil
}
