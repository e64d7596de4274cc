package registry

import "testing"

// FuzzParseContentRange checks the parser of a chunk's Content-Range: no
// panic, and an accepted range is well-formed (0 <= start <= end).
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"0-99", "bytes 0-99/100", "bytes=100-199/*", " 5 - 9 ", "9-5", "-1-2", "0-", "bytes", "1-2-3", "99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, err := parseContentRange(s)
		if err == nil && (cr.start < 0 || cr.end < cr.start) {
			t.Fatalf("parseContentRange(%q) = %+v", s, cr)
		}
	})
}
