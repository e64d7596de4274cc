package exempt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/finding"
)

var now = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func fnd(id, name, source, purl string, aliases ...string) *finding.Finding {
	return &finding.Finding{ID: id, Aliases: aliases, Package: finding.Package{Name: name, SourceName: source, PURL: purl, Version: "1.0.2j-r0", Type: "apk"}}
}

func TestIgnore(t *testing.T) {
	ig, err := ParseIgnore(strings.NewReader(`# accepted risks
ignore:
  - id: CVE-2018-5407
    package: openssl
    expires: 2026-12-31
    reason: SMT is off
  - id: ALPINE-CVE-2016-9840
    reason: by alias, any package
  - id: CVE-2017-3735
    expires: 2026-01-01
    reason: expired
  - id: GHSA-p6mc-m468-83gw
    package: pkg:npm/lodash@4.17.15
    reason: by purl
`), clock)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		f      *finding.Finding
		want   bool
		reason string
	}{
		{"id and source package", fnd("CVE-2018-5407", "libssl1.0", "openssl", ""), true, "SMT is off"},
		{"id, other package", fnd("CVE-2018-5407", "musl", "", ""), false, ""},
		{"alias", fnd("CVE-2016-9840", "zlib", "", "", "ALPINE-CVE-2016-9840"), true, "by alias, any package"},
		{"expired", fnd("CVE-2017-3735", "libssl1.0", "openssl", ""), false, ""},
		{"purl", fnd("GHSA-p6mc-m468-83gw", "lodash", "", "pkg:npm/lodash@4.17.15"), true, "by purl"},
		{"purl, other version", fnd("GHSA-p6mc-m468-83gw", "lodash", "", "pkg:npm/lodash@4.17.21"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ig.Exempt(nil, tt.f)
			if got != tt.want || tt.f.Exempted != tt.want {
				t.Fatalf("Exempt = %v (exempted %v), want %v", got, tt.f.Exempted, tt.want)
			}
			if got && (tt.f.Exemption.Reason != tt.reason || tt.f.Exemption.Source != finding.ExemptionIgnoreFile) {
				t.Errorf("exemption %+v", tt.f.Exemption)
			}
		})
	}
	if exp := ig.Expired(); len(exp) != 1 || exp[0].ID != "CVE-2017-3735" || exp[0].Line != 9 {
		t.Errorf("Expired() = %+v", exp)
	}
}

