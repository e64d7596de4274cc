package vulndb

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/vulndb/cvss"
	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Level is a normalized severity.
type Level string

// Levels, from worst to unknown.
const (
	Critical Level = "Critical"
	High     Level = "High"
	Medium   Level = "Medium"
	Low      Level = "Low"
	Unknown  Level = "Unknown"
)

// Rating is the severity of one advisory for one affected package, with
// where it came from (see the package documentation for the policy).
type Rating struct {
	Level Level
	// Raw is the value as its source wrote it: "Important", "unimportant",
	// "HIGH", or the CVSS vector.
	Raw string
	// Source names who rated it: a distribution ("AlmaLinux", "Debian",
	// "Ubuntu"), "advisory CVSS v3.1", "NVD CVSS v3.1" or "advisory rating";
	// empty for Unknown.
	Source string
	// CVSS is the CVSS assessment used, or, when a distribution's own rating
	// won, the best one available (nil when there is none).
	CVSS *feed.CVSS
	// KEV is set when one of the advisory's CVEs is in CISA's Known
	// Exploited Vulnerabilities catalog; KEVAdded is when it was added.
	KEV      bool
	KEVAdded time.Time
}

// osEcosystems are the OSV ecosystems (without release suffix) of operating
// system distributions: their own rating wins over CVSS.
var osEcosystems = map[string]bool{
	"AlmaLinux": true, "Alpaquita": true, "Alpine": true, "Azure Linux": true,
	"BellSoft Hardened Containers": true, "Chainguard": true, "Debian": true,
	"Mageia": true, "MinimOS": true, "openEuler": true, "openSUSE": true,
	"Photon OS": true, "Red Hat": true, "Rocky Linux": true, "SUSE": true,
	"Ubuntu": true, "Wolfi": true,
}

// IsOSEcosystem reports whether an OSV ecosystem string names an operating
// system distribution ("Debian:12", "Alpine:v3.19", "AlmaLinux:9").
func IsOSEcosystem(ecosystem string) bool {
	base, _, _ := strings.Cut(ecosystem, ":")
	return osEcosystems[base]
}

// redHatFamily write their rating as the advisory summary's prefix
// ("Important: openssl security update").
var redHatFamily = map[string]bool{"AlmaLinux": true, "Rocky Linux": true, "Red Hat": true}

// qualitative maps the words distributions and advisories use to levels.
var qualitative = map[string]Level{
	"critical": Critical, "important": High, "high": High,
	"moderate": Medium, "medium": Medium, "low": Low, "negligible": Low,
	"unimportant": Low,
}

func levelOf(word string) (Level, bool) {
	l, ok := qualitative[strings.ToLower(strings.TrimRight(strings.TrimSpace(word), "*"))]
	return l, ok
}

// Rate applies the severity policy to advisory e for its affected entry a
// (nil: the first one), with the enrichment of e's CVEs.
func Rate(e *osv.Entry, a *osv.Affected, enr []*Enrichment) Rating {
	if a == nil && len(e.Affected) > 0 {
		a = &e.Affected[0]
	}
	var r Rating
	for _, en := range enr {
		if en != nil && en.KEV != nil {
			if !r.KEV || en.KEV.DateAdded.Before(r.KEVAdded) {
				r.KEVAdded = en.KEV.DateAdded
			}
			r.KEV = true
		}
	}
	rec := recordCVSS(e, a)
	nvd := nvdCVSS(enr)
	eco := ""
	if a != nil {
		eco = a.Package.Ecosystem
	}
	base, _, _ := strings.Cut(eco, ":")
	if osEcosystems[base] {
		if lvl, raw, ok := distroRating(e, a, base); ok {
			r.Level, r.Raw, r.Source = lvl, raw, base
			r.CVSS = rec
			if r.CVSS == nil {
				r.CVSS = nvd
			}
			return r
		}
	}
	switch {
	case rec != nil:
		r.Level, r.Raw, r.Source, r.CVSS = cvssLevel(rec), rec.Vector, "advisory CVSS v"+rec.Version, rec
	case nvd != nil:
		r.Level, r.Raw, r.Source, r.CVSS = cvssLevel(nvd), nvd.Vector, "NVD CVSS v"+nvd.Version, nvd
	default:
		if w, ok := specificString(e.DatabaseSpecific, "severity"); ok {
			if lvl, ok := levelOf(w); ok {
				r.Level, r.Raw, r.Source = lvl, w, "advisory rating"
				return r
			}
		}
		r.Level = Unknown
	}
	return r
}

