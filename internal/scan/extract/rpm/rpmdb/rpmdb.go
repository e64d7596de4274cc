package rpmdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Format is an rpm database backend.
type Format string

// Formats.
const (
	FormatSQLite Format = "sqlite" // rpmdb.sqlite: Fedora 33+, RHEL 9+, Amazon Linux 2023
	FormatBDB    Format = "bdb"    // Packages, Berkeley DB hash: RHEL/CentOS 5-8, Amazon Linux 2
	FormatNDB    Format = "ndb"    // Packages.db: SUSE and openSUSE 15
)

// Errors. Every parse error wraps one of them.
var (
	// ErrInvalid reports a database or header that is corrupt, truncated
	// or not an rpm database at all.
	ErrInvalid = errors.New("invalid rpm database")
	// ErrUnsupported reports a database in a variant drydock does not
	// read (a Berkeley DB btree, encrypted or checksummed database, an NDB
	// of another version).
	ErrUnsupported = errors.New("unsupported rpm database")
)

// Magic numbers.
var sqliteMagic = []byte("SQLite format 3\x00")

const (
	ndbMagic      = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	bdbHashMagic  = 0x00061561
	bdbBtreeMagic = 0x00053162
)

// Detect returns the format of a database from its first bytes.
func Detect(data []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(data, sqliteMagic):
		return FormatSQLite, nil
	case len(data) >= 4 && binary.LittleEndian.Uint32(data) == ndbMagic:
		return FormatNDB, nil
	case len(data) >= 16:
		le, be := binary.LittleEndian.Uint32(data[12:]), binary.BigEndian.Uint32(data[12:])
		switch {
		case le == bdbHashMagic || be == bdbHashMagic:
			return FormatBDB, nil
		case le == bdbBtreeMagic || be == bdbBtreeMagic:
			return "", fmt.Errorf("%w: a Berkeley DB btree, not the hash database rpm keeps packages in", ErrUnsupported)
		}
	}
	return "", fmt.Errorf("%w: not an SQLite, Berkeley DB or NDB database", ErrInvalid)
}
