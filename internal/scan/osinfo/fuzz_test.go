package osinfo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/scan/layer"
)

// releaseFiles are every path the selector keeps, as the fuzzer picks them.
var releaseFiles = []string{etcOSRelease, usrOSRelease, alpineRelease, debianVersion, lsbRelease,
	"etc/almalinux-release", "etc/rocky-release", "etc/centos-release", "etc/oracle-release",
	"etc/fedora-release", "etc/system-release", "etc/redhat-release", dpkgStatusDDir + "base-files"}

// FuzzDetect feeds two release files of an image (any of the paths the
// selector keeps, with any content) to Detect: it must not panic or fail
// (the files are readable), and a release it recognises has an ID.
func FuzzDetect(f *testing.F) {
	f.Add(uint8(0), seedFile(f, "alpine/3.4.6/os-release"), uint8(2), []byte("3.4.6\n"))
	f.Add(uint8(1), seedFile(f, "debian/bookworm-minbase/os-release"), uint8(3), []byte("12.7\n"))
	f.Add(uint8(11), []byte("Red Hat Enterprise Linux release 8.10 (Ootpa)\n"), uint8(4), []byte("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"))
	f.Add(uint8(12), []byte("Package: base-files\nVersion: 12.4+deb12u7\n"), uint8(0), []byte(`PRETTY_NAME="Distroless"`+"\nID='x\\'y'\n"))
	f.Add(uint8(0), []byte("ID=\"unterminated\nVERSION_ID=\n=\n"), uint8(3), []byte("bookworm/sid"))
	f.Fuzz(func(t *testing.T, i uint8, a []byte, j uint8, b []byte) {
		files := []*layer.File{{Path: releaseFiles[int(i)%len(releaseFiles)], Data: a}}
		if p := releaseFiles[int(j)%len(releaseFiles)]; p != files[0].Path {
			files = append(files, &layer.File{Path: p, Data: b})
		}
		d, err := Detect(layer.NewFS(files...))
		if err != nil {
			t.Fatalf("Detect: %v", err)
		}
		if d != nil && d.ID == "" {
			t.Fatalf("Detect = %+v without an ID", d)
		}
	})
}

func seedFile(f *testing.F, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(manifests, rel))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
