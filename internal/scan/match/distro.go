package match

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/feed/debian"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Distro matches operating system packages against their distribution's
// advisories for the image's release: an Alpine 3.4 image against
// "Alpine:v3.4", Debian 12 against "Debian:12", Ubuntu 22.04 against
// "Ubuntu:22.04:LTS" and "Ubuntu:22.04". Alpine and Debian file advisories
// under the source package (apk origin, dpkg Source:), so those packages
// are looked up by source name and judged by source version; RPM
// distributions name binary packages, and their ranges are told apart by
// module stream (see moduleView).
type Distro struct{}

var _ Matcher = Distro{}

// Name implements [Matcher].
func (Distro) Name() string { return "os/distro" }

// Handles implements [Matcher].
func (Distro) Handles(p *pkg.Package) bool { return p.Type.IsOS() }

// Queries implements [Matcher]. An OS package of a release the table does
// not know has none: no advisory can be attributed to it.
func (Distro) Queries(p *pkg.Package) []Query {
	rel := ReleaseOf(p.Distro)
	if len(rel.Ecosystems) == 0 || rel.Type != p.Type {
		return nil
	}
	name, ver := p.Source()
	if p.Type == pkg.TypeRPM {
		name, ver = p.Name, p.Version
	}
	out := make([]Query, 0, len(rel.Ecosystems))
	for _, eco := range rel.Ecosystems {
		out = append(out, Query{Ecosystem: eco, Name: name, Version: ver})
	}
	return out
}

// Affected implements [Matcher]. Debian's "unimportant" urgency, its
// "end-of-life" urgency and a no-DSA decision of "ignored" on an open issue
// mean the maintainers will not fix it in the release: WontFix.
func (d Distro) Affected(_ context.Context, p *pkg.Package, adv *osv.Entry) (Verdict, error) {
	if p.Type == pkg.TypeRPM {
		adv = moduleView(adv, p)
	}
	for _, q := range d.Queries(p) {
		v, err := Evaluate(adv, q.Ecosystem, q.Name, q.Version)
		if err != nil {
			return v, err
		}
		if !v.Affected {
			continue
		}
		if v.Status == finding.NoFixAvailable && v.Index >= 0 && wontFix(adv.Affected[v.Index].EcosystemSpecific) {
			v.Status = finding.WontFix
		}
		return v, nil
	}
	return Verdict{Index: -1}, nil
}

// wontFix reads the Debian tracker's judgement from ecosystem_specific.
func wontFix(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var es struct {
		Urgency     string `json:"urgency"`
		NoDSAReason string `json:"nodsa_reason"`
	}
	if json.Unmarshal(raw, &es) != nil {
		return false
	}
	u := strings.TrimRight(es.Urgency, "*")
	return u == "unimportant" || u == "end-of-life" || es.NoDSAReason == "ignored"
}

// Release is what drydock knows about an OS release.
type Release struct {
	// Ecosystems are the OSV ecosystems holding the release's advisories.
	Ecosystems []string
	// Type is the package type of the release's package manager.
	Type pkg.Type
	// EOL is when the release stops receiving security fixes (its
	// distribution's published end of security support, LTS included);
	// zero when not known.
	EOL time.Time
}

// EndOfLife reports whether the release is past its end of life at now.
func (r Release) EndOfLife(now time.Time) bool {
	return !r.EOL.IsZero() && !now.Before(r.EOL)
}

// ReleaseOf returns what drydock knows about distribution release d; the
// zero Release for a nil or unknown one. Distributions known only through
// ID_LIKE are not matched: another distribution's data would mislead.
func ReleaseOf(d *pkg.Distro) Release {
	if d == nil {
		return Release{}
	}
	switch d.ID {
	case "alpine":
		mm := majorMinor(d.VersionID)
		if mm == "" {
			return Release{}
		}
		return Release{Ecosystems: []string{"Alpine:v" + mm}, Type: pkg.TypeAPK, EOL: eol[d.ID+":"+mm]}
	case "wolfi":
		return Release{Ecosystems: []string{"Wolfi"}, Type: pkg.TypeAPK}
	case "chainguard":
		return Release{Ecosystems: []string{"Chainguard"}, Type: pkg.TypeAPK}
	case "debian":
		n := major(d.VersionID)
		if n == "" {
			n = debian.Releases[d.Codename]
		}
		if n == "" {
			return Release{}
		}
		return Release{Ecosystems: []string{"Debian:" + n}, Type: pkg.TypeDeb, EOL: eol["debian:"+n]}
	case "ubuntu":
		mm := majorMinor(d.VersionID)
		if mm == "" {
			return Release{}
		}
		return Release{Ecosystems: []string{"Ubuntu:" + mm + ":LTS", "Ubuntu:" + mm}, Type: pkg.TypeDeb, EOL: eol["ubuntu:"+mm]}
	case "almalinux":
		return rpmRelease("AlmaLinux:", d)
	case "rocky":
		return rpmRelease("Rocky Linux:", d)
	case "rhel":
		r := redHatRelease(d)
		if end, ok := eol["rhel:"+major(d.VersionID)]; ok {
			r.Type, r.EOL = pkg.TypeRPM, end
		}
		return r
	case "centos", "fedora":
		// No advisory feed covers CentOS (Red Hat's are for RHEL builds)
		// or Fedora, so their packages stay unchecked; their end of life
		// is still known.
		if n := major(d.VersionID); n != "" {
			return Release{Type: pkg.TypeRPM, EOL: eol[d.ID+":"+n]}
		}
	case "amzn":
		// Amazon Linux ("2", "2023", "2018.03" for the first one): no
		// advisory data either.
		if v := d.VersionID; v != "" {
			return Release{Type: pkg.TypeRPM, EOL: eol["amzn:"+v]}
		}
	case "sles":
		return suseRelease(d)
	case "opensuse-leap":
		if mm := majorMinor(d.VersionID); mm != "" {
			return Release{Ecosystems: []string{"openSUSE:Leap " + mm}, Type: pkg.TypeRPM, EOL: eol["opensuse-leap:"+mm]}
		}
	case "opensuse-tumbleweed":
		return Release{Ecosystems: []string{"openSUSE:Tumbleweed"}, Type: pkg.TypeRPM}
	case "mageia":
		return rpmRelease("Mageia:", d)
	case "photon":
		if mm := majorMinor(d.VersionID); mm != "" {
			return Release{Ecosystems: []string{"Photon OS:" + mm}, Type: pkg.TypeRPM}
		}
	}
	return Release{}
}

