package webhook

import (
	"errors"
	"net/netip"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		want         error
	}{
		{url: "https://hooks.example.com/drydock?x=1", want: nil},
		{url: "http://203.0.113.7:8080/h", want: nil},
		{url: "http://[2001:db8::1]/h", want: nil},
		{url: "", want: ErrInvalid},
		{url: "ftp://example.com/", want: ErrInvalid},
		{url: "/relative/path", want: ErrInvalid},
		{url: "https://user:pw@example.com/", want: ErrInvalid},
		{url: "https://example.com/#frag", want: ErrInvalid},
		{url: "https:///nohost", want: ErrInvalid},
		{url: "http://127.0.0.1:9000/", want: ErrForbiddenTarget},
		{url: "http://127.0.0.1:9000/", allowPrivate: true, want: nil},
		{url: "http://localhost/", want: ErrForbiddenTarget},
		{url: "http://LOCALHOST./", want: ErrForbiddenTarget},
		{url: "http://api.localhost/", want: ErrForbiddenTarget},
		{url: "http://10.1.2.3/", want: ErrForbiddenTarget},
		{url: "http://192.168.0.10/", want: ErrForbiddenTarget},
		{url: "http://172.20.0.1/", want: ErrForbiddenTarget},
		{url: "http://169.254.169.254/latest/meta-data", want: ErrForbiddenTarget},
		{url: "http://[::1]/", want: ErrForbiddenTarget},
		{url: "http://[fe80::1]/", want: ErrForbiddenTarget},
		{url: "http://[fd00::1]/", want: ErrForbiddenTarget},
		{url: "http://[::ffff:127.0.0.1]/", want: ErrForbiddenTarget},
		{url: "http://0.0.0.0/", want: ErrForbiddenTarget},
		{url: "http://100.64.1.1/", want: ErrForbiddenTarget},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := validateURL(tt.url, tt.allowPrivate)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("validateURL(%q, %v) = %v, want %v", tt.url, tt.allowPrivate, err, tt.want)
			}
		})
	}
}

func TestDialControl(t *testing.T) {
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"93.184.216.34:443", true},
		{"[2606:2800:220:1:248:1893:25c8:1946]:443", true},
		{"127.0.0.1:80", false},
		{"127.9.9.9:80", false},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"[::1]:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[64:ff9b::a00:1]:80", false},
		{"224.0.0.1:80", false},
		{"not-an-address", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := dialControl("tcp", tt.addr, nil)
			if (err == nil) != tt.allowed {
				t.Fatalf("dialControl(%q) = %v, want allowed=%v", tt.addr, err, tt.allowed)
			}
			if err != nil && !errors.Is(err, ErrForbiddenTarget) {
				t.Fatalf("error %v does not wrap ErrForbiddenTarget", err)
			}
		})
	}
	if checkAddr(netip.MustParseAddr("8.8.8.8")) != nil {
		t.Error("public address refused")
	}
}