func TestIgnoreErrors(t *testing.T) {
	for _, tt := range []struct{ name, doc, msg string }{
		{"no reason", "ignore:\n  - id: CVE-1\n", "line 2: rule CVE-1 needs a reason"},
		{"no id", "ignore:\n  - reason: x\n", "line 2: a rule needs an id"},
		{"unknown key", "ignore:\n  - id: CVE-1\n    reason: x\n    pkg: y\n", `line 4: unknown key "pkg" in a rule (a rule has id, package, expires, reason)`},
		{"unknown top-level key", "ignores:\n  - id: CVE-1\n", `line 1: unknown key "ignores" (the file has one key, ignore: a list of rules)`},
		{"rules not a list", "ignore:\n  id: CVE-1\n", "line 2: ignore is a map, want a list of rules"},
		{"a list, not a map", "- id: CVE-1\n", "line 1: the file is a list, want a map with the key ignore"},
		{"rule not a map", "ignore:\n  - CVE-1\n", "line 2: a rule is a string, want a map of id, package, expires, reason"},
		{"id not a string", "ignore:\n  - id: [a, b]\n    reason: x\n", "line 2: a value is a list, want a string"},
		{"bad date", "ignore:\n  - id: CVE-1\n    reason: x\n    expires: soon\n", `expires "soon"`},
		{"not yaml", "ignore: [", "yaml"},
		{"bad purl", "ignore:\n  - id: CVE-1\n    reason: x\n  - id: CVE-2\n    package: pkg:npm\n    reason: y\n", `line 4: rule CVE-2: package: package URL "pkg:npm"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIgnore(strings.NewReader(tt.doc), clock)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want ErrInvalid mentioning %q", err, tt.msg)
			}
			if err != nil && strings.Contains(err.Error(), "exempt.") {
				t.Errorf("err = %v names a Go type", err)
			}
		})
	}
	ig, err := ParseIgnore(strings.NewReader(""), clock)
	if err != nil || len(ig.Rules) != 0 {
		t.Errorf("empty file: %v, %v", ig, err)
	}
}

const vexDoc = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/demo",
  "author": "platform-team@example.com",
  "timestamp": "2026-08-01T09:30:00Z",
  "statements": [
    {"vulnerability": {"name": "CVE-2017-16544"},
     "products": [{"@id": "pkg:apk/alpine/busybox-suid@1.24.2-r12"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
     "impact_statement": "bbsuid never runs ash"},
    {"vulnerability": {"name": "CVE-2016-9840"},
     "products": [{"@id": "pkg:oci/alpine@sha256:aaaa", "subcomponents": [{"@id": "pkg:apk/alpine/zlib"}]}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist"},
    {"vulnerability": {"name": "CVE-2018-0732"},
     "products": [{"@id": "pkg:apk/alpine/libssl1.0"}],
     "status": "not_affected", "justification": "component_not_present", "timestamp": "2026-08-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2018-0732"},
     "products": [{"@id": "pkg:apk/alpine/libssl1.0"}],
     "status": "affected", "action_statement": "upgrade", "timestamp": "2026-08-02T00:00:00Z"},
    {"vulnerability": {"name": "CVE-2018-0733"},
     "products": [{"@id": "demo/alpine"}],
     "status": "fixed"}
  ]
}`

func TestVEX(t *testing.T) {
	v, err := ParseVEX(strings.NewReader(vexDoc))
	if err != nil {
		t.Fatal(err)
	}
	img := &finding.Image{Repository: "demo/alpine", Digest: "sha256:aaaa"}
	other := &finding.Image{Repository: "other/image", Digest: "sha256:bbbb"}
	tests := []struct {
		name string
		img  *finding.Image
		f    *finding.Finding
		want string // exemption reason; "" for not silenced
	}{
		{"package product", img, fnd("CVE-2017-16544", "busybox-suid", "busybox", "pkg:apk/alpine/busybox-suid@1.24.2-r12?arch=x86_64&distro=alpine-3.4.6"), "bbsuid never runs ash"},
		{"package product, other package", img, fnd("CVE-2017-16544", "busybox", "", "pkg:apk/alpine/busybox@1.24.2-r12"), ""},
		{"image product with subcomponent", img, fnd("CVE-2016-9840", "zlib", "", "pkg:apk/alpine/zlib@1.2.8-r2"), "VEX: not affected (inline mitigations already exist)"},
		{"image product, other image", other, fnd("CVE-2016-9840", "zlib", "", "pkg:apk/alpine/zlib@1.2.8-r2"), ""},
		{"image product, other subcomponent", img, fnd("CVE-2016-9840", "zlib-dev", "zlib", "pkg:apk/alpine/zlib-dev@1.2.8-r2"), ""},
		{"the latest statement decides", img, fnd("CVE-2018-0732", "libssl1.0", "openssl", "pkg:apk/alpine/libssl1.0@1.0.2j-r0"), ""},
		{"fixed, image by repository", img, fnd("CVE-2018-0733", "libssl1.0", "openssl", "pkg:apk/alpine/libssl1.0@1.0.2j-r0"), "VEX: fixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v.Exempt(tt.img, tt.f)
			if got != (tt.want != "") {
				t.Fatalf("Exempt = %v, want %v", got, tt.want != "")
			}
			if !got {
				return
			}
			if tt.f.Exemption.Reason != tt.want || tt.f.Exemption.Source != finding.ExemptionVEX || tt.f.VEX == nil ||
				tt.f.VEX.Document != "https://example.com/vex/demo" || tt.f.Exemption.Author != "platform-team@example.com" {
				t.Errorf("exemption %+v vex %+v", tt.f.Exemption, tt.f.VEX)
			}
		})
	}
}

func TestVEXLegacyForm(t *testing.T) {
	v, err := ParseVEX(strings.NewReader(`{"@context": "https://openvex.dev/ns", "@id": "x", "author": "a",
	  "timestamp": "2023-01-01T00:00:00Z",
	  "statements": [{"vulnerability": "CVE-2017-16544", "products": ["pkg:apk/alpine/busybox"], "status": "not_affected",
	    "justification": "vulnerable_code_not_present"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	f := fnd("CVE-2017-16544", "busybox", "", "pkg:apk/alpine/busybox@1.24.2-r12")
	if !v.Exempt(nil, f) || f.VEX.Justification != "vulnerable_code_not_present" {
		t.Errorf("not silenced: %+v", f)
	}
}

func TestVEXErrors(t *testing.T) {
	for _, tt := range []struct{ name, doc, msg string }{
		{"not json", "{", "VEX"},
		{"not openvex", `{"@context": "https://cyclonedx.org"}`, "not OpenVEX"},
		{"bad status", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": "CVE-1", "products": ["pkg:npm/x"], "status": "maybe"}]}`, `status "maybe"`},
		{"no product", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": "CVE-1", "status": "fixed"}]}`, "names no product"},
		{"no vulnerability", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"products": ["x"], "status": "fixed"}]}`, "no vulnerability"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVEX(strings.NewReader(tt.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want ErrInvalid mentioning %q", err, tt.msg)
			}
		})
	}
}

// TestVEXSetLatestAcrossDocuments checks that several documents are one
// sequence of statements (OpenVEX: each statement overrides the earlier
// ones): a later document's affected statement un-silences what an earlier
// document's not_affected statement silenced, whatever order the documents
// are given in, and an older statement never overrides a newer one.
func TestVEXSetLatestAcrossDocuments(t *testing.T) {
	doc := func(id, ts, status, extra string) *VEX {
		t.Helper()
		v, err := ParseVEX(strings.NewReader(`{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "` + id + `", "author": "a",
		  "timestamp": "` + ts + `", "version": 1,
		  "statements": [{"vulnerability": {"name": "CVE-2017-15873"}, "products": [{"@id": "pkg:apk/alpine/busybox"}],
		    "status": "` + status + `"` + extra + `}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	notAffected := doc("jan", "2026-01-01T00:00:00Z", "not_affected", `, "justification": "vulnerable_code_not_in_execute_path"`)
	affected := doc("feb", "2026-02-01T00:00:00Z", "affected", `, "action_statement": "upgrade busybox"`)
	fixed := doc("mar", "2026-03-01T00:00:00Z", "fixed", "")
	tests := []struct {
		name string
		set  VEXSet
		want string // document that silences; "" for none
	}{
		{"one document", VEXSet{notAffected}, "jan"},
		{"later affected overrides", VEXSet{notAffected, affected}, ""},
		{"later affected overrides, given first", VEXSet{affected, notAffected}, ""},
		{"latest fixed decides", VEXSet{fixed, affected, notAffected}, "mar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fnd("CVE-2017-15873", "busybox", "", "pkg:apk/alpine/busybox@1.24.2-r12?arch=x86_64")
			got := tt.set.Exempt(nil, f)
			if got != (tt.want != "") {
				t.Fatalf("Exempt = %v, want %v", got, tt.want != "")
			}
			if got && (f.VEX == nil || f.VEX.Document != tt.want) {
				t.Errorf("decided by %+v, want document %s", f.VEX, tt.want)
			}
		})
	}
}

// TestVEXIncompleteStatements checks that statements OpenVEX calls invalid
// are errors instead of silencing findings (or silently matching nothing).
func TestVEXIncompleteStatements(t *testing.T) {
	stmt := func(body string) string {
		return `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2026-01-01T00:00:00Z",
		  "statements": [{"vulnerability": {"name": "CVE-2021-44906"}, ` + body + `}]}`
	}
	for _, tt := range []struct{ name, doc, msg string }{
		{"not_affected without a reason", stmt(`"products": [{"@id": "pkg:npm/minimist"}], "status": "not_affected"`),
			"not_affected needs a justification or an impact_statement"},
		{"unknown justification", stmt(`"products": [{"@id": "pkg:npm/minimist"}], "status": "not_affected", "justification": "because"`),
			`justification "because" is not one of component_not_present,`},
		{"bad product purl", stmt(`"products": [{"@id": "pkg:%%bad"}], "status": "fixed"`), `product: package URL "pkg:%%bad"`},
		{"bad subcomponent purl", stmt(`"products": [{"@id": "demo/app", "subcomponents": [{"identifiers": {"purl": "pkg:npm"}}]}], "status": "fixed"`),
			`subcomponent: package URL "pkg:npm"`},
		{"no timestamp", `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
		  "statements": [{"vulnerability": "CVE-1", "products": ["pkg:npm/x"], "status": "fixed"}]}`, "statement 0 (CVE-1) has no timestamp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVEX(strings.NewReader(tt.doc))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want ErrInvalid mentioning %q", err, tt.msg)
			}
		})
	}
	// An impact statement alone is a reason.
	if _, err := ParseVEX(strings.NewReader(stmt(`"products": [{"@id": "pkg:npm/minimist@1.2.5?foo=bar"}], "status": "not_affected", "impact_statement": "never parses user input"`))); err != nil {
		t.Errorf("impact statement only: %v", err)
	}
}

