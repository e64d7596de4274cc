package java_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/debian/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// guiceJar rebuilds libguice-java's guice.jar from its real metadata: a
// manifest naming guice 4.2.3 and the pom.properties of the cglib it shades.
func guiceJar(t *testing.T) string {
	return jar(t, map[string]string{
		"META-INF/MANIFEST.MF":                      testdata(t, "guice.jar/META-INF/MANIFEST.MF"),
		"META-INF/maven/cglib/cglib/pom.properties": testdata(t, "guice.jar/META-INF/maven/cglib/cglib/pom.properties"),
		"com/google/inject/Guice.class":             "\xca\xfe\xba\xbe",
	})
}

func debianJars(t *testing.T) []lt.Entry {
	return []lt.Entry{
		lt.File("usr/share/java/guice-assistedinject.jar", testdata(t, "guice-assistedinject.jar")),
		lt.File("usr/share/java/guice-multibindings.jar", testdata(t, "guice-multibindings.jar")),
		lt.File("usr/share/java/guice.jar", guiceJar(t)),
		lt.Symlink("usr/share/java/guice-4.2.3.jar", "guice.jar"),
		lt.File("usr/share/java/mongodb-driver-async-3.6.3.jar", jar(t, map[string]string{
			"META-INF/MANIFEST.MF": testdata(t, "mongodb-driver-async-3.6.3.jar/META-INF/MANIFEST.MF"),
		})),
		lt.File("usr/share/java/jsr305-0.1~+svn49.jar", testdata(t, "jsr305-0.1~+svn49.jar")),
		lt.Symlink("usr/share/java/jsr305.jar", "jsr305-0.1~+svn49.jar"),
	}
}

