package java_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/java"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// jar builds a zip archive of name -> contents (deflated).
func jar(t testing.TB, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	for i := range k {
		for j := i + 1; j < len(k); j++ {
			if k[j] < k[i] {
				k[i], k[j] = k[j], k[i]
			}
		}
	}
	return k
}

// The Debian bookworm jars of the fixtures, rebuilt from their metadata.
func snakeyaml(t testing.TB) string {
	return jar(t, map[string]string{
		"META-INF/MANIFEST.MF": et.Fixture(t, "maven/debian-bookworm/snakeyaml-1.33.jar/META-INF/MANIFEST.MF"),
		"META-INF/maven/org.yaml/snakeyaml/pom.properties": et.Fixture(t,
			"maven/debian-bookworm/snakeyaml-1.33.jar/META-INF/maven/org.yaml/snakeyaml/pom.properties"),
		"org/yaml/snakeyaml/Yaml.class": "\xca\xfe\xba\xbe",
	})
}

func log4j(t testing.TB) string {
	return jar(t, map[string]string{
		"META-INF/MANIFEST.MF":          et.Fixture(t, "maven/debian-bookworm/log4j-1.2-1.2.17.jar/META-INF/MANIFEST.MF"),
		"org/apache/log4j/Logger.class": "\xca\xfe\xba\xbe",
	})
}

type found struct{ Name, Version, PURL, Path string }

func run(t *testing.T, entries ...lt.Entry) []found {
	t.Helper()
	inv := et.Run(t, []extract.Extractor{java.Extractor{}}, entries)
	var out []found
	for _, p := range inv.Packages {
		out = append(out, found{p.Name, p.Version, p.PURL, p.Path})
	}
	return out
}

