package version

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func intro(v string) Event { return Event{Introduced: v} }
func fixed(v string) Event { return Event{Fixed: v} }
func last(v string) Event  { return Event{LastAffected: v} }
func limit(v string) Event { return Event{Limit: v} }

func TestAffected(t *testing.T) {
	tests := []struct {
		name   string
		scheme Ecosystem
		events []Event
		// want maps versions to the expected answer.
		want map[string]bool
	}{
		{
			name:   "introduced 0, fixed exclusive",
			scheme: SemVer,
			events: []Event{intro("0"), fixed("1.0.0")},
			want:   map[string]bool{"0.0.0": true, "0.9.9": true, "1.0.0-rc.1": true, "1.0.0": false, "1.0.1": false},
		},
		{
			name:   "introduced inclusive",
			scheme: SemVer,
			events: []Event{intro("1.0.0"), fixed("2.0.0")},
			want:   map[string]bool{"0.9.9": false, "1.0.0-rc.1": false, "1.0.0": true, "1.5.0": true, "2.0.0-rc.1": true, "2.0.0": false},
		},
		{
			name:   "last_affected inclusive",
			scheme: SemVer,
			events: []Event{intro("1.0.0"), last("1.5.0")},
			want:   map[string]bool{"0.9.0": false, "1.0.0": true, "1.5.0": true, "1.5.1-rc.1": false, "1.5.1": false},
		},
		{
			name:   "introduced only: every later version",
			scheme: SemVer,
			events: []Event{intro("1.0.0")},
			want:   map[string]bool{"0.1.0": false, "1.0.0": true, "99.0.0": true},
		},
		{
			name:   "two intervals",
			scheme: PEP440,
			events: []Event{intro("1.0"), fixed("1.5"), intro("2.0"), fixed("2.5")},
			want: map[string]bool{
				"0.9": false, "1.0": true, "1.4.9": true, "1.5": false, "1.7": false,
				"2.0a1": false, "2.0": true, "2.4.post1": true, "2.5rc1": true, "2.5": false, "3.0": false,
			},
		},
		{
			name:   "events out of order are sorted",
			scheme: PEP440,
			events: []Event{fixed("2.5"), intro("2.0"), fixed("1.5"), intro("1.0")},
			want:   map[string]bool{"1.2": true, "1.7": false, "2.1": true, "2.6": false},
		},
		{
			name:   "fixed and last_affected mixed",
			scheme: Maven,
			events: []Event{intro("1.0"), last("1.2.9"), intro("2.0-beta9"), fixed("2.15.0")},
			want: map[string]bool{
				"1.2.9": true, "1.2.10": false, "1.2.17": false, "2.0-alpha1": false, "2.0-beta9": true,
				"2.0-rc1": true, "2.14.1": true, "2.15.0-rc2": true, "2.15.0": false,
			},
		},
		{
			name:   "limit: below at least one limit",
			scheme: SemVer,
			events: []Event{intro("0"), limit("1.0.0"), limit("3.0.0")},
			want:   map[string]bool{"0.5.0": true, "2.0.0": true, "3.0.0": false, "4.0.0": false},
		},
		{
			name:   "limit below the fixed version",
			scheme: SemVer,
			events: []Event{intro("0"), fixed("5.0.0"), limit("2.0.0")},
			want:   map[string]bool{"1.0.0": true, "2.0.0": false, "4.0.0": false},
		},
		{
			name:   "limit * means no limit",
			scheme: SemVer,
			events: []Event{intro("0"), fixed("5.0.0"), limit("*")},
			want:   map[string]bool{"4.0.0": true, "5.0.0": false},
		},
		{
			name:   "introduced and fixed at the same version: empty",
			scheme: SemVer,
			events: []Event{intro("1.0.0"), fixed("1.0.0")},
			want:   map[string]bool{"0.1.0": false, "1.0.0": false, "1.0.1": false},
		},
		{
			name:   "equal versions keep their order: maven 1.0 = 1.0.0",
			scheme: Maven,
			events: []Event{intro("1.0"), fixed("1.0.0")},
			want:   map[string]bool{"1": false, "1.0": false, "1.0.1": false},
		},
		{
			name:   "dpkg epoch",
			scheme: Dpkg,
			events: []Event{intro("0"), fixed("2.0-1")},
			want:   map[string]bool{"1.9-1": true, "2.0~rc1-1": true, "2.0-1": false, "1:1.0-1": false},
		},
		{
			name:   "dpkg security update",
			scheme: Dpkg,
			events: []Event{intro("0"), fixed("2.36-9+deb12u7")},
			want:   map[string]bool{"2.36-9+deb12u4": true, "2.36-9": true, "2.36-9+deb12u7": false, "2.36-9+deb12u10": false},
		},
		{
			name:   "apk revisions and suffixes",
			scheme: APK,
			events: []Event{intro("0"), fixed("1.2.3-r1")},
			want:   map[string]bool{"1.2.3_rc1-r5": true, "1.2.3-r0": true, "1.2.3-r1": false, "1.2.3_p1-r0": false},
		},
		{
			name:   "rpm release",
			scheme: RPM,
			events: []Event{intro("0"), fixed("0:2.5.5-8.el9_0")},
			want:   map[string]bool{"2.5.5-8.el9": true, "2.5.5-8.el9_0": false, "1:2.5.4-1.el9": false},
		},
		{
			name:   "go toolchain against OSV stdlib ranges",
			scheme: Go,
			events: []Event{intro("0"), fixed("1.19.13"), intro("1.20.0-0"), fixed("1.20.8")},
			want: map[string]bool{
				"go1.19.12": true, "go1.19.13": false, "go1.20rc1": true, "go1.20": true,
				"go1.20.7": true, "go1.20.8": false, "1.21.0": false,
			},
		},
		{
			name:   "go pseudo-versions",
			scheme: Go,
			events: []Event{intro("0"), fixed("0.0.0-20220314234659-1baeb1ce4c0b")},
			want: map[string]bool{
				"v0.0.0-20210921155107-089bfa567519": true,
				"v0.0.0-20220314234659-1baeb1ce4c0b": false,
				"v0.1.0":                             false,
			},
		},
		{
			name:   "composer normalisation",
			scheme: Composer,
			events: []Event{intro("5.0.0"), fixed("5.4.24")},
			want:   map[string]bool{"v5.4.23": true, "5.4.24-RC1": true, "v5.4.24": false, "4.4.0": false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := slices.Clone(tc.events)
			got := map[string]bool{}
			for v := range tc.want {
				ok, err := Affected(tc.scheme, v, tc.events)
				if err != nil {
					t.Fatalf("Affected(%q): %v", v, err)
				}
				got[v] = ok
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("affected (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(orig, tc.events); diff != "" {
				t.Errorf("events modified (-before +after):\n%s", diff)
			}
		})
	}
}

func TestAffectedErrors(t *testing.T) {
	tests := []struct {
		name    string
		scheme  Ecosystem
		version string
		events  []Event
		want    error
	}{
		{"unparseable version", Dpkg, "latest", []Event{intro("0"), fixed("1.0")}, ErrInvalidVersion},
		{"unparseable fixed", Dpkg, "1.0", []Event{intro("0"), fixed("one")}, ErrInvalidVersion},
		{"unparseable introduced", SemVer, "1.0.0", []Event{intro("v1.x"), fixed("2.0.0")}, ErrInvalidVersion},
		{"unparseable last_affected", SemVer, "1.0.0", []Event{intro("0"), last("01.0.0")}, ErrInvalidVersion},
		{"unparseable limit", SemVer, "1.0.0", []Event{intro("0"), limit("x")}, ErrInvalidVersion},
		{"unparseable version outside the range", APK, "1.0bc", []Event{intro("2.0")}, ErrInvalidVersion},
		{"unparseable event after the answer is known", SemVer, "0.5.0", []Event{intro("0"), fixed("1.0.0"), intro("2.0"), fixed("bad")}, ErrInvalidVersion},
		{"unknown scheme", "GIT", "abc", []Event{intro("0")}, ErrUnsupportedEcosystem},
		{"event with two fields", SemVer, "1.0.0", []Event{{Introduced: "0", Fixed: "2.0.0"}}, ErrInvalidRange},
		{"empty event", SemVer, "1.0.0", []Event{intro("0"), {}}, ErrInvalidRange},
		{"no introduced event", SemVer, "1.0.0", []Event{fixed("2.0.0")}, ErrInvalidRange},
		{"no events", SemVer, "1.0.0", nil, ErrInvalidRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Affected(tc.scheme, tc.version, tc.events)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Affected() = %v, %v; want error %v", got, err, tc.want)
			}
			if got {
				t.Errorf("Affected() = true with an error")
			}
		})
	}
}
