package rpm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/rpm"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/version"
)

var discard = slog.New(slog.DiscardHandler)

// Release files as the images ship them (the fields osinfo reads).
const (
	fedora35OSRelease = "NAME=\"Fedora Linux\"\nVERSION=\"35 (Container Image)\"\nID=fedora\nVERSION_ID=35\nPRETTY_NAME=\"Fedora Linux 35 (Container Image)\"\n"
	ubi86OSRelease    = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.6 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.6\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 8.6 (Ootpa)\"\n"
	sle153OSRelease   = "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n"
	rocky8OSRelease   = "NAME=\"Rocky Linux\"\nVERSION=\"8.7 (Green Obsidian)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.7\"\nPRETTY_NAME=\"Rocky Linux 8.7 (Green Obsidian)\"\n"
)

func TestImages(t *testing.T) {
	tests := []struct {
		name, db, path string
		release        lt.Entry
		distro         string
		packages       int
	}{
		{"centos5-plain", "centos5-plain.Packages.zst", "var/lib/rpm/Packages",
			lt.File("etc/redhat-release", "CentOS release 5.11 (Final)\n"), "centos 5", 110},
		{"centos7-plain", "centos7-plain.Packages.zst", "var/lib/rpm/Packages",
			lt.File("etc/centos-release", "CentOS Linux release 7.5.1804 (Core)\n"), "centos 7", 144},
		{"ubi8-s390x", "ubi8-s390x.Packages.zst", "var/lib/rpm/Packages",
			lt.File("etc/os-release", ubi86OSRelease), "rhel 8.6", 181},
		{"fedora35", "fedora35.rpmdb.sqlite.zst", "var/lib/rpm/rpmdb.sqlite",
			lt.File("etc/os-release", fedora35OSRelease), "fedora 35", 137},
		{"sle15-bci", "sle15-bci.Packages.db.zst", "usr/lib/sysimage/rpm/Packages.db",
			lt.File("etc/os-release", sle153OSRelease), "sles 15.3", 35},
		{"built", "built.rpmdb.sqlite.zst", "var/lib/rpm/rpmdb.sqlite",
			lt.File("etc/os-release", rocky8OSRelease), "rocky 8.7", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{rpm.Extractor{}}, []lt.Entry{
				tt.release, lt.File(tt.path, string(testdata(t, tt.db))),
			})
			if got := inv.Distro.String(); got != tt.distro {
				t.Errorf("distro = %q, want %q", got, tt.distro)
			}
			if len(inv.Packages) != tt.packages {
				t.Errorf("got %d packages, want %d (rpm -qa less gpg-pubkey)", len(inv.Packages), tt.packages)
			}
			for _, p := range inv.Packages {
				if _, err := version.Parse(version.RPM, p.Version); err != nil {
					t.Errorf("%s: %v", p.Name, err)
				}
				if v := p.SourceVersion; v != "" {
					if _, err := version.Parse(version.RPM, v); err != nil {
						t.Errorf("%s: source: %v", p.Name, err)
					}
				}
			}
			et.CompareGolden(t, tt.name, inv.Packages)
		})
	}
}

