package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		in   string
		want Credentials
		err  bool
	}{
		{in: "", want: Credentials{}},
		{in: "Basic " + b64("alice:secret"), want: Credentials{Scheme: "basic", User: "alice", Password: "secret"}},
		{in: "basic " + b64("alice:pa:ss"), want: Credentials{Scheme: "basic", User: "alice", Password: "pa:ss"}},
		{in: "Basic " + b64("alice:"), want: Credentials{Scheme: "basic", User: "alice"}},
		{in: "Bearer abc.def.ghi", want: Credentials{Scheme: "bearer", Token: "abc.def.ghi"}},
		{in: "BEARER  tok ", want: Credentials{Scheme: "bearer", Token: "tok"}},
		{in: "Basic " + b64(":secret"), err: true},
		{in: "Basic " + b64("nocolon"), err: true},
		{in: "Basic !!!", err: true},
		{in: "Basic", err: true},
		{in: "Bearer a b", err: true},
		{in: "Digest username=x", err: true},
		{in: "Bearer " + strings.Repeat("x", maxCredentialLen), err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAuthorization(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); err == nil && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Basic " + b64("a:b"), "Bearer x.y.z", "Basic ", "bearer\t", "Basic " + b64(":")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseAuthorization(h)
		if err != nil {
			return
		}
		switch c.Scheme {
		case "":
			if h != "" {
				t.Fatalf("%q parsed as no credentials", h)
			}
		case "basic":
			if c.User == "" || strings.Contains(c.User, ":") {
				t.Fatalf("%q: user %q", h, c.User)
			}
		case "bearer":
			if c.Token == "" || strings.ContainsAny(c.Token, " \t") {
				t.Fatalf("%q: token %q", h, c.Token)
			}
		default:
			t.Fatalf("%q: scheme %q", h, c.Scheme)
		}
	})
}
