package vulndb

import "strings"

// PackageKeys lists the (ecosystem, normalized name) keys of db's package
// index, for tests outside the package.
func PackageKeys(db *DB) [][2]string {
	out := make([][2]string, 0, len(db.idx))
	for _, k := range db.keys() {
		eco, name, _ := strings.Cut(k, "\x00")
		out = append(out, [2]string{eco, name})
	}
	return out
}

// keys returns every key of the package index, in order.
func (db *DB) keys() []string {
	out := make([]string, len(db.idx))
	for i, e := range db.idx {
		out[i] = string(db.index[e.key : e.key+e.klen])
	}
	return out
}