func rpmRelease(prefix string, d *pkg.Distro) Release {
	n := major(d.VersionID)
	if n == "" {
		return Release{}
	}
	return Release{Ecosystems: []string{prefix + n}, Type: pkg.TypeRPM}
}

// redHatRelease: Red Hat files advisories per product and repository,
// "Red Hat:enterprise_linux:9::baseos" (RHEL 8 and 9: baseos, appstream,
// crb; RHEL 7: server). Other products (EUS, SAP, RHEL 10's minor
// releases) are not queried.
func redHatRelease(d *pkg.Distro) Release {
	n := major(d.VersionID)
	switch n {
	case "7":
		return Release{Ecosystems: []string{"Red Hat:enterprise_linux:7::server"}, Type: pkg.TypeRPM}
	case "8", "9":
		p := "Red Hat:enterprise_linux:" + n + "::"
		return Release{Ecosystems: []string{p + "baseos", p + "appstream", p + "crb"}, Type: pkg.TypeRPM}
	}
	return Release{}
}

// suseRelease: SUSE files advisories per product and, on SLE 15, per
// module, which os-release does not name: SLES 15 SP5 is matched against
// the Basesystem and Server Applications modules (where the base image's
// packages come from) and the Server product itself. Other modules and
// LTSS are not queried.
func suseRelease(d *pkg.Distro) Release {
	n := major(d.VersionID)
	if n == "" {
		return Release{}
	}
	ver := n
	if mm := majorMinor(d.VersionID); mm != "" && mm != n+".0" {
		ver += " SP" + mm[len(n)+1:]
	}
	ecos := []string{"SUSE:Linux Enterprise Server " + ver}
	if n == "15" {
		ecos = append([]string{"SUSE:Linux Enterprise Module for Basesystem " + ver,
			"SUSE:Linux Enterprise Module for Server Applications " + ver}, ecos...)
	}
	return Release{Ecosystems: ecos, Type: pkg.TypeRPM}
}

// major returns "12" of "12", "12.5" or "9.3"; "" when v does not start
// with a number.
func major(v string) string {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	return v[:i]
}

// majorMinor returns "3.4" of "3.4.6" (and of "3.21.0_alpha2024"); ""
// when v has no minor number.
func majorMinor(v string) string {
	maj := major(v)
	if maj == "" || len(v) == len(maj) || v[len(maj)] != '.' {
		return ""
	}
	min := major(v[len(maj)+1:])
	if min == "" {
		return ""
	}
	return maj + "." + min
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err) // package-level constant data
	}
	return t
}

