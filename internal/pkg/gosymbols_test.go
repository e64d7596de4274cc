package pkg

import (
	"fmt"
	"testing"
)

// TestFunctionSet: every name added is had; of names not added, about one
// in a hundred is had too (the filter's error, which only ever keeps a
// finding); a set that is empty or malformed has every name.
func TestFunctionSet(t *testing.T) {
	var names []string
	for i := range 5000 {
		names = append(names, fmt.Sprintf("Type%d.Method%d", i%97, i))
	}
	s := NewFunctionSet(names)
	for _, n := range names {
		if !s.Has(n) {
			t.Fatalf("%s added but not had", n)
		}
	}
	wrong := 0
	for i := range 100000 {
		if s.Has(fmt.Sprintf("Other%d", i)) {
			wrong++
		}
	}
	if rate := float64(wrong) / 100000; rate > 0.02 {
		t.Errorf("false positive rate %.4f, want about 0.01", rate)
	}
	if len(s) != 1+5000*functionSetBits/8 {
		t.Errorf("%d bytes for 5000 names", len(s))
	}
	// The layout is stored: the same names give the same bytes, always
	// (7 hashes, then 8 bytes of bits, the least for a small set).
	if got := fmt.Sprintf("%x", NewFunctionSet([]string{"ParseAddress", "Reader.ReadResponse"})); got != "070486815062000809" {
		t.Errorf("layout changed: %s", got)
	}
	for _, bad := range []FunctionSet{nil, {}, {7}, {0, 0xff}, {200, 0}} {
		if !bad.Has("anything") {
			t.Errorf("%x: a malformed set must have every name", []byte(bad))
		}
	}
	if NewFunctionSet(nil).Has("x") {
		t.Error("an empty set has a name")
	}
}

// FuzzFunctionSet: any names are had by the set made of them.
func FuzzFunctionSet(f *testing.F) {
	f.Add("Server.Serve", "ListenAndServe")
	f.Fuzz(func(t *testing.T, a, b string) {
		s := NewFunctionSet([]string{a, b})
		if !s.Has(a) || !s.Has(b) {
			t.Fatalf("%q %q not had", a, b)
		}
	})
}
