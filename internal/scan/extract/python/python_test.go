package python_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/python"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func TestDebianBookwormPython(t *testing.T) {
	const site = "usr/lib/python3/dist-packages/"
	const fx = "python/debian-bookworm/"
	inv := et.Run(t, []extract.Extractor{python.Extractor{}}, []lt.Entry{
		et.FixtureFile(t, site+"requests-2.28.1.egg-info/PKG-INFO", fx+"requests-2.28.1.egg-info/PKG-INFO"),
		et.FixtureFile(t, site+"urllib3-1.26.12.egg-info/PKG-INFO", fx+"urllib3-1.26.12.egg-info/PKG-INFO"),
		et.FixtureFile(t, site+"Jinja2-3.1.2.egg-info/PKG-INFO", fx+"Jinja2-3.1.2.egg-info/PKG-INFO"),
		et.FixtureFile(t, site+"PyYAML-6.0.dist-info/METADATA", fx+"PyYAML-6.0.dist-info/METADATA"),
		lt.File(site+"PyYAML-6.0.dist-info/RECORD", "yaml/__init__.py,,\n"),
		lt.File(site+"requests/__init__.py", "Name: not metadata\nVersion: 0\n"),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL)
	}
	want := []string{
		"Jinja2@3.1.2 pkg:pypi/jinja2@3.1.2",
		"PyYAML@6.0 pkg:pypi/pyyaml@6.0",
		"requests@2.28.1 pkg:pypi/requests@2.28.1",
		"urllib3@1.26.12 pkg:pypi/urllib3@1.26.12",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	et.CompareGolden(t, "debian-bookworm", inv.Packages)
}

