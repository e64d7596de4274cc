package python_test

import (
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

func FuzzReduce(f *testing.F) {
	f.Add([]byte(et.Fixture(f, "python/debian-bookworm/PyYAML-6.0.dist-info/METADATA")))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = python.Extractor{}.Reduce("x.dist-info/METADATA", data)
	})
}
