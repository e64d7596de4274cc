package java

import "testing"

// The version attributes of real manifests (Debian bookworm's jars,
// unless said otherwise).
func TestManifestVersion(t *testing.T) {
	for in, want := range map[string]string{
		"2.19.0":                   "2.19.0",
		"31.1-jre":                 "31.1-jre",
		"4.3.30.RELEASE":           "4.3.30.RELEASE",
		"1.4 1205 October 17 2023": "1.4",           // axis
		"5.13.0 (b0)":              "5.13.0",        // jna
		"private-19991231":         "",              // hsqldb
		"1.1-SNAPSHOT.${build.id}": "1.1-SNAPSHOT",  // libpixie
		"${version.suffix}":        "",              // swt
		"@VERSION@":                "",              // xmlbeans
		"10.14.2000000.???":        "10.14.2000000", // derby's Bundle-Version
		"0.0.0.unspecified":        "",              // caffeine (Gradle)
		"unspecified":              "",              // mockito (Gradle)
		"1.4.0.qualifier":          "1.4.0",         // Eclipse (Tycho)
		"2.x":                      "",              // jdom2
		"0":                        "",              // lz4-java (bnd)
		"":                         "",
		"  ":                       "",
	} {
		if got := manifestVersion(in); got != want {
			t.Errorf("manifestVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitFileName(t *testing.T) {
	for in, want := range map[string][2]string{
		"log4j-core-2.19.0.jar":          {"log4j-core", "2.19.0"},
		"hsqldb1.8.0-1.8.0.10+dfsg.jar":  {"hsqldb1.8.0", "1.8.0.10"},
		"saxonb-9.1.0.8+dfsg.jar":        {"saxonb", "9.1.0.8"},
		"jsr305-0.1~+svn49.jar":          {"jsr305", "0.1~+svn49"},
		"spring3-core.jar":               {"spring3-core", ""},
		"netty-handler-4.1.48.Final.jar": {"netty-handler", "4.1.48.Final"},
	} {
		name, version := splitFileName(in)
		if got := [2]string{name, version}; got != want {
			t.Errorf("splitFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