func TestLayouts(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{python.Extractor{}}, []lt.Entry{
		lt.File("usr/lib/python3/dist-packages/six-1.16.0.egg-info", "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n"),
		lt.File("opt/venv/lib/python3.12/site-packages/zope.interface-6.1.egg/EGG-INFO/PKG-INFO", "Name: zope.interface\nVersion: 6.1\n"),
		lt.File("opt/venv/lib/python3.12/site-packages/typing_extensions-4.9.0.dist-info/METADATA",
			"Metadata-Version: 2.1\nName: typing_extensions\nVersion: 4.9.0\nSummary: x\n\nName: not-this\nVersion: 0\n"),
		lt.File("opt/venv/lib/python3.12/site-packages/broken-1.0.dist-info/METADATA", "no header here"),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL)
	}
	want := []string{
		"six@1.16.0 pkg:pypi/six@1.16.0",
		"typing_extensions@4.9.0 pkg:pypi/typing-extensions@4.9.0",
		"zope.interface@6.1 pkg:pypi/zope-interface@6.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestZippedEgg: a zipped egg (a real one, see testdata/README.md) is read
// for the EGG-INFO/PKG-INFO inside it; a file named .egg that is no zip
// archive, or a zip without PKG-INFO, is no package.
func TestZippedEgg(t *testing.T) {
	egg, err := os.ReadFile("testdata/six-1.16.0-py3.11.egg")
	if err != nil {
		t.Fatal(err)
	}
	var noInfo bytes.Buffer
	zw := zip.NewWriter(&noInfo)
	w, _ := zw.Create("six.py")
	w.Write([]byte("# no metadata\n"))
	zw.Close()
	const site = "usr/local/lib/python3.11/site-packages/"
	inv := et.Run(t, []extract.Extractor{python.Extractor{}}, []lt.Entry{
		lt.File(site+"six-1.16.0-py3.11.egg", string(egg)),
		lt.File(site+"easy-install.pth", "./six-1.16.0-py3.11.egg\n"),
		lt.File(site+"not-a-zip-1.0.egg", "Name: nope\nVersion: 1.0\n"),
		lt.File(site+"no-info-1.0.egg", noInfo.String()),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL+" "+p.Path)
	}
	want := []string{"six@1.16.0 pkg:pypi/six@1.16.0 " + site + "six-1.16.0-py3.11.egg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzReduce(f *testing.F) {
	f.Add([]byte(et.Fixture(f, "python/debian-bookworm/PyYAML-6.0.dist-info/METADATA")))
	if egg, err := os.ReadFile("testdata/six-1.16.0-py3.11.egg"); err == nil {
		f.Add(egg)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = python.Extractor{}.Reduce("x.dist-info/METADATA", data)
		_, _ = python.Extractor{}.Reduce("x-1.0.egg", data)
	})
}

// TestFlatEggInfo: Debian bookworm's python3-pyobjcryst installs its
// metadata as dist-packages/EGG-INFO/PKG-INFO, an egg unpacked flat (the
// real file, see testdata/README.md). It is read there and in
// site-packages, not in an EGG-INFO of any other directory.
func TestFlatEggInfo(t *testing.T) {
	info, err := os.ReadFile("testdata/pyobjcryst-2.2.5/EGG-INFO/PKG-INFO")
	if err != nil {
		t.Fatal(err)
	}
	inv := et.Run(t, []extract.Extractor{python.Extractor{}}, []lt.Entry{
		lt.File("usr/lib/python3/dist-packages/EGG-INFO/PKG-INFO", string(info)),
		lt.File("usr/lib/python3/dist-packages/pyobjcryst/__init__.py", "\n"),
		lt.File("opt/venv/lib/python3.11/site-packages/EGG-INFO/PKG-INFO", "Name: flat\nVersion: 1.0\n"),
		lt.File("srv/src/pyobjcryst/EGG-INFO/PKG-INFO", "Name: source-tree\nVersion: 1.0\n"),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL+" "+p.Path)
	}
	want := []string{
		"flat@1.0 pkg:pypi/flat@1.0 opt/venv/lib/python3.11/site-packages/EGG-INFO/PKG-INFO",
		"pyobjcryst@2.2.5 pkg:pypi/pyobjcryst@2.2.5 usr/lib/python3/dist-packages/EGG-INFO/PKG-INFO",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSameDistributionTwice: Debian bookworm's python3-cryptography
// installs cryptography-38.0.4.dist-info and cryptography.egg-info side by
// side (the real files, see testdata/README.md). That is one installed
// distribution, reported once, from the .dist-info; the same distribution
// in another directory, or another version beside it, is reported too.
func TestSameDistributionTwice(t *testing.T) {
	meta, err := os.ReadFile("testdata/cryptography-38.0.4.dist-info/METADATA")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.ReadFile("testdata/cryptography.egg-info/PKG-INFO")
	if err != nil {
		t.Fatal(err)
	}
	const (
		deb  = "usr/lib/python3/dist-packages/"
		venv = "opt/venv/lib/python3.11/site-packages/"
	)
	inv := et.Run(t, []extract.Extractor{python.Extractor{}}, []lt.Entry{
		lt.File(deb+"cryptography.egg-info/PKG-INFO", string(info)),
		lt.File(deb+"cryptography-38.0.4.dist-info/METADATA", string(meta)),
		lt.File(venv+"cryptography-38.0.4.dist-info/METADATA", string(meta)),
		lt.File(deb+"six-1.16.0.egg-info", "Name: six\nVersion: 1.16.0\n"),
		lt.File(deb+"six-1.15.0.egg-info", "Name: six\nVersion: 1.15.0\n"),
		lt.File(deb+"Six-1.16.0.egg-info", "Name: Six\nVersion: 1.16.0\n"),
	})
	var got []string
	for _, p := range inv.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.PURL+" "+p.Path)
	}
	want := []string{
		"cryptography@38.0.4 pkg:pypi/cryptography@38.0.4 " + venv + "cryptography-38.0.4.dist-info/METADATA",
		"cryptography@38.0.4 pkg:pypi/cryptography@38.0.4 " + deb + "cryptography-38.0.4.dist-info/METADATA",
		"six@1.15.0 pkg:pypi/six@1.15.0 " + deb + "six-1.15.0.egg-info",
		"Six@1.16.0 pkg:pypi/six@1.16.0 " + deb + "Six-1.16.0.egg-info",
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestSameDistributionTwiceLayers: when a later layer adds a .dist-info
// beside an .egg-info of the same version, the distribution is the one
// the earlier layer introduced, reported from its record and layer.
func TestSameDistributionTwiceLayers(t *testing.T) {
	const deb = "usr/lib/python3/dist-packages/"
	inv := et.Run(t, []extract.Extractor{python.Extractor{}},
		[]lt.Entry{lt.File(deb+"cryptography.egg-info/PKG-INFO", readFile(t, "testdata/cryptography.egg-info/PKG-INFO"))},
		[]lt.Entry{lt.File(deb+"cryptography-38.0.4.dist-info/METADATA", readFile(t, "testdata/cryptography-38.0.4.dist-info/METADATA"))},
	)
	var got []string
	for _, p := range inv.Packages {
		got = append(got, fmt.Sprintf("%s@%s %s layer %d", p.Name, p.Version, p.Path, p.Layer))
	}
	want := []string{"cryptography@38.0.4 " + deb + "cryptography.egg-info/PKG-INFO layer 0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
