// Package java extracts Maven artifacts from Java archives (.jar, .war,
// .ear, Jenkins .jpi/.hpi, resource adapters .rar, NiFi .nar, JBoss .sar,
// Karaf .kar, Liferay .lpkg, .par), including archives nested in them
// (WEB-INF/lib, BOOT-INF/lib, lib/ and modules of an ear, shaded jars).
//
// Identification, per archive:
//  1. every META-INF/maven/<group>/<artifact>/pom.properties is reported.
//     The one whose artifact agrees with the file name or the manifest's
//     names, or that Bundle-SymbolicName (or Automatic-Module-Name) names
//     with or without its group, is the archive's own identity; so is the
//     only one when nothing but the file name names the archive. The
//     others are bundled (shaded) artifacts, reported in addition;
//  2. when no pom.properties is the archive's own, its identity comes from
//     the manifest (META-INF/MANIFEST.MF, if any: its main section, and
//     what every later per-entry section agrees on) and the file name
//     (name-version.jar, less Debian's +dfsg): version from
//     Implementation-Version, else the file name, else Bundle-Version,
//     else Specification-Version, each cut to its first word and skipped when it is no version (not
//     starting with a digit, a wildcard, only zeros) or cut where an
//     unexpanded placeholder starts (${...}, @...@, ???, .qualifier);
//     artifact from the file name when it agrees with one of the
//     manifest's names (token-like Implementation-Title,
//     Specification-Title, Bundle-Name that are neither Java package
//     names nor versioned, last element of Bundle-SymbolicName or
//     Automatic-Module-Name), or that name when the two differ only in
//     digits and separators (Debian's tomcat10-api.jar is tomcat-api),
//     else, when the file name has no version, the first of those names,
//     else the file name; group from
//     Implementation-Vendor-Id (but not Apache's parent POM's
//     org.apache), else the artifact itself for the pre-2005 projects
//     whose group is their artifact (log4j:log4j, junit:junit,
//     commons-*:commons-*), else a dotted Bundle-SymbolicName (or
//     Automatic-Module-Name) without its last element when that element
//     is the artifact and more than a top-level domain remains, else all
//     of it; an artifact that starts with its group and a dot loses them
//     (Jetty's group.artifact-version.jar). A lone pom.properties that
//     nothing names is the archive's own only when neither the manifest
//     nor a versioned file name names it otherwise;
//  3. Debian's /usr/share/maven-repo/<group path>/<artifact>/<version>/
//     links name the jars they lead to (matched by a fingerprint of the
//     archive's entries): their coordinates replace an identity guessed by
//     rule 2, and are reported beside one from a pom.properties (Debian's
//     httpclient-osgi.jar is httpclient to its pom.properties). The links
//     are not reported again, nor are maven-repo archives whose twin lies
//     elsewhere.
//
// The maven-repo rule reads more than the archive's own file, so re-running
// the extractor on an older version of one jar alone (layer attribution)
// sees only rules 1 and 2.
//
// Archives are reduced while the layer streams to a fingerprint and one
// line per artifact, and nested archives are read within bounds (depth,
// entries, and bytes inflated in proportion to the archive's size), so
// that a zip bomb costs no more work than an archive of its size. An
// archive of layer.StreamFrom bytes or more (a fat jar) is read as a
// stream (stream.go): entries from their local headers, metadata and
// nested archives kept, the rest skipped, with the same result as reading
// it whole, and never more than a nested archive in memory.
package java