// Without maven-repo: names from the file name and the manifest.
func TestDebianManifestOnlyJars(t *testing.T) {
	got := run(t, debianJars(t)...)
	want := []found{
		{"cglib:cglib", "3.2.12", "pkg:maven/cglib/cglib@3.2.12", "usr/share/java/guice.jar"},
		{"com.google.inject:guice", "4.2.3", "pkg:maven/com.google.inject/guice@4.2.3", "usr/share/java/guice.jar"},
		{"com.google.inject:guice-assistedinject", "4.2.3", "pkg:maven/com.google.inject/guice-assistedinject@4.2.3", "usr/share/java/guice-assistedinject.jar"},
		{"com.google.inject:guice-multibindings", "4.2.3", "pkg:maven/com.google.inject/guice-multibindings@4.2.3", "usr/share/java/guice-multibindings.jar"},
		{"jsr305", "0.1~+svn49", "pkg:maven/jsr305@0.1~%2Bsvn49", "usr/share/java/jsr305-0.1~+svn49.jar"},
		{"org.mongodb:mongodb-driver-async", "3.6.3", "pkg:maven/org.mongodb/mongodb-driver-async@3.6.3", "usr/share/java/mongodb-driver-async-3.6.3.jar"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// With Debian's maven-repo links (as the packages install them): its
// coordinates win, the links themselves are not reported again, and
// "debian" and "0.x" versions are ignored.
func TestDebianMavenRepo(t *testing.T) {
	const repo = "usr/share/maven-repo/"
	entries := append(debianJars(t),
		lt.Symlink(repo+"com/google/inject/extensions/guice-assistedinject/4.2.3/guice-assistedinject-4.2.3.jar", "../../../../../../../java/guice-assistedinject.jar"),
		lt.Symlink(repo+"com/google/inject/extensions/guice-assistedinject/debian/guice-assistedinject-debian.jar", "../../../../../../../java/guice-assistedinject.jar"),
		lt.Symlink(repo+"com/google/inject/extensions/guice-multibindings/4.2.3/guice-multibindings-4.2.3.jar", "../../../../../../../java/guice-multibindings.jar"),
		lt.Symlink(repo+"com/google/inject/guice/4.2.3/guice-4.2.3.jar", "../../../../../../java/guice.jar"),
		lt.Symlink(repo+"org/mongodb/mongodb-driver-async/3.6.3/mongodb-driver-async-3.6.3.jar", "../../../../../java/mongodb-driver-async-3.6.3.jar"),
		lt.Symlink(repo+"com/google/code/findbugs/jsr305/0.x/jsr305-0.x.jar", "../../../../../../../java/jsr305-0.1~+svn49.jar"),
		lt.Symlink(repo+"com/google/code/findbugs/jsr305/0.1-SNAPSHOT/jsr305-0.1-SNAPSHOT.jar", "../../../../../../../java/jsr305-0.1~+svn49.jar"),
		// A jar only in maven-repo is reported at its own path.
		lt.File(repo+"org/yaml/snakeyaml/1.33/snakeyaml-1.33.jar", snakeyaml(t)),
	)
	got := run(t, entries...)
	want := []found{
		{"cglib:cglib", "3.2.12", "pkg:maven/cglib/cglib@3.2.12", "usr/share/java/guice.jar"},
		{"com.google.code.findbugs:jsr305", "0.1-SNAPSHOT", "pkg:maven/com.google.code.findbugs/jsr305@0.1-SNAPSHOT", "usr/share/java/jsr305-0.1~+svn49.jar"},
		{"com.google.inject.extensions:guice-assistedinject", "4.2.3", "pkg:maven/com.google.inject.extensions/guice-assistedinject@4.2.3", "usr/share/java/guice-assistedinject.jar"},
		{"com.google.inject.extensions:guice-multibindings", "4.2.3", "pkg:maven/com.google.inject.extensions/guice-multibindings@4.2.3", "usr/share/java/guice-multibindings.jar"},
		{"com.google.inject:guice", "4.2.3", "pkg:maven/com.google.inject/guice@4.2.3", "usr/share/java/guice.jar"},
		{"org.mongodb:mongodb-driver-async", "3.6.3", "pkg:maven/org.mongodb/mongodb-driver-async@3.6.3", "usr/share/java/mongodb-driver-async-3.6.3.jar"},
		{"org.yaml:snakeyaml", "1.33", "pkg:maven/org.yaml/snakeyaml@1.33", "usr/share/maven-repo/org/yaml/snakeyaml/1.33/snakeyaml-1.33.jar"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestOSGiBundleSelf: Debian's httpclient-osgi.jar bundles httpclient,
// httpclient-cache and others under one Bundle-SymbolicName
// (org.apache.httpcomponents.httpclient), and maven-repo names it
// httpclient-osgi. Every pom.properties is reported, and the maven-repo
// name beside them: a pom.properties is never replaced, only a guess.
func TestOSGiBundleSelf(t *testing.T) {
	pom := func(a string) string {
		return "groupId=org.apache.httpcomponents\nartifactId=" + a + "\nversion=4.5.14\n"
	}
	osgi := jar(t, map[string]string{
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nBundle-Name: Apache Apache HttpClient OSGi bundle\n" +
			"Bundle-SymbolicName: org.apache.httpcomponents.httpclient\nImplementation-Title: HttpComponents Apache HttpClient OSGi bundle\n",
		"META-INF/maven/org.apache.httpcomponents/httpclient-cache/pom.properties": pom("httpclient-cache"),
		"META-INF/maven/org.apache.httpcomponents/httpclient/pom.properties":       pom("httpclient"),
	})
	got := run(t,
		lt.File("usr/share/java/httpclient-osgi.jar", osgi),
		lt.Symlink("usr/share/maven-repo/org/apache/httpcomponents/httpclient-osgi/4.5.14/httpclient-osgi-4.5.14.jar", "../../../../../../java/httpclient-osgi.jar"),
	)
	const at = "usr/share/java/httpclient-osgi.jar"
	want := []found{
		{"org.apache.httpcomponents:httpclient", "4.5.14", "pkg:maven/org.apache.httpcomponents/httpclient@4.5.14", at},
		{"org.apache.httpcomponents:httpclient-cache", "4.5.14", "pkg:maven/org.apache.httpcomponents/httpclient-cache@4.5.14", at},
		{"org.apache.httpcomponents:httpclient-osgi", "4.5.14", "pkg:maven/org.apache.httpcomponents/httpclient-osgi@4.5.14", at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