// TestBuilt spells out what the golden file of the built database holds:
// the fields of each kind of package.
func TestBuilt(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{rpm.Extractor{}}, []lt.Entry{
		lt.File("etc/os-release", rocky8OSRelease),
		lt.File("var/lib/rpm/rpmdb.sqlite", string(testdata(t, "built.rpmdb.sqlite.zst"))),
	})
	type row struct{ Name, Version, SourceName, SourceVersion, Module, PURL string }
	var got []row
	for _, p := range inv.Packages {
		got = append(got, row{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Module, p.PURL})
	}
	want := []row{
		{"glibc", "2.28-151.el8", "glibc", "", "",
			"pkg:rpm/rocky/glibc@2.28-151.el8?arch=x86_64&distro=rocky-8.7"},
		{"glibc-langpack-en", "2.28-151.el8", "glibc", "", "",
			"pkg:rpm/rocky/glibc-langpack-en@2.28-151.el8?arch=x86_64&distro=rocky-8.7&upstream=glibc"},
		{"nodejs", "1:18.14.2-2.module+el8.7.0+18113+c8ca4d5b", "nodejs", "", "nodejs:18",
			"pkg:rpm/rocky/nodejs@1:18.14.2-2.module%2Bel8.7.0%2B18113%2Bc8ca4d5b?arch=x86_64&distro=rocky-8.7&rpmmod=nodejs:18:8070020230306170042:ad008a3a"},
		{"openssl-libs", "1:1.1.1k-7.el8_6", "openssl", "", "",
			"pkg:rpm/rocky/openssl-libs@1:1.1.1k-7.el8_6?arch=x86_64&distro=rocky-8.7&upstream=openssl"},
		{"python3-foo-bar", "1.0~rc1^git20230101.abc-0.1.fc39", "python-foo-bar", "", "",
			"pkg:rpm/rocky/python3-foo-bar@1.0~rc1%5Egit20230101.abc-0.1.fc39?arch=x86_64&distro=rocky-8.7&upstream=python-foo-bar"},
		{"tzdata", "0:2023c-1.el9", "tzdata", "", "",
			"pkg:rpm/rocky/tzdata@0:2023c-1.el9?arch=noarch&distro=rocky-8.7"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLayerAttribution reads one database as three layers rewrote it
// (real rpm runs, see testdata/README.md): every package is attributed to
// the layer that installed it, the upgraded one to the layer that
// upgraded it.
func TestLayerAttribution(t *testing.T) {
	db := func(i string) lt.Entry {
		return lt.File("var/lib/rpm/rpmdb.sqlite", string(testdata(t, "layer"+i+".rpmdb.sqlite.zst")))
	}
	inv := et.Run(t, []extract.Extractor{rpm.Extractor{}},
		[]lt.Entry{lt.File("etc/os-release", rocky8OSRelease), db("0")},
		[]lt.Entry{db("1")},
		[]lt.Entry{lt.File("unrelated", "x")},
		[]lt.Entry{db("2")},
	)
	got := map[string]int{}
	for _, p := range inv.Packages {
		got[p.Name+"@"+p.Version] = p.Layer
	}
	want := map[string]int{
		"glibc@2.28-151.el8": 0, "glibc-langpack-en@2.28-151.el8": 0, "tzdata@0:2023c-1.el9": 0,
		"openssl-libs@1:1.1.1k-8.el8_6":                    3,
		"nodejs@1:18.14.2-2.module+el8.7.0+18113+c8ca4d5b": 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

// TestDatabaseLocations: Fedora 36+ and openSUSE keep the database in
// usr/lib/sysimage/rpm with var/lib/rpm a link to it (read once, under its
// real path); a Packages left next to an rpmdb.sqlite is ignored.
func TestDatabaseLocations(t *testing.T) {
	sqlite := string(testdata(t, "built.rpmdb.sqlite.zst"))
	bdb := string(testdata(t, "centos7-plain.Packages.zst"))
	tests := []struct {
		name     string
		entries  []lt.Entry
		path     string
		packages int
	}{
		{"sysimage with var/lib/rpm linked", []lt.Entry{
			lt.File("usr/lib/sysimage/rpm/rpmdb.sqlite", sqlite),
			lt.Symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm"),
		}, "usr/lib/sysimage/rpm/rpmdb.sqlite", 6},
		{"sqlite beside a stale Packages", []lt.Entry{
			lt.File("var/lib/rpm/Packages", bdb),
			lt.File("var/lib/rpm/rpmdb.sqlite", sqlite),
		}, "var/lib/rpm/rpmdb.sqlite", 6},
		{"rpm-ostree usr/share/rpm", []lt.Entry{
			lt.File("usr/share/rpm/rpmdb.sqlite", sqlite),
		}, "usr/share/rpm/rpmdb.sqlite", 6},
		{"empty rpmdb.sqlite beside a Packages with packages", []lt.Entry{
			lt.File("var/lib/rpm/rpmdb.sqlite", ""),
			lt.File("var/lib/rpm/Packages", bdb),
		}, "var/lib/rpm/Packages", 144},
		{"empty database file", []lt.Entry{
			lt.File("var/lib/rpm/rpmdb.sqlite", ""),
		}, "", 0},
		{"not a database path", []lt.Entry{
			lt.File("root/backup/var/lib/rpm/rpmdb.sqlite", sqlite),
		}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{rpm.Extractor{}}, tt.entries)
			if len(inv.Packages) != tt.packages {
				t.Fatalf("got %d packages, want %d", len(inv.Packages), tt.packages)
			}
			for _, p := range inv.Packages {
				if p.Path != tt.path {
					t.Errorf("%s: path %q, want %q", p.Name, p.Path, tt.path)
				}
			}
		})
	}
}

// TestCorruptDatabase: a database that cannot be read fails the
// extractor with an error wrapping ErrInvalid (the scan reports it), and
// names the file.
func TestCorruptDatabase(t *testing.T) {
	data := testdata(t, "centos7-plain.Packages.zst")
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"truncated", data[:len(data)/2]},
		{"garbage", bytes.Repeat([]byte("not an rpm database "), 100)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := extract.NewSession(layer.Config{}, []extract.Extractor{rpm.Extractor{}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tarball := lt.Tar(t, lt.File("var/lib/rpm/Packages", string(tt.data)))
			if err := s.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(tarball)); err != nil {
				t.Fatal(err)
			}
			inv, err := s.Extract(t.Context())
			if !errors.Is(err, rpmdb.ErrInvalid) || !strings.Contains(err.Error(), "var/lib/rpm/Packages") {
				t.Fatalf("Extract = %v, want ErrInvalid naming the file", err)
			}
			if len(inv.Packages) != 0 {
				t.Errorf("%d packages from a corrupt database", len(inv.Packages))
			}
		})
	}
}

