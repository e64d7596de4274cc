package java

import (
	"path"
	"regexp"
	"strings"
	"unicode"
)

var (
	tokenRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	fileVersionRE  = regexp.MustCompile(`^(.+?)-(\d[\w.+~-]*)$`)
	versionedRE    = regexp.MustCompile(`.-\d+(\.\d+)+$`)
	debianRepackRE = regexp.MustCompile(`\+(dfsg|ds)\d*$`)
)

// versioned reports whether a name ends in a version (name-1.2.3).
func versioned(name string) bool { return versionedRE.MatchString(name) }

// splitFileName splits "name-1.2.3.jar" into its artifact and version parts
// (version "" when the name has none).
func splitFileName(fileName string) (name, version string) {
	stem := strings.TrimSuffix(fileName, path.Ext(fileName))
	if m := fileVersionRE.FindStringSubmatch(stem); m != nil {
		// Debian's mark of a repacked source is no part of the
		// upstream version (hsqldb1.8.0-1.8.0.10+dfsg.jar).
		return m[1], debianRepackRE.ReplaceAllString(m[2], "")
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
	stem := strings.TrimSuffix(fileName, path.Ext(fileName))
	names := manifestNames(m)
	out := append(make([]artifact, 0, len(poms)+1), poms...)
	// The first pom.properties named plainly, else the first that a
	// symbolic name names by prefix (httpclient-osgi.jar's
	// org.apache.httpcomponents.httpclient is httpclient, not the
	// httpclient-cache bundled beside it).
	for _, named := range []func(a artifact) bool{
		func(a artifact) bool {
			return agrees(a.name, fileArtifact) || sameLetters(a.name, stem) || agreesAny(a.name, names) || namedBy(a, m, false)
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
	case ok && (len(poms) == 0 || len(names) > 0 || fileVersion != ""):
		// The manifest, or a name-version.jar file name, names the
		// archive (xalan2-2.7.2.jar bundles bcel's pom.properties).
		own.self = true
		out = append(out, own)
	case len(poms) == 1:
		// Nothing else names the archive: its one pom.properties does
		// (junit-jupiter-params.jar's is univocity-parsers').
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
		// A Java package name (Ant's org.apache.tools.ant, Lucene's
		// org.apache.lucene) names no artifact.
		// Nor does a name with a version (bnd's Bundle-Name
		// lz4-java-1.8.0, a file stem).
		if v := strings.TrimSpace(m[k]); tokenRE.MatchString(v) && !dottedName(v) && !versioned(v) {
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
	return sameLetters(a, b)
}

// sameLetters reports whether two names are equal once case, digits and
// separators are ignored (maven3-core, maven-core).
func sameLetters(a, b string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
				return -1
			}
			return unicode.ToLower(r)
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
	// The file name's version before the OSGi and specification ones:
	// Maven names its jars artifact-version.jar, bnd's Bundle-Version
	// recasts the version (1.0.0.SNAPSHOT for 1.0-SNAPSHOT) and Debian's
	// may be stale (xercesImpl-2.12.0.jar says 2.11.0).
	version := cmpOr(manifestVersion(m["Implementation-Version"]), manifestVersion(fileVersion),
		manifestVersion(m["Bundle-Version"]), manifestVersion(m["Specification-Version"]))
	bsn := symbolicName(m["Bundle-SymbolicName"])
	amn := symbolicName(m["Automatic-Module-Name"])
	var name string
	names := manifestNames(m)
	switch {
	case agreesAny(fileArtifact, names):
		name = fileArtifact
		// A file name that differs from the manifest's name only in
		// digits and separators is Debian's renaming (tomcat10-api.jar,
		// maven3-core.jar, spring3-core.jar): the manifest keeps the
		// artifact's own name.
		for _, n := range names {
			if !strings.EqualFold(n, fileArtifact) && sameLetters(n, fileArtifact) && strings.ContainsAny(n, "-_") {
				name = n
				break
			}
		}
	case len(names) > 0 && fileVersion == "":
		name = names[0]
	default:
		name = fileArtifact
	}
	// Apache's parent POM sets Implementation-Vendor-Id to org.apache for
	// every project under it, whatever its group (commons-lang,
	// org.apache.tomcat): it names no group.
	group := cmpOr(m["Implementation-Vendor-Id"])
	if group == "org.apache" {
		group = ""
	}
	switch {
	case group != "":
	case name == "log4j" || name == "junit" || strings.HasPrefix(name, "commons-"):
		group = name
	case dottedName(bsn):
		group = groupFrom(bsn, name)
	case dottedName(amn):
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
	// Not down to a top-level domain alone: org.objenesis is
	// objenesis's group, not org.
	if prefix := dotted[:strings.LastIndexByte(dotted, '.')]; agrees(lastElem(dotted), name) && strings.Contains(prefix, ".") {
		return prefix
	}
	return dotted
}

var (
	dottedNameRE  = regexp.MustCompile(`^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$`)
	placeholderRE = regexp.MustCompile(`\$\{|@[\w.-]*@|\?|(?i)unspecified|\.qualifier$`)
)

// dottedName reports whether a symbolic name is a dotted Java-style name
// (org.lz4.java), which can give a group; a file stem used as one
// (lz4-java-1.8.0) cannot.
func dottedName(s string) bool { return dottedNameRE.MatchString(s) }

// manifestVersion returns a manifest's version attribute as a Maven
// version, or "" when it is none: the first word of it (Axis's "1.4 1205
// October 17 2023", JNA's "5.13.0 (b0)"), and nothing when that does not
// start with a digit ("private-19991231", "@VERSION@", Gradle's
// "unspecified"), is a wildcard ("2.x") or is only zeros (bnd's default
// Bundle-Version 0). An unexpanded build placeholder and what follows it
// are cut ("1.1-SNAPSHOT.${build.id}", Derby's "10.14.2000000.???",
// "0.0.0.unspecified", which leaves zeros, and Tycho's "1.4.0.qualifier").
func manifestVersion(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	v = f[0]
	if loc := placeholderRE.FindStringIndex(v); loc != nil {
		v = strings.TrimRight(v[:loc[0]], "-._+")
	}
	if v == "" || v[0] < '0' || v[0] > '9' || strings.HasSuffix(v, ".x") || strings.Trim(v, "0.") == "" {
		return ""
	}
	return v
}
