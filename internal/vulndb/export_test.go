package vulndb

import "strings"

// PackageKeys lists the (ecosystem, normalized name) keys of db's package
// index, for tests outside the package.
func PackageKeys(db *DB) [][2]string {
	out := make([][2]string, 0, len(db.index))
	for k := range db.index {
		eco, name, _ := strings.Cut(k, "\x00")
		out = append(out, [2]string{eco, name})
	}
	return out
}