// eol holds the end of security support of releases, as the distributions
// publish it: Alpine's release table (alpinelinux.org/releases, end of
// support of the main repository), Debian's end of LTS
// (wiki.debian.org/LTS), Ubuntu's end of standard support
// (ubuntu.com/about/release-cycle; nine months for interim releases, the
// day of 25.04's and 25.10's to the month), CentOS's end of life
// (centos.org; "8" is CentOS Stream 8's, the later of the two 8s), Red
// Hat's end of maintenance support (access.redhat.com/support/policy/
// updates/errata), Fedora's (docs.fedoraproject.org/en-US/releases/eol),
// Amazon Linux's (aws.amazon.com/amazon-linux-2/faqs and the AL2023 FAQ)
// and openSUSE Leap's (en.opensuse.org/Lifetime). Releases still
// supported are listed where the end is announced, so that images age
// into the flag. A release not listed is never flagged.
var eol = map[string]time.Time{
	"alpine:3.0":   date("2016-05-01"),
	"alpine:3.1":   date("2016-11-01"),
	"alpine:3.2":   date("2017-05-01"),
	"alpine:3.3":   date("2017-11-01"),
	"alpine:3.4":   date("2018-05-01"),
	"alpine:3.5":   date("2018-11-01"),
	"alpine:3.6":   date("2019-05-01"),
	"alpine:3.7":   date("2019-11-01"),
	"alpine:3.8":   date("2020-05-01"),
	"alpine:3.9":   date("2020-11-01"),
	"alpine:3.10":  date("2021-05-01"),
	"alpine:3.11":  date("2021-11-01"),
	"alpine:3.12":  date("2022-05-01"),
	"alpine:3.13":  date("2022-11-01"),
	"alpine:3.14":  date("2023-05-01"),
	"alpine:3.15":  date("2023-11-01"),
	"alpine:3.16":  date("2024-05-23"),
	"alpine:3.17":  date("2024-11-22"),
	"alpine:3.18":  date("2025-05-09"),
	"alpine:3.19":  date("2025-11-01"),
	"alpine:3.20":  date("2026-04-01"),
	"alpine:3.21":  date("2026-11-01"),
	"alpine:3.22":  date("2027-05-01"),
	"alpine:3.23":  date("2027-11-01"),
	"debian:6":     date("2016-02-29"),
	"debian:7":     date("2018-05-31"),
	"debian:8":     date("2020-06-30"),
	"debian:9":     date("2022-06-30"),
	"debian:10":    date("2024-06-30"),
	"debian:11":    date("2026-08-31"),
	"debian:12":    date("2028-06-30"),
	"debian:13":    date("2030-06-30"),
	"ubuntu:12.04": date("2017-04-28"),
	"ubuntu:14.04": date("2019-04-30"),
	"ubuntu:14.10": date("2015-07-23"),
	"ubuntu:15.04": date("2016-02-04"),
	"ubuntu:15.10": date("2016-07-28"),
	"ubuntu:16.10": date("2017-07-20"),
	"ubuntu:17.04": date("2018-01-13"),
	"ubuntu:17.10": date("2018-07-19"),
	"ubuntu:18.10": date("2019-07-18"),
	"ubuntu:19.04": date("2020-01-23"),
	"ubuntu:19.10": date("2020-07-17"),
	"ubuntu:20.10": date("2021-07-22"),
	"ubuntu:21.04": date("2022-01-20"),
	"ubuntu:21.10": date("2022-07-14"),
	"ubuntu:22.10": date("2023-07-20"),
	"ubuntu:23.04": date("2024-01-25"),
	"ubuntu:23.10": date("2024-07-11"),
	"ubuntu:24.10": date("2025-07-10"),
	"ubuntu:25.04": date("2026-01-31"),
	"ubuntu:25.10": date("2026-07-31"),
	"ubuntu:16.04": date("2021-04-30"),
	"ubuntu:18.04": date("2023-05-31"),
	"ubuntu:20.04": date("2025-05-31"),
	"ubuntu:22.04": date("2027-06-01"),
	"ubuntu:24.04": date("2029-05-31"),
	"centos:6":     date("2020-11-30"),
	"centos:7":     date("2024-06-30"),
	"centos:8":     date("2024-05-31"),
	"centos:9":     date("2027-05-31"),
	"rhel:5":       date("2017-03-31"),
	"rhel:6":       date("2020-11-30"),
	"rhel:7":       date("2024-06-30"),
	"rhel:8":       date("2029-05-31"),
	"rhel:9":       date("2032-05-31"),
	"fedora:30":    date("2020-05-26"),
	"fedora:31":    date("2020-11-24"),
	"fedora:32":    date("2021-05-25"),
	"fedora:33":    date("2021-11-30"),
	"fedora:34":    date("2022-06-07"),
	"fedora:35":    date("2022-12-13"),
	"fedora:36":    date("2023-05-16"),
	"fedora:37":    date("2023-12-05"),
	"fedora:38":    date("2024-05-21"),
	"fedora:39":    date("2024-11-26"),
	"fedora:40":    date("2025-05-13"),
	"fedora:41":    date("2025-12-15"),
	"fedora:42":    date("2026-05-13"),
	"fedora:43":    date("2026-12-09"),
	"amzn:2018.03": date("2023-12-31"),
	"amzn:2":       date("2026-06-30"),
	"amzn:2023":    date("2029-06-30"),

	"opensuse-leap:15.0": date("2019-12-03"),
	"opensuse-leap:15.1": date("2021-01-31"),
	"opensuse-leap:15.2": date("2021-12-31"),
	"opensuse-leap:15.3": date("2022-12-31"),
	"opensuse-leap:15.4": date("2023-12-07"),
	"opensuse-leap:15.5": date("2024-12-31"),
	"opensuse-leap:15.6": date("2026-04-30"),
}