func cvssLevel(c *feed.CVSS) Level {
	switch cvss.RatingOf(c.Version, c.Score) {
	case cvss.Critical:
		return Critical
	case cvss.High:
		return High
	case cvss.Medium:
		return Medium
	}
	return Low // a 0.0 ("None") score still names a reported issue
}

// versionRank orders CVSS versions by preference.
func versionRank(v string) int {
	switch v {
	case "4.0":
		return 4
	case "3.1":
		return 3
	case "3.0":
		return 2
	case "2.0":
		return 1
	}
	return 0
}

// recordCVSS returns the best CVSS vector of the advisory itself (the
// affected entry's severity first, then the record's): the newest CVSS
// version wins. Vectors that do not parse are ignored.
func recordCVSS(e *osv.Entry, a *osv.Affected) *feed.CVSS {
	var best *feed.CVSS
	try := func(list []osv.Severity) {
		for _, s := range list {
			switch s.Type {
			case osv.SeverityCVSSv2, osv.SeverityCVSSv3, osv.SeverityCVSSv4:
			default:
				continue
			}
			sc, err := cvss.Parse(s.Score)
			if err != nil {
				continue
			}
			if best == nil || versionRank(sc.Version) > versionRank(best.Version) {
				best = &feed.CVSS{Version: sc.Version, Vector: sc.Vector, Score: sc.Base}
			}
		}
	}
	if a != nil {
		try(a.Severity)
	}
	if best == nil {
		try(e.Severity)
	}
	return best
}

// nvdCVSS returns NVD's best assessment: newest CVSS version, NVD's own
// (Primary) before a CNA's (Secondary).
func nvdCVSS(enr []*Enrichment) *feed.CVSS {
	var best *feed.CVSS
	for _, en := range enr {
		if en == nil || en.NVD == nil {
			continue
		}
		for i := range en.NVD.CVSS {
			c := &en.NVD.CVSS[i]
			if best == nil || versionRank(c.Version) > versionRank(best.Version) ||
				(versionRank(c.Version) == versionRank(best.Version) && c.Primary && !best.Primary) ||
				(versionRank(c.Version) == versionRank(best.Version) && c.Primary == best.Primary && c.Score > best.Score) {
				best = c
			}
		}
	}
	return best
}

// distroRating finds a distribution's own rating of the advisory.
func distroRating(e *osv.Entry, a *osv.Affected, base string) (Level, string, bool) {
	for _, raw := range []json.RawMessage{a.EcosystemSpecific, a.DatabaseSpecific, e.DatabaseSpecific} {
		for _, key := range []string{"urgency", "severity"} {
			if w, ok := specificString(raw, key); ok {
				if lvl, ok := levelOf(w); ok {
					return lvl, w, true
				}
			}
		}
	}
	for _, list := range [][]osv.Severity{a.Severity, e.Severity} {
		for _, s := range list {
			if s.Type == osv.SeverityUbuntu {
				if lvl, ok := levelOf(s.Score); ok {
					return lvl, s.Score, true
				}
			}
		}
	}
	if redHatFamily[base] {
		if w, _, ok := strings.Cut(e.Summary, ":"); ok {
			if lvl, ok := levelOf(w); ok && !strings.ContainsAny(w, " \t") {
				return lvl, w, true
			}
		}
	}
	return "", "", false
}

// specificString reads a string field of a *_specific object.
func specificString(raw json.RawMessage, key string) (string, bool) {
	if len(raw) == 0 || !strings.Contains(string(raw), `"`+key+`"`) {
		return "", false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "", false
	}
	var s string
	if json.Unmarshal(m[key], &s) != nil || s == "" {
		return "", false
	}
	return s, true
}

// Rate applies the severity policy (see [Rate]) with this database's
// enrichment for the advisory's CVEs.
func (db *DB) Rate(e *osv.Entry, a *osv.Affected) (Rating, error) {
	var enr []*Enrichment
	for _, c := range e.CVEs() {
		en, err := db.Enrichment(c)
		if err != nil {
			return Rating{Level: Unknown}, err
		}
		if en != nil {
			enr = append(enr, en)
		}
	}
	return Rate(e, a, enr), nil
}
