package version

import "testing"

// benchPairs are realistic pairs, one per scheme, for BenchmarkParseCompare.
var benchPairs = map[Ecosystem][2]string{
	Dpkg:     {"1:2.36.1-8+deb12u1", "1:2.36.1-8+deb12u2"},
	APK:      {"1.24.2-r12", "1.24.2_rc1-r13"},
	RPM:      {"1:3.0.7-27.el9_5", "1:3.0.7-24.el9"},
	SemVer:   {"1.2.3-beta.11+build.5", "1.2.3-beta.2"},
	Go:       {"v0.0.0-20200302150141-5c8b2ff67527", "v0.1.0"},
	PEP440:   {"1.0.post1.dev2+local.7", "1.0rc1"},
	Maven:    {"2.15.0-rc2", "2.15.0"},
	RubyGems: {"7.1.0.rc1", "7.0.4.3"},
	NuGet:    {"4.7.2-beta.1", "4.7.2.1"},
	Composer: {"v5.4.24", "5.4.9-RC1"},
	Pub:      {"1.2.3+build.1", "1.2.3"},
	Generic:  {"1.2-3", "1.2.10"},
}

// BenchmarkParseCompare parses two versions and compares them, per scheme.
func BenchmarkParseCompare(b *testing.B) {
	for _, scheme := range Schemes() {
		pair, ok := benchPairs[scheme]
		if !ok {
			b.Fatalf("no benchmark pair for %q", scheme)
		}
		b.Run(string(scheme), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				x, err := Parse(scheme, pair[0])
				if err != nil {
					b.Fatal(err)
				}
				y, err := Parse(scheme, pair[1])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := x.Compare(y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompare compares two already parsed versions, per scheme.
func BenchmarkCompare(b *testing.B) {
	for _, scheme := range Schemes() {
		pair := benchPairs[scheme]
		x, err := Parse(scheme, pair[0])
		if err != nil {
			b.Fatal(err)
		}
		y, err := Parse(scheme, pair[1])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(scheme), func(b *testing.B) {
			for b.Loop() {
				if _, err := x.Compare(y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAffected evaluates a typical two-interval OSV range.
func BenchmarkAffected(b *testing.B) {
	events := []Event{{Introduced: "0"}, {Fixed: "2.36-9+deb12u4"}, {Introduced: "2.37-1"}, {Fixed: "2.37-15"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Affected(Dpkg, "2.36-9+deb12u3", events); err != nil {
			b.Fatal(err)
		}
	}
}