// TestVEXPURLNames checks that a product's package URL matches the package
// however its writer spelled a name the purl specification normalizes
// (PyPI: case and separators, "." included; npm, apk, deb: case).
func TestVEXPURLNames(t *testing.T) {
	for _, tt := range []struct {
		product, have string
		want          bool
	}{
		{"pkg:pypi/PyYAML@6.0", "pkg:pypi/pyyaml@6.0", true},
		{"pkg:pypi/typing_extensions", "pkg:pypi/typing-extensions@4.4.0", true},
		{"pkg:pypi/zope.interface", "pkg:pypi/zope-interface@5.5.2", true},
		{"pkg:pypi/pyyaml", "pkg:pypi/ruamel-yaml@0.17.21", false},
		{"pkg:npm/JSON5@2.2.1", "pkg:npm/json5@2.2.1", true},
		{"pkg:golang/github.com/burntsushi/toml", "pkg:golang/github.com/BurntSushi/toml@v0.3.1", true}, // namespace: case-insensitive
	} {
		v, err := ParseVEX(strings.NewReader(`{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2026-01-01T00:00:00Z",
		  "statements": [{"vulnerability": "CVE-1", "products": ["` + tt.product + `"], "status": "fixed"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		f := fnd("CVE-1", "x", "", tt.have)
		if got := v.Exempt(nil, f); got != tt.want {
			t.Errorf("product %s, package %s: silenced %v, want %v", tt.product, tt.have, got, tt.want)
		}
	}
}
