package java_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// TestDebianManifests: jars of Debian bookworm without Debian's
// maven-repo (as when one is copied into an application), identified
// from their real manifests (and the pom.properties they bundle) and file
// names. Each line names the manifest's trap.
func TestDebianManifests(t *testing.T) {
	tests := []struct {
		file   string
		extra  []string // pom.properties paths in the fixture, besides the manifest
		want   []found
		reason string
	}{
		{"bsh-2.0b4.jar", nil, []found{{"bsh", "2.0b4", "pkg:maven/bsh@2.0b4", ""}},
			`Implementation-Version "2.0b4 2019-09-09 12:30:36": its first word`},
		{"hsqldbutil-2.7.1.jar", nil, []found{{"hsqldbutil", "2.7.1", "pkg:maven/hsqldbutil@2.7.1", ""}},
			`Implementation-Version "private-19991231" is no version: Specification-Version`},
		{"lz4-java-1.8.0.jar", nil, []found{{"org.lz4:lz4-java", "1.8.0", "pkg:maven/org.lz4/lz4-java@1.8.0", ""}},
			`Bundle-Version 0 is bnd's default, Bundle-SymbolicName lz4-java-1.8.0 a file stem, not a group`},
		{"commons-lang-2.6.jar", nil, []found{{"commons-lang:commons-lang", "2.6", "pkg:maven/commons-lang/commons-lang@2.6", ""}},
			`Implementation-Vendor-Id org.apache is Apache's parent POM's, not a group`},
		{"ant-apache-bcel-1.10.13.jar", nil, []found{{"ant-apache-bcel", "1.10.13", "pkg:maven/ant-apache-bcel@1.10.13", ""}},
			`Implementation-Title org.apache.tools.ant is a Java package, not an artifact`},
		{"spring3-core.jar", nil, []found{{"spring-core", "4.3.30.RELEASE", "pkg:maven/spring-core@4.3.30.RELEASE", ""}},
			`Debian's file name spring3-core: the manifest's spring-core is the artifact`},
		{"objenesis.jar", nil, []found{{"org.objenesis:objenesis", "3.3", "pkg:maven/org.objenesis/objenesis@3.3", ""}},
			`Bundle-SymbolicName org.objenesis: the group is not "org"`},
		{"xml-apis-1.4.01.jar", nil, []found{{"xml-apis", "1.4.01", "pkg:maven/xml-apis@1.4.01", ""}},
			`per-entry sections of the APIs it bundles (org.w3c.dom.ls 1.0, javax.xml.datatype 1.4.01) name no artifact`},
		{"xercesImpl-2.12.0.jar", nil, []found{{"org.apache.xerces:xercesImpl", "2.12.0", "pkg:maven/org.apache.xerces/xercesImpl@2.12.0", ""}},
			`its sections name the APIs it bundles (javax.xml.datatype 1.4.01), its Bundle-Version 2.11.0 is stale: the file name's artifact and version (the group is a guess; Maven's is xerces)`},
		{"xalan2-2.7.2.jar", []string{"META-INF/maven/org.apache.bcel/bcel/pom.properties"}, []found{
			{"org.apache.bcel:bcel", "6.4.1", "pkg:maven/org.apache.bcel/bcel@6.4.1", ""},
			{"xalan2", "2.7.2", "pkg:maven/xalan2@2.7.2", ""},
		}, `its one pom.properties is bcel's; every section says version 2.7.2`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			files := map[string]string{
				"META-INF/MANIFEST.MF": testdata(t, tt.file+"/META-INF/MANIFEST.MF"),
				"x/Y.class":            "\xca\xfe\xba\xbe",
			}
			for _, p := range tt.extra {
				files[p] = testdata(t, tt.file+"/"+p)
			}
			at := "srv/app/lib/" + tt.file
			for i := range tt.want {
				tt.want[i].Path = at
			}
			got := run(t, lt.File(at, jar(t, files)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}