func TestDebianJars(t *testing.T) {
	got := run(t,
		lt.File("usr/share/java/snakeyaml-1.33.jar", snakeyaml(t)),
		lt.File("usr/share/java/log4j-1.2-1.2.17.jar", log4j(t)),
		lt.File("usr/share/java/not-a-zip.jar", "just text"),
	)
	want := []found{
		{"log4j:log4j", "1.2.17", "pkg:maven/log4j/log4j@1.2.17", "usr/share/java/log4j-1.2-1.2.17.jar"},
		{"org.yaml:snakeyaml", "1.33", "pkg:maven/org.yaml/snakeyaml@1.33", "usr/share/java/snakeyaml-1.33.jar"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNestedArchives(t *testing.T) {
	shaded := jar(t, map[string]string{
		"META-INF/maven/com.example/app/pom.properties":        "groupId=com.example\nartifactId=app\nversion=2.0.0\n",
		"META-INF/maven/com.google.guava/guava/pom.properties": "groupId=com.google.guava\nartifactId=guava\nversion=31.1-jre\n",
		"META-INF/maven/com.example/unresolved/pom.properties": "groupId=com.example\nartifactId=unresolved\nversion=${project.version}\n",
		"META-INF/MANIFEST.MF":                                 "Manifest-Version: 1.0\nImplementation-Title: app\nImplementation-Version: 2.0.0\n",
	})
	inner := jar(t, map[string]string{"BOOT-INF/lib/log4j-1.2-1.2.17.jar": log4j(t)})
	war := jar(t, map[string]string{
		"WEB-INF/lib/snakeyaml-1.33.jar": snakeyaml(t),
		"WEB-INF/lib/shaded.jar":         shaded,
		"WEB-INF/lib/boot.jar":           inner,
		"WEB-INF/lib/broken.jar":         "not a zip",
		"index.html":                     "<html/>",
	})
	got := run(t, lt.File("srv/app.war", war))
	want := []found{
		{"com.example:app", "2.0.0", "pkg:maven/com.example/app@2.0.0", "srv/app.war"},
		{"com.google.guava:guava", "31.1-jre", "pkg:maven/com.google.guava/guava@31.1-jre", "srv/app.war"},
		{"log4j:log4j", "1.2.17", "pkg:maven/log4j/log4j@1.2.17", "srv/app.war"},
		{"org.yaml:snakeyaml", "1.33", "pkg:maven/org.yaml/snakeyaml@1.33", "srv/app.war"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestManifestFallbacks(t *testing.T) {
	tests := []struct {
		file, manifest string
		want           []found
	}{
		{"commons-io-2.11.0.jar", "Manifest-Version: 1.0\nBundle-SymbolicName: org.apache.commons.commons-io\nBundle-Version: 2.11.0\nImplementation-Title: Apache Commons IO\nImplementation-Version: 2.11.0\n",
			[]found{{"commons-io:commons-io", "2.11.0", "pkg:maven/commons-io/commons-io@2.11.0", "x/commons-io-2.11.0.jar"}}},
		{"guice-5.1.0.jar", "Manifest-Version: 1.0\nBundle-SymbolicName: com.google.inject;singleton:=true\nBundle-Version: 5.1.0\nImplementation-Vendor-Id: com.google.inject\nImplementation-Title: guice\n",
			[]found{{"com.google.inject:guice", "5.1.0", "pkg:maven/com.google.inject/guice@5.1.0", "x/guice-5.1.0.jar"}}},
		{"mystery-1.4.2.jar", "Manifest-Version: 1.0\nCreated-By: hand\n",
			[]found{{"mystery", "1.4.2", "pkg:maven/mystery@1.4.2", "x/mystery-1.4.2.jar"}}},
		{"noversion.jar", "Manifest-Version: 1.0\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := run(t, lt.File("x/"+tt.file, jar(t, map[string]string{"META-INF/MANIFEST.MF": tt.manifest})))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestZipBombIsBounded(t *testing.T) {
	// A nested jar entry inflating to 128 MiB that declares 1000 bytes: the
	// read stops at the nested-archive bound, and the outer artifact is
	// still reported.
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for range 128 {
		fw.Write(zeros)
	}
	fw.Close()
	var outer bytes.Buffer
	zw := zip.NewWriter(&outer)
	w, _ := zw.Create("META-INF/maven/a/b/pom.properties")
	w.Write([]byte("groupId=a\nartifactId=b\nversion=1\n"))
	raw, err := zw.CreateRaw(&zip.FileHeader{Name: "lib/big.jar", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 1000, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(deflated.Bytes())
	zw.Close()
	t.Logf("bomb: %d bytes", outer.Len())
	start := time.Now()
	out, err := java.Extractor{}.Reduce("x.jar", outer.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); !strings.HasSuffix(got, "\nown\ta\tb\t1\t\n") {
		t.Errorf("Reduce = %q", got)
	}
	t.Logf("bomb reduced in %v", time.Since(start)) // logged, never asserted
}

func FuzzReduce(f *testing.F) {
	f.Add([]byte(snakeyaml(f)))
	f.Add([]byte(log4j(f)))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = java.Extractor{}.Reduce("x.jar", data)
	})
}

// TestOwnPomProperties: the manifests and names of real jars (Debian's
// geronimo specs, the Jetty distribution's lib/) whose own pom.properties
// neither the file name nor a manifest title names plainly. Each is one
// artifact, not also a second one made up from the file name or manifest.
func TestOwnPomProperties(t *testing.T) {
	pom := func(g, a, v string) string { return "groupId=" + g + "\nartifactId=" + a + "\nversion=" + v + "\n" }
	tests := []struct {
		file  string
		files map[string]string
		want  found
	}{
		{"geronimo-annotation-1.3-spec.jar", map[string]string{
			"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nBundle-Name: Apache Geronimo Annotation Spec 1.3\nBundle-SymbolicName: org.apache.geronimo.specs.geronimo-annotation_1.3\nBundle-Version: 1.3.0\nSpecification-Title: JSR-250 Common Annotations 1.3\nSpecification-Version: 1.3\n",
			"META-INF/maven/org.apache.geronimo.specs/geronimo-annotation_1.3_spec/pom.properties": pom("org.apache.geronimo.specs", "geronimo-annotation_1.3_spec", "1.3"),
		}, found{"org.apache.geronimo.specs:geronimo-annotation_1.3_spec", "1.3", "pkg:maven/org.apache.geronimo.specs/geronimo-annotation_1.3_spec@1.3", ""}},
		{"geronimo-interceptor-3.0-spec.jar", map[string]string{
			"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nCreated-By: Apache Maven\n",
			"META-INF/maven/org.apache.geronimo.specs/geronimo-interceptor_3.0_spec/pom.properties": pom("org.apache.geronimo.specs", "geronimo-interceptor_3.0_spec", "1.0.1"),
		}, found{"org.apache.geronimo.specs:geronimo-interceptor_3.0_spec", "1.0.1", "pkg:maven/org.apache.geronimo.specs/geronimo-interceptor_3.0_spec@1.0.1", ""}},
		{"jakarta.el.jakarta.el-api-5.0.1.jar", map[string]string{
			"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nBundle-Name: Jakarta Expression Language API\nBundle-SymbolicName: jakarta.el-api\nBundle-Version: 5.0.1\nImplementation-Version: 5.0.1\nSpecification-Version: 5.0\n",
			"META-INF/maven/jakarta.el/jakarta.el-api/pom.properties": pom("jakarta.el", "jakarta.el-api", "5.0.1"),
		}, found{"jakarta.el:jakarta.el-api", "5.0.1", "pkg:maven/jakarta.el/jakarta.el-api@5.0.1", ""}},
		{"servlet-api-3.1.jar", map[string]string{
			"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nImplementation-Version: 3.1.0\nBundle-Name: Java Servlet API\nImplementation-Vendor-Id: org.glassfish\nBundle-Version: 3.1.0\nSpecification-Version: 3.1\nBundle-SymbolicName: javax.servlet-api\n",
			"META-INF/maven/javax.servlet/javax.servlet-api/pom.properties": pom("javax.servlet", "javax.servlet-api", "3.1.0"),
		}, found{"javax.servlet:javax.servlet-api", "3.1.0", "pkg:maven/javax.servlet/javax.servlet-api@3.1.0", ""}},
		{"org.mortbay.jasper.apache-el-10.1.31.jar", map[string]string{
			"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nAutomatic-Module-Name: org.mortbay.apache.el\nBundle-Name: Mortbay Apache EL Implementation\nBundle-SymbolicName: org.mortbay.jasper.apache-el\nBundle-Version: 10.1.31\nImplementation-Version: 10.1.31\nSpecification-Version: 5.0\n",
		}, found{"org.mortbay.jasper:apache-el", "10.1.31", "pkg:maven/org.mortbay.jasper/apache-el@10.1.31", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tt.want.Path = "x/" + tt.file
			got := run(t, lt.File("x/"+tt.file, jar(t, tt.files)))
			if diff := cmp.Diff([]found{tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestOtherArchiveKinds: a NiFi archive (.nar) bundles its dependencies in
// META-INF/bundled-dependencies, an ear's JCA resource adapter (.rar)
// holds jars of its own; a RAR file is no zip and is skipped.
func TestOtherArchiveKinds(t *testing.T) {
	nar := jar(t, map[string]string{
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nNar-Group: org.apache.nifi\nNar-Id: nifi-standard-nar\nNar-Version: 1.23.2\n",
		"META-INF/maven/org.apache.nifi/nifi-standard-nar/pom.properties": "groupId=org.apache.nifi\nartifactId=nifi-standard-nar\nversion=1.23.2\n",
		"META-INF/bundled-dependencies/snakeyaml-1.33.jar":                snakeyaml(t),
	})
	rar := jar(t, map[string]string{"log4j-1.2-1.2.17.jar": log4j(t)})
	ear := jar(t, map[string]string{"META-INF/application.xml": "<application/>", "connector.rar": rar})
	got := run(t,
		lt.File("opt/nifi/lib/nifi-standard-nar-1.23.2.nar", nar),
		lt.File("srv/app.ear", ear),
		lt.File("srv/archive.rar", "Rar!\x1a\x07\x01\x00"),
	)
	want := []found{
		{"log4j:log4j", "1.2.17", "pkg:maven/log4j/log4j@1.2.17", "srv/app.ear"},
		{"org.apache.nifi:nifi-standard-nar", "1.23.2", "pkg:maven/org.apache.nifi/nifi-standard-nar@1.23.2", "opt/nifi/lib/nifi-standard-nar-1.23.2.nar"},
		{"org.yaml:snakeyaml", "1.33", "pkg:maven/org.yaml/snakeyaml@1.33", "opt/nifi/lib/nifi-standard-nar-1.23.2.nar"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
