package vulndb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// The record codec: a compact binary form of osv.Entry and of the
// enrichment records, so that a lookup decodes in microseconds. Integers are
// unsigned varints, strings and raw JSON are length-prefixed, a timestamp is
// a presence byte then seconds (signed varint) and nanoseconds. Raw JSON is
// stored compacted. Nil and empty slices encode alike (and decode as nil).

type encoder struct{ b []byte }

func (w *encoder) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *encoder) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *encoder) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *encoder) raw(m []byte) {
	if len(m) == 0 {
		w.uint(0)
		return
	}
	var c bytes.Buffer
	if json.Compact(&c, m) == nil {
		m = c.Bytes()
	}
	w.uint(uint64(len(m)))
	w.b = append(w.b, m...)
}
func (w *encoder) strs(l []string) {
	w.uint(uint64(len(l)))
	for _, s := range l {
		w.str(s)
	}
}
func (w *encoder) time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	w.b = append(w.b, 1)
	w.int(t.Unix())
	w.uint(uint64(t.Nanosecond()))
}
func (w *encoder) float(f float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f)) }
func (w *encoder) severities(l []osv.Severity) {
	w.uint(uint64(len(l)))
	for _, s := range l {
		w.str(s.Type)
		w.str(s.Score)
	}
}

// encodeEntry appends the binary form of e to b.
func encodeEntry(b []byte, e *osv.Entry) []byte {
	w := encoder{b}
	w.str(e.ID)
	w.str(e.SchemaVersion)
	w.time(e.Modified)
	w.time(e.Published)
	w.time(e.Withdrawn)
	w.strs(e.Aliases)
	w.strs(e.Related)
	w.strs(e.Upstream)
	w.str(e.Summary)
	w.str(e.Details)
	w.severities(e.Severity)
	w.uint(uint64(len(e.Affected)))
	for i := range e.Affected {
		a := &e.Affected[i]
		w.str(a.Package.Ecosystem)
		w.str(a.Package.Name)
		w.str(a.Package.Purl)
		w.severities(a.Severity)
		w.uint(uint64(len(a.Ranges)))
		for _, r := range a.Ranges {
			w.str(r.Type)
			w.str(r.Repo)
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
			w.raw(r.DatabaseSpecific)
		}
		w.strs(a.Versions)
		w.raw(a.EcosystemSpecific)
		w.raw(a.DatabaseSpecific)
	}
	w.uint(uint64(len(e.References)))
	for _, r := range e.References {
		w.str(r.Type)
		w.str(r.URL)
	}
	w.uint(uint64(len(e.Credits)))
	for _, c := range e.Credits {
		w.str(c.Name)
		w.strs(c.Contact)
		w.str(c.Type)
	}
	w.raw(e.DatabaseSpecific)
	return w.b
}

// ErrCorrupt is returned when a database file does not decode.
var ErrCorrupt = errors.New("vulndb: corrupt database file")

type decoder struct {
	b   []byte
	err error
}

func (r *decoder) fail() {
	if r.err == nil {
		r.err = ErrCorrupt
	}
	r.b = nil
}

