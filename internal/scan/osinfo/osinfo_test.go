package osinfo

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/layer"
)

const manifests = "../testdata/manifests"

func fixture(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(manifests, rel))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return string(b)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  *pkg.Distro
	}{
		{
			name:  "alpine 3.4.6",
			files: map[string]string{"etc/os-release": fixture(t, "alpine/3.4.6/os-release"), "etc/alpine-release": fixture(t, "alpine/3.4.6/alpine-release")},
			want:  &pkg.Distro{ID: "alpine", VersionID: "3.4.6", PrettyName: "Alpine Linux v3.4"},
		},
		{
			name:  "alpine 3.20.3 os-release only",
			files: map[string]string{"etc/os-release": fixture(t, "alpine/3.20.3/os-release")},
			want:  &pkg.Distro{ID: "alpine", VersionID: "3.20.3", PrettyName: "Alpine Linux v3.20"},
		},
		{
			name:  "alpine without os-release",
			files: map[string]string{"etc/alpine-release": "3.2.3\n"},
			want:  &pkg.Distro{ID: "alpine", VersionID: "3.2.3", PrettyName: "Alpine Linux 3.2.3"},
		},
		{
			name: "debian bookworm from usr/lib",
			files: map[string]string{
				"usr/lib/os-release": fixture(t, "debian/bookworm-minbase/os-release"),
				"etc/debian_version": fixture(t, "debian/bookworm-minbase/debian_version"),
			},
			want: &pkg.Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		},
		{
			name:  "old debian without os-release",
			files: map[string]string{"etc/debian_version": "7.11\n"},
			want:  &pkg.Distro{ID: "debian", VersionID: "7", PrettyName: "Debian GNU/Linux 7.11"},
		},
		{
			name:  "debian sid",
			files: map[string]string{"etc/debian_version": "trixie/sid\n"},
			want:  &pkg.Distro{ID: "debian", Codename: "trixie", PrettyName: "Debian GNU/Linux trixie/sid"},
		},
		{
			name: "ubuntu 22.04",
			files: map[string]string{"etc/os-release": `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
`},
			want: &pkg.Distro{ID: "ubuntu", IDLike: []string{"debian"}, VersionID: "22.04", Codename: "jammy", PrettyName: "Ubuntu 22.04.4 LTS"},
		},
		{
			name: "distroless with os-release",
			files: map[string]string{
				"etc/os-release": `PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
`,
				"var/lib/dpkg/status.d/base-files": "Package: base-files\nVersion: 12.4+deb12u5\n",
			},
			want: &pkg.Distro{ID: "debian", VersionID: "12", Codename: "bookworm", PrettyName: "Distroless", Variant: "distroless"},
		},
		{
			name:  "distroless without release files",
			files: map[string]string{"var/lib/dpkg/status.d/base": "Package: base-files\nStatus: install ok installed\nVersion: 9.9+deb9u13\n\n"},
			want:  &pkg.Distro{ID: "debian", VersionID: "9", Variant: "distroless"},
		},
		{
			name:  "wolfi",
			files: map[string]string{"etc/os-release": "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n"},
			want:  &pkg.Distro{ID: "wolfi", VersionID: "20230201", PrettyName: "Wolfi"},
		},
		{
			name:  "chainguard",
			files: map[string]string{"etc/os-release": "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\n"},
			want:  &pkg.Distro{ID: "chainguard", VersionID: "20230214", PrettyName: "Chainguard"},
		},
		{
			name:  "centos 7 without os-release",
			files: map[string]string{"etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n", "etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n"},
			want:  &pkg.Distro{ID: "centos", VersionID: "7", PrettyName: "CentOS Linux release 7.9.2009 (Core)"},
		},
		{
			name:  "amazon linux 2 system-release",
			files: map[string]string{"etc/system-release": "Amazon Linux release 2 (Karoo)\n"},
			want:  &pkg.Distro{ID: "amzn", VersionID: "2", PrettyName: "Amazon Linux release 2 (Karoo)"},
		},
		{
			name:  "ubuntu 14.04 lsb-release",
			files: map[string]string{"etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION=\"Ubuntu 14.04.6 LTS\"\n"},
			want:  &pkg.Distro{ID: "ubuntu", VersionID: "14.04", Codename: "trusty", PrettyName: "Ubuntu 14.04.6 LTS"},
		},
		{
			name:  "quoted and escaped values, comments",
			files: map[string]string{"etc/os-release": "# comment\nID='fancy'\nPRETTY_NAME=\"A \\\"quoted\\\" name\"\n"},
			want:  &pkg.Distro{ID: "fancy", PrettyName: `A "quoted" name`},
		},
		{
			name:  "nothing",
			files: map[string]string{"etc/passwd": "root:x:0:0"},
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []*layer.File
			for p, c := range tt.files {
				if !(Selector{}).Wants(p, nil) {
					if tt.want != nil && p != "etc/passwd" {
						t.Fatalf("selector does not want %s", p)
					}
					continue
				}
				files = append(files, &layer.File{Path: p, Data: []byte(c)})
			}
			got, err := Detect(layer.NewFS(files...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetectUnreadableReleaseFile(t *testing.T) {
	fsys := layer.NewFS(&layer.File{Path: "etc/os-release", Err: &layer.LimitError{Limit: layer.LimitFileBytes}})
	if _, err := Detect(fsys); err == nil {
		t.Fatal("Detect ignored an os-release it could not read")
	}
}

// TestHostileReleaseFilesBounded: release files of newlines (the worst
// case for a line splitter: a 16-byte string header per byte) cost
// Detect no more memory than their size. strings.Split made 8 MiB of
// newlines cost 128 MiB; at the 64 MiB per-file cap it was 1 GiB.
func TestHostileReleaseFilesBounded(t *testing.T) {
	newlines := bytes.Repeat([]byte("\n"), 8<<20)
	for _, tt := range []struct {
		path string
		data []byte
		want *pkg.Distro
	}{
		{lsbRelease, append(bytes.Clone(newlines), "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"...),
			&pkg.Distro{ID: "ubuntu", VersionID: "22.04"}},
		{dpkgStatusDDir + "base-files", append([]byte("Package: base-files\nVersion: 12.4+deb12u7\n"), newlines...),
			&pkg.Distro{ID: "debian", VersionID: "12", Variant: pkg.VariantDistroless}},
		{dpkgStatusDDir + "base", newlines, &pkg.Distro{ID: "debian", Variant: pkg.VariantDistroless}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			fsys := layer.NewFS(&layer.File{Path: tt.path, Data: tt.data})
			var got *pkg.Distro
			alloc := allocated(t, func() {
				var err error
				if got, err = Detect(fsys); err != nil {
					t.Fatal(err)
				}
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
			if alloc > uint64(len(tt.data)) {
				t.Errorf("Detect allocated %d bytes for a %d-byte file", alloc, len(tt.data))
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(t *testing.T, f func()) uint64 {
	t.Helper()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}
