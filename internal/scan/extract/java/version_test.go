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
