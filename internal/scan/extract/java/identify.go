package java

import (
	"path"
	"regexp"
	"strings"
)

var (
	tokenRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	fileVersionRE = regexp.MustCompile(`^(.+?)-(\d[\w.+~-]*)$`)
)

// splitFileName splits "name-1.2.3.jar" into its artifact and version parts
// (version "" when the name has none).
func splitFileName(fileName string) (name, version string) {
	stem := strings.TrimSuffix(fileName, path.Ext(fileName))
	if m := fileVersionRE.FindStringSubmatch(stem); m != nil {
		return m[1], m[2]
	}
	return stem, ""
}

// identify returns the artifacts of one archive: every pom.properties, and
// the archive's own identity. A pom.properties whose artifact agrees with
// the file name or the manifest is the archive's own; one that agrees with
// neither is a bundled (shaded) dependency, and the archive's own identity
// then comes from its manifest and file name (see the package doc).
func identify(poms []artifact, m map[string]string, fileName string) []artifact {
	fileArtifact, fileVersion := splitFileName(fileName)
	names := manifestNames(m)
	out := append(make([]artifact, 0, len(poms)+1), poms...)
	// The first pom.properties named plainly, else the first that a
	// symbolic name names by prefix (httpclient-osgi.jar's
	// org.apache.httpcomponents.httpclient is httpclient, not the
	// httpclient-cache bundled beside it).
	for _, named := range []func(a artifact) bool{
		func(a artifact) bool {
			return agrees(a.name, fileArtifact) || agreesAny(a.name, names) || namedBy(a, m, false)
		},
		func(a artifact) bool { return namedBy(a, m, true) },
	} {
		for i := range out {
			if named(out[i]) {
				out[i].self = true
				return out
			}
		}
	}
	own, ok := fromManifest(m, fileName)
	switch {
	case ok && (len(poms) == 0 || len(names) > 0 || len(poms) > 1 && fileVersion != ""):
		own.self = true
		out = append(out, own)
	case len(poms) == 1:
		// Nothing but the file name names the archive: its one
		// pom.properties does (geronimo-interceptor-3.0-spec.jar holds
		// geronimo-interceptor_3.0_spec's).
		out[0].self = true
	}
	return out
}

// namedBy reports whether the manifest's symbolic names name artifact a:
// Bundle-SymbolicName or Automatic-Module-Name is its artifact id
// (javax.servlet-api) or its group and artifact id; with prefix, its group
// and a prefix of its artifact id ending at a separator
// (org.apache.geronimo.specs.geronimo-annotation_1.3 for
// geronimo-annotation_1.3_spec).
func namedBy(a artifact, m map[string]string, prefix bool) bool {
	for _, k := range []string{"Bundle-SymbolicName", "Automatic-Module-Name"} {
		sym := symbolicName(m[k])
		if sym == "" {
			continue
		}
		if !prefix {
			if sym == a.name || a.group != "" && sym == a.group+"."+a.name {
				return true
			}
			continue
		}
		if rest, ok := strings.CutPrefix(sym, a.group+"."); ok && a.group != "" && rest != "" &&
			len(a.name) > len(rest) && strings.HasPrefix(a.name, rest) && strings.ContainsRune("-_.", rune(a.name[len(rest)])) {
			return true
		}
	}
	return false
}

// manifestNames returns the token-like names a manifest gives its archive,
// most specific first.
func manifestNames(m map[string]string) []string {
	var out []string
	for _, k := range []string{"Implementation-Title", "Specification-Title", "Bundle-Name"} {
		if v := strings.TrimSpace(m[k]); tokenRE.MatchString(v) {
			out = append(out, v)
		}
	}
	for _, k := range []string{"Bundle-SymbolicName", "Automatic-Module-Name"} {
		if v := lastElem(symbolicName(m[k])); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// symbolicName returns an OSGi or module name without its directives.
func symbolicName(v string) string {
	v, _, _ = strings.Cut(v, ";")
	return strings.TrimSpace(v)
}

func lastElem(dotted string) string { return dotted[strings.LastIndexByte(dotted, '.')+1:] }

// agrees reports whether two artifact names name the same thing: equal
// once case, digits and separators are ignored (maven3-core, maven-core),
// or one is the other with a prefix (guice-assistedinject, assistedinject;
// jakarta.el.jakarta.el-api, jakarta.el-api).
func agrees(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == "" || b == "" {
		return false
	}
	if a == b || strings.HasSuffix(a, "-"+b) || strings.HasSuffix(b, "-"+a) ||
		strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a) {
		return true
	}
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return -1
			}
			return r
		}, s)
	}
	na := norm(a)
	return na != "" && na == norm(b)
}

func agreesAny(a string, names []string) bool {
	for _, n := range names {
		if agrees(a, n) {
			return true
		}
	}
	return false
}

// fromManifest applies the manifest and file name rules of the package doc.
// m may be nil (an archive without a manifest).
func fromManifest(m map[string]string, fileName string) (artifact, bool) {
	fileArtifact, fileVersion := splitFileName(fileName)
	version := cmpOr(m["Implementation-Version"], m["Specification-Version"], m["Bundle-Version"], fileVersion)
	bsn := symbolicName(m["Bundle-SymbolicName"])
	amn := symbolicName(m["Automatic-Module-Name"])
	var name string
	names := manifestNames(m)
	switch {
	case agreesAny(fileArtifact, names):
		name = fileArtifact
	case len(names) > 0:
		name = names[0]
	default:
		name = fileArtifact
	}
	group := cmpOr(m["Implementation-Vendor-Id"])
	switch {
	case group != "":
	case name == "log4j" || name == "junit" || strings.HasPrefix(name, "commons-"):
		group = name
	case strings.Contains(bsn, "."):
		group = groupFrom(bsn, name)
	case strings.Contains(amn, "."):
		group = groupFrom(amn, name)
	}
	if name == "" || version == "" {
		return artifact{}, false
	}
	// Jetty names its jars group.artifact-version.jar
	// (org.mortbay.jasper.apache-el-10.1.31.jar).
	if rest, ok := strings.CutPrefix(name, group+"."); ok && group != "" && rest != "" {
		name = rest
	}
	return artifact{group: group, name: name, version: version}, true
}

// groupFrom returns the group a dotted symbolic name gives an artifact:
// the name without its last element when that element is the artifact
// (org.mongodb.driver-async for mongodb-driver-async), else all of it
// (com.google.inject for guice).
func groupFrom(dotted, name string) string {
	if !strings.Contains(dotted, ".") {
		return ""
	}
	if agrees(lastElem(dotted), name) {
		return dotted[:strings.LastIndexByte(dotted, '.')]
	}
	return dotted
}