func TestWants(t *testing.T) {
	var ex rpm.Extractor
	fi := fstest.MapFS{"f": {}}
	info, _ := fi.Stat("f")
	for p, want := range map[string]bool{
		"var/lib/rpm/Packages":              true,
		"var/lib/rpm/Packages.db":           true,
		"var/lib/rpm/rpmdb.sqlite":          true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite": true,
		"usr/lib/sysimage/rpm/Packages.db":  true,
		"usr/share/rpm/Packages":            true,
		"var/lib/rpm/Name":                  false,
		"var/lib/rpm/rpmdb.sqlite-wal":      false,
		"var/lib/rpm":                       false,
		"Packages":                          false,
		"/Packages":                         false,
		"x/var/lib/rpm/Packages":            false,
		"var/lib/dpkg/status":               false,
	} {
		if got := ex.Wants(p, info); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestPackage(t *testing.T) {
	rhel := &pkg.Distro{ID: "rhel", VersionID: "9.2"}
	glibc := rpmdb.Header{Name: "glibc-common", Version: "2.34", Release: "60.el9", Arch: "x86_64",
		SourceRPM: "glibc-2.34-60.el9.src.rpm", Vendor: "Red Hat, Inc."}
	withEpoch := rpmdb.Header{Name: "openssl-libs", Epoch: "1", Version: "3.0.7", Release: "24.el9", Arch: "x86_64",
		SourceRPM: "openssl-3.0.7-24.el9.src.rpm"}
	kernel := rpmdb.Header{Name: "kernel-core", Version: "5.14.0", Release: "284.11.1.el9_2", Arch: "x86_64",
		SourceRPM: "kernel-5.14.0-284.el9.src.rpm"}
	noSource := rpmdb.Header{Name: "local", Version: "1", Release: "1", SourceRPM: "(none)"}
	tests := []struct {
		name string
		h    rpmdb.Header
		d    *pkg.Distro
		want pkg.Package
	}{
		{"source with another name", glibc, rhel, pkg.Package{
			Name: "glibc-common", Version: "2.34-60.el9", Type: pkg.TypeRPM, Arch: "x86_64",
			SourceName: "glibc", Distro: rhel,
			PURL: "pkg:rpm/redhat/glibc-common@2.34-60.el9?arch=x86_64&distro=rhel-9.2&upstream=glibc"}},
		{"epoch carried to the source", withEpoch, rhel, pkg.Package{
			Name: "openssl-libs", Version: "1:3.0.7-24.el9", Type: pkg.TypeRPM, Arch: "x86_64",
			SourceName: "openssl", Distro: rhel,
			PURL: "pkg:rpm/redhat/openssl-libs@1:3.0.7-24.el9?arch=x86_64&distro=rhel-9.2&upstream=openssl"}},
		{"source version differs", kernel, rhel, pkg.Package{
			Name: "kernel-core", Version: "5.14.0-284.11.1.el9_2", Type: pkg.TypeRPM, Arch: "x86_64",
			SourceName: "kernel", SourceVersion: "5.14.0-284.el9", Distro: rhel,
			PURL: "pkg:rpm/redhat/kernel-core@5.14.0-284.11.1.el9_2?arch=x86_64&distro=rhel-9.2&upstream=kernel%405.14.0-284.el9"}},
		{"unparseable source rpm, no distro, no vendor", noSource, nil, pkg.Package{
			Name: "local", Version: "1-1", Type: pkg.TypeRPM, SourceName: "local",
			PURL: "pkg:rpm/local@1-1"}},
		{"no distro: namespace from the vendor", glibc, nil, pkg.Package{
			Name: "glibc-common", Version: "2.34-60.el9", Type: pkg.TypeRPM, Arch: "x86_64", SourceName: "glibc",
			PURL: "pkg:rpm/redhat/glibc-common@2.34-60.el9?arch=x86_64&upstream=glibc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rpm.Package(&tt.h, tt.d)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamespace(t *testing.T) {
	for _, tt := range []struct {
		id, vendor, want string
	}{
		{"rhel", "", "redhat"},
		{"centos", "", "centos"},
		{"rocky", "", "rocky"},
		{"almalinux", "", "almalinux"},
		{"fedora", "", "fedora"},
		{"amzn", "", "amzn"},
		{"ol", "", "oracle"},
		{"sles", "", "suse"},
		{"opensuse-leap", "", "opensuse"},
		{"opensuse-tumbleweed", "", "opensuse"},
		{"mariner", "Microsoft Corporation", "mariner"},
		{"", "SUSE LLC <https://www.suse.com/>", "suse"},
		{"", "openSUSE", "opensuse"},
		{"", "CentOS", "centos"},
		{"", "Fedora Project", "fedora"},
		{"", "Amazon Linux", "amzn"},
		{"", "Vendor Nobody Knows", ""},
	} {
		var d *pkg.Distro
		if tt.id != "" {
			d = &pkg.Distro{ID: tt.id}
		}
		if got := rpm.Namespace(d, tt.vendor); got != tt.want {
			t.Errorf("Namespace(%q, %q) = %q, want %q", tt.id, tt.vendor, got, tt.want)
		}
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct {
		in                     string
		name, version, release string
		ok                     bool
	}{
		{"glibc-2.28-151.el8.src.rpm", "glibc", "2.28", "151.el8", true},
		{"util-linux-2.32.1-42.el8_8.src.rpm", "util-linux", "2.32.1", "42.el8_8", true},
		{"python-foo-bar-1.0~rc1^git20230101.abc-0.1.fc39.src.rpm", "python-foo-bar", "1.0~rc1^git20230101.abc", "0.1.fc39", true},
		{"gcc11-11.2.1+git610-1.3.9.src.rpm", "gcc11", "11.2.1+git610", "1.3.9", true},
		{"kernel-5.14.0-70.13.1.el9_0.nosrc.rpm", "kernel", "5.14.0", "70.13.1.el9_0", true},
		{"nodejs-18.14.2-2.module+el8.7.0+18113+c8ca4d5b.src.rpm", "nodejs", "18.14.2", "2.module+el8.7.0+18113+c8ca4d5b", true},
		{"", "", "", "", false},
		{"(none)", "", "", "", false},
		{"glibc-2.28-151.el8.x86_64.rpm", "", "", "", false},
		{"glibc.src.rpm", "", "", "", false},
		{"glibc-2.28.src.rpm", "", "", "", false},
		{"-2.28-1.src.rpm", "", "", "", false},
		{"glibc--1.src.rpm", "", "", "", false},
		{"glibc-2.28-.src.rpm", "", "", "", false},
	}
	for _, tt := range tests {
		n, v, r, ok := rpm.ParseSourceRPM(tt.in)
		if n != tt.name || v != tt.version || r != tt.release || ok != tt.ok {
			t.Errorf("ParseSourceRPM(%q) = %q %q %q %v, want %q %q %q %v", tt.in, n, v, r, ok, tt.name, tt.version, tt.release, tt.ok)
		}
	}
}

// TestReduce checks what the layer reader keeps: much less than the
// database, and an error for a file that is not one.
func TestReduce(t *testing.T) {
	var ex rpm.Extractor
	data := testdata(t, "centos7-plain.Packages.zst")
	out, err := ex.Reduce("var/lib/rpm/Packages", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || len(out) > len(data)/100 {
		t.Errorf("reduced %d bytes to %d", len(data), len(out))
	}
	t.Logf("reduced %d bytes (144 packages) to %d", len(data), len(out))
	if _, err := ex.Reduce("var/lib/rpm/Packages", []byte("junk")); !errors.Is(err, rpmdb.ErrInvalid) {
		t.Errorf("Reduce(junk) = %v, want ErrInvalid", err)
	}
	// A reduced empty database is kept (non-nil): it hides the databases of
	// lower layers.
	if out, err := ex.Reduce("var/lib/rpm/rpmdb.sqlite", nil); err != nil || out == nil {
		t.Errorf("Reduce(empty) = %v, %v; want a non-nil empty list", out, err)
	}
	// Extract refuses kept data it did not write.
	fsys := layer.NewFS(&layer.File{Path: "var/lib/rpm/Packages", Data: []byte("drydock rpm headers 1\n\x05")})
	if _, err := ex.Extract(context.Background(), extract.Input{FS: fsys, Logger: discard}); err == nil {
		t.Error("Extract accepted corrupt reduced data")
	}
}
