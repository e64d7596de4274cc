package rpm

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

func TestReducedRoundTrip(t *testing.T) {
	hs := []rpmdb.Header{
		{Name: "nodejs", Epoch: "1", Version: "18.14.2", Release: "2.module+el8.7.0+18113+c8ca4d5b", Arch: "x86_64",
			SourceRPM: "nodejs-18.14.2-2.module+el8.7.0+18113+c8ca4d5b.src.rpm", Vendor: "Red Hat, Inc.",
			ModularityLabel: "nodejs:18:8070020230306170042:ad008a3a"},
		{Name: "gpg-pubkey", Version: "fd431d51", Release: "4ae0493b"},
		{Name: "x", Epoch: "0", Version: "1", Release: "1", Vendor: string(make([]byte, 300))},
	}
	for _, in := range [][]rpmdb.Header{nil, hs} {
		got, err := decode(encode(in))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in, got, cmp.Comparer(func(a, b []rpmdb.Header) bool {
			return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
		})); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
	b := encode(hs)
	for _, bad := range [][]byte{nil, []byte("junk"), b[:len(b)-1], append(b[:len(b):len(b)], 0), []byte(reducedMagic + "\xff\xff\xff\xff\x0f")} {
		if _, err := decode(bad); !errors.Is(err, errReduced) {
			t.Errorf("decode(%q...) = %v, want errReduced", bad[:min(len(bad), 30)], err)
		}
	}
}
