package finding

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// alpineFindings returns the findings of the Alpine 3.4.6 rootfs in
// /work/shared/testdata/manifests/alpine/3.4.6 matched against the v3.4
// secdb (see that README): one finding per advisory and installed binary
// package, with the first fixed version of the origin package.
func alpineFindings(t *testing.T) []Finding {
	t.Helper()
	type pkg struct{ name, version, origin string }
	installed := []pkg{
		{"musl", "1.1.14-r14", "musl"},
		{"busybox", "1.24.2-r12", "busybox"},
		{"zlib", "1.2.8-r2", "zlib"},
		{"libcrypto1.0", "1.0.2j-r0", "openssl"},
		{"libssl1.0", "1.0.2j-r0", "openssl"},
		{"busybox-suid", "1.24.2-r12", "busybox"},
		{"musl-utils", "1.1.14-r14", "musl"},
	}
	fixes := map[string][]struct {
		fixed string
		ids   []string
		sev   Severity
	}{
		"busybox": {{"1.24.2-r13", []string{"CVE-2017-15873", "CVE-2017-16544"}, High}},
		"musl":    {{"1.1.14-r16", []string{"CVE-2017-15650"}, High}},
		"openssl": {
			{"1.0.2k-r0", []string{"CVE-2016-7055", "CVE-2017-3731", "CVE-2017-3732"}, Medium},
			{"1.0.2m-r0", []string{"CVE-2017-3735", "CVE-2017-3736"}, Medium},
			{"1.0.2n-r0", []string{"CVE-2017-3737", "CVE-2017-3738"}, Medium},
			{"1.0.2o-r0", []string{"CVE-2018-0733", "CVE-2018-0739"}, Medium},
			{"1.0.2o-r1", []string{"CVE-2018-0732"}, High},
			{"1.0.2o-r2", []string{"CVE-2018-0737"}, Medium},
			{"1.0.2q-r0", []string{"CVE-2018-0734", "CVE-2018-5407"}, Medium},
		},
		"zlib": {{"1.2.11-r0", []string{"CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843"}, Critical}},
	}
	var out []Finding
	for _, p := range installed {
		for _, fx := range fixes[p.origin] {
			for _, id := range fx.ids {
				pk := Package{Name: p.name, Version: p.version, Type: "apk",
					PURL: fmt.Sprintf("pkg:apk/alpine/%s@%s?arch=x86_64&distro=3.4.6", p.name, p.version)}
				if p.origin != p.name {
					pk.SourceName = p.origin
				}
				out = append(out, Finding{ID: id, Package: pk, FixedVersion: fx.fixed,
					FixStatus: FixAvailable, Severity: fx.sev})
			}
		}
	}
	return out
}

// apkCompare is a small test-only ordering of Alpine versions, enough for
// the versions above: digit runs compare numerically, letter runs
// lexically, "-r" revisions last. The real one is internal/version's.
func apkCompare(typ, a, b string) (int, error) {
	if typ != "apk" {
		return 0, fmt.Errorf("apkCompare: unsupported type %q", typ)
	}
	ta, err := apkTokens(a)
	if err != nil {
		return 0, err
	}
	tb, err := apkTokens(b)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(ta) && i < len(tb); i++ {
		x, y := ta[i], tb[i]
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		switch {
		case ex == nil && ey == nil && nx != ny:
			if nx < ny {
				return -1, nil
			}
			return 1, nil
		case (ex == nil) != (ey == nil) || x != y:
			return strings.Compare(x, y), nil
		}
	}
	return len(ta) - len(tb), nil
}

func apkTokens(v string) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("apkCompare: empty version")
	}
	var toks []string
	cur := ""
	kind := 0 // 1 digit, 2 letter
	for _, r := range v {
		k := 0
		switch {
		case unicode.IsDigit(r):
			k = 1
		case unicode.IsLetter(r):
			k = 2
		case r == '.' || r == '-' || r == '_':
		default:
			return nil, fmt.Errorf("apkCompare: invalid version %q", v)
		}
		if k != kind || k == 0 {
			if cur != "" {
				toks = append(toks, cur)
			}
			cur = ""
		}
		kind = k
		if k != 0 {
			cur += string(r)
		}
	}
	if cur != "" {
		toks = append(toks, cur)
	}
	return toks, nil
}

func TestAPKCompare(t *testing.T) {
	ordered := []string{"1.0.2j-r0", "1.0.2k-r0", "1.0.2o-r0", "1.0.2o-r1", "1.0.2o-r2", "1.0.2q-r0", "1.0.10-r0"}
	for i := 1; i < len(ordered); i++ {
		if c, err := apkCompare("apk", ordered[i-1], ordered[i]); err != nil || c >= 0 {
			t.Errorf("apkCompare(%s, %s) = %d, %v; want < 0", ordered[i-1], ordered[i], c, err)
		}
		if c, err := apkCompare("apk", ordered[i], ordered[i-1]); err != nil || c <= 0 {
			t.Errorf("apkCompare(%s, %s) = %d, %v; want > 0", ordered[i], ordered[i-1], c, err)
		}
	}
}
