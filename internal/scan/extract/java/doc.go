// Package java extracts Maven artifacts from Java archives (.jar, .war,
// .ear, Jenkins .jpi/.hpi), including archives nested in them (WEB-INF/lib,
// BOOT-INF/lib, lib/ of an ear, shaded jars).
//
// Identification, per archive:
//  1. every META-INF/maven/<group>/<artifact>/pom.properties (a shaded jar
//     has one per bundled artifact);
//  2. without any, the manifest (META-INF/MANIFEST.MF): version from
//     Implementation-Version, else Specification-Version, else
//     Bundle-Version, else the file name; artifact from a token-like
//     Implementation-Title, else the last element of Bundle-SymbolicName,
//     else the file name; group from Implementation-Vendor-Id, else the
//     artifact itself for the pre-2005 projects whose group is their
//     artifact (log4j:log4j, junit:junit, commons-*:commons-*), else
//     Bundle-SymbolicName without its last element.
//
// Archives are reduced while the layer streams to one line per artifact,
// and nested archives are read within fixed bounds (depth, entries, bytes),
// so that a zip bomb costs a bounded amount of work.
package java
