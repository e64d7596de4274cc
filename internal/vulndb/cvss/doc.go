// Package cvss computes CVSS base scores from vector strings, for CVSS v2.0,
// v3.0, v3.1 and v4.0, using github.com/pandatix/go-cvss (a maintained
// implementation of the FIRST specifications, checked against NVD's
// published scores in this package's tests), and maps scores to the
// qualitative ratings.
package cvss
