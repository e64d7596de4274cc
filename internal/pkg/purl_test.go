package pkg

import "testing"

func TestPURL(t *testing.T) {
	tests := []struct {
		name                    string
		typ, ns, pname, version string
		qualifiers              map[string]string
		want                    string
	}{
		{
			name: "apk with distro", typ: "apk", ns: "alpine", pname: "busybox", version: "1.24.2-r12",
			qualifiers: map[string]string{"arch": "x86_64", "distro": "alpine-3.4.6", "upstream": ""},
			want:       "pkg:apk/alpine/busybox@1.24.2-r12?arch=x86_64&distro=alpine-3.4.6",
		},
		{
			name: "deb epoch and plus", typ: "deb", ns: "debian", pname: "libgcc-s1", version: "1:12.2.0-14+deb12u1",
			qualifiers: map[string]string{"arch": "amd64"},
			want:       "pkg:deb/debian/libgcc-s1@1:12.2.0-14%2Bdeb12u1?arch=amd64",
		},
		{
			name: "golang module path", typ: "golang", ns: "github.com/dgrijalva", pname: "jwt-go", version: "v3.2.0+incompatible",
			want: "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible",
		},
		{
			name: "npm scoped", typ: "npm", ns: "@babel", pname: "core", version: "7.0.0",
			want: "pkg:npm/%40babel/core@7.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PURL(tt.typ, tt.ns, tt.pname, tt.version, tt.qualifiers); got != tt.want {
				t.Errorf("PURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDistro(t *testing.T) {
	var nilDistro *Distro
	if got := nilDistro.PURLQualifier(); got != "" {
		t.Errorf("nil PURLQualifier = %q", got)
	}
	d := &Distro{ID: "debian", VersionID: "12"}
	if got := d.PURLQualifier(); got != "debian-12" {
		t.Errorf("PURLQualifier = %q", got)
	}
	if got := d.String(); got != "debian 12" {
		t.Errorf("String = %q", got)
	}
	w := &Distro{ID: "wolfi"}
	if got := w.PURLQualifier(); got != "wolfi" {
		t.Errorf("rolling PURLQualifier = %q", got)
	}
}

func TestPackageSource(t *testing.T) {
	p := Package{Name: "libssl1.0", Version: "1.0.2j-r0", SourceName: "openssl"}
	if n, v := p.Source(); n != "openssl" || v != "1.0.2j-r0" {
		t.Errorf("Source() = %q %q", n, v)
	}
	q := Package{Name: "bash", Version: "5.2.15-2+b7"}
	if n, v := q.Source(); n != "bash" || v != "5.2.15-2+b7" {
		t.Errorf("Source() = %q %q", n, v)
	}
}
