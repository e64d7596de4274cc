package python_test

import (
	"archive/zip"
	"bytes"
	"os"
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