func (r *decoder) uint() uint64 {
	if len(r.b) > 0 && r.b[0] < 0x80 { // one byte: most lengths and counts
		v := r.b[0]
		r.b = r.b[1:]
		return uint64(v)
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// byteUint reads a one-byte uvarint; ok is false (and nothing is read)
// when the next one is longer. Small enough to be inlined.
func (r *decoder) byteUint() (uint64, bool) {
	b := r.b
	if len(b) != 0 && b[0] < 0x80 {
		r.b = b[1:]
		return uint64(b[0]), true
	}
	return 0, false
}

// byteCount is count for a one-byte count; ok is false (and nothing is
// read) when it is longer or too large. Small enough to be inlined.
func (r *decoder) byteCount(min int) (int, bool) {
	b := r.b
	if len(b) != 0 && b[0] < 0x80 && int(b[0])*min <= len(b)-1 {
		r.b = b[1:]
		return int(b[0]), true
	}
	return 0, false
}

// shortStr reads a string shorter than 128 bytes; ok is false (and
// nothing is read) otherwise. Small enough to be inlined.
func (r *decoder) shortStr() (string, bool) {
	b := r.b
	if len(b) > 1 && b[0] < 0x80 && int(b[0]) < len(b) {
		n := int(b[0])
		r.b = b[1+n:]
		return unsafe.String(&b[1], n), true
	}
	return "", false
}

func (r *decoder) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length and checks it against what is left (each element
// takes at least min bytes), so a corrupt length cannot allocate much.
func (r *decoder) count(min int) int {
	n := r.uint()
	if n > uint64(len(r.b)/min) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *decoder) bytes() []byte {
	n := r.count(1)
	if r.err != nil {
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// str returns the next string. Decoding works on a private copy of the
// record (decodeEntry makes it), so strings point into that copy instead of
// being allocated one by one; the copy is never written to again.
func (r *decoder) str() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// strCopy returns the next string as a fresh allocation, for decoders over
// the mapped file whose result outlives the call.
func (r *decoder) strCopy() string { return string(r.bytes()) }

// raw returns the next raw JSON value, sharing the record copy like str.
func (r *decoder) raw() json.RawMessage {
	b := r.bytes()
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

func (r *decoder) strs() []string {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func (r *decoder) time() time.Time {
	if len(r.b) == 0 {
		r.fail()
		return time.Time{}
	}
	set := r.b[0]
	r.b = r.b[1:]
	if set == 0 {
		return time.Time{}
	}
	sec := r.int()
	nsec := r.uint()
	if nsec >= 1e9 {
		r.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (r *decoder) float() float64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

func (r *decoder) severities() []osv.Severity {
	n := r.count(2)
	if n == 0 {
		return nil
	}
	l := make([]osv.Severity, n)
	for i := range l {
		l[i] = osv.Severity{Type: r.str(), Score: r.str()}
	}
	return l
}

// decodeEntry decodes one entry; trailing bytes are an error. b is copied
// (once): the entry's strings share the copy, not b.
func decodeEntry(b []byte) (*osv.Entry, error) {
	e := &osv.Entry{}
	if err := decodeInto(e, bytes.Clone(b)); err != nil {
		return nil, err
	}
	return e, nil
}

// decodeInto decodes b into e without copying: e's strings point into b,
// which must never change afterwards.
func decodeInto(e *osv.Entry, b []byte) error {
	r := decoder{b: b}
	e.ID = r.str()
	e.SchemaVersion = r.str()
	e.Modified = r.time()
	e.Published = r.time()
	e.Withdrawn = r.time()
	e.Aliases = r.strs()
	e.Related = r.strs()
	e.Upstream = r.strs()
	e.Summary = r.str()
	e.Details = r.str()
	e.Severity = r.severities()
	if n := r.count(8); n > 0 {
		e.Affected = make([]osv.Affected, n)
		for i := range e.Affected {
			a := &e.Affected[i]
			a.Package = osv.Package{Ecosystem: r.str(), Name: r.str(), Purl: r.str()}
			a.Severity = r.severities()
			if nr := r.count(4); nr > 0 {
				a.Ranges = make([]osv.Range, nr)
				for j := range a.Ranges {
					rg := &a.Ranges[j]
					rg.Type = r.str()
					rg.Repo = r.str()
					if ne := r.count(2); ne > 0 {
						rg.Events = make([]osv.Event, ne)
						for k := range rg.Events {
							if len(r.b) == 0 {
								r.fail()
								break
							}
							kind := r.b[0]
							r.b = r.b[1:]
							v := r.str()
							switch kind {
							case 'i':
								rg.Events[k].Introduced = v
							case 'f':
								rg.Events[k].Fixed = v
							case 'a':
								rg.Events[k].LastAffected = v
							case 'l':
								rg.Events[k].Limit = v
							default:
								r.fail()
							}
						}
					}
					rg.DatabaseSpecific = r.raw()
				}
			}
			a.Versions = r.strs()
			a.EcosystemSpecific = r.raw()
			a.DatabaseSpecific = r.raw()
		}
	}
	if n := r.count(2); n > 0 {
		e.References = make([]osv.Reference, n)
		for i := range e.References {
			e.References[i] = osv.Reference{Type: r.str(), URL: r.str()}
		}
	}
	if n := r.count(3); n > 0 {
		e.Credits = make([]osv.Credit, n)
		for i := range e.Credits {
			e.Credits[i] = osv.Credit{Name: r.str(), Contact: r.strs(), Type: r.str()}
		}
	}
	e.DatabaseSpecific = r.raw()
	if r.err != nil {
		return fmt.Errorf("%w: record %q", r.err, e.ID)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: record %q: %d trailing bytes", ErrCorrupt, e.ID, len(r.b))
	}
	return nil
}

// entryID reads only the id of an encoded entry (it does not copy b: use
// the result before b goes away).
func entryID(b []byte) (string, error) {
	r := decoder{b: b}
	id := r.bytes()
	if r.err != nil {
		return "", r.err
	}
	return unsafe.String(unsafe.SliceData(id), len(id)), nil
}

// Enrichment parts are encoded one per record: kind byte, then fields.
const (
	partNVD  = 'n'
	partKEV  = 'k'
	partEPSS = 'e'
)

func encodeNVD(b []byte, n *feed.NVD) []byte {
	w := encoder{b}
	w.b = append(w.b, partNVD)
	w.str(n.CVE)
	w.time(n.Published)
	w.time(n.Modified)
	w.str(n.Status)
	w.uint(uint64(len(n.CVSS)))
	for _, c := range n.CVSS {
		w.str(c.Version)
		w.str(c.Vector)
		w.float(c.Score)
		w.str(c.Source)
		if c.Primary {
			w.b = append(w.b, 1)
		} else {
			w.b = append(w.b, 0)
		}
	}
	w.strs(n.CWEs)
	return w.b
}

func encodeKEV(b []byte, k *feed.KEV) []byte {
	w := encoder{b}
	w.b = append(w.b, partKEV)
	w.str(k.CVE)
	w.time(k.DateAdded)
	w.time(k.DueDate)
	w.str(k.Ransomware)
	w.str(k.Vendor)
	w.str(k.Product)
	w.str(k.Name)
	w.str(k.RequiredAction)
	return w.b
}

func encodeEPSS(b []byte, e *feed.EPSS) []byte {
	w := encoder{b}
	w.b = append(w.b, partEPSS)
	w.str(e.CVE)
	w.float(e.Score)
	w.float(e.Percentile)
	w.time(e.Date)
	w.str(e.Model)
	return w.b
}

// decodePart decodes one enrichment part into en (from a copy of b).
func decodePart(b []byte, en *Enrichment) error {
	if len(b) == 0 {
		return ErrCorrupt
	}
	r := decoder{b: bytes.Clone(b[1:])}
	switch b[0] {
	case partNVD:
		n := &feed.NVD{CVE: r.str(), Published: r.time(), Modified: r.time(), Status: r.str()}
		if c := r.count(12); c > 0 {
			n.CVSS = make([]feed.CVSS, c)
			for i := range n.CVSS {
				n.CVSS[i] = feed.CVSS{Version: r.str(), Vector: r.str(), Score: r.float(), Source: r.str()}
				if len(r.b) == 0 {
					r.fail()
					break
				}
				n.CVSS[i].Primary = r.b[0] == 1
				r.b = r.b[1:]
			}
		}
		n.CWEs = r.strs()
		en.NVD = n
	case partKEV:
		en.KEV = &feed.KEV{CVE: r.str(), DateAdded: r.time(), DueDate: r.time(), Ransomware: r.str(),
			Vendor: r.str(), Product: r.str(), Name: r.str(), RequiredAction: r.str()}
	case partEPSS:
		en.EPSS = &feed.EPSS{CVE: r.str(), Score: r.float(), Percentile: r.float(), Date: r.time(), Model: r.str()}
	default:
		return fmt.Errorf("%w: enrichment part %q", ErrCorrupt, b[0])
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: enrichment part: trailing bytes", ErrCorrupt)
	}
	return nil
}
