package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
	"modernc.org/sqlite/vfs"

	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// readSQLite calls fn with the blob of every row of the Packages table
// (rpm's lib/backend/sqlite.c: hnum INTEGER PRIMARY KEY, blob BLOB), in
// hnum order. The database is read in place from memory through a
// read-only SQLite VFS: nothing is written anywhere. It is opened
// immutable, which also lets SQLite read a database in WAL mode (as rpm
// leaves it) without its -shm and -wal files; a transaction still in the
// WAL is not seen (rpm checkpoints it when it closes the database).
func readSQLite(data []byte, fn func(blob []byte) error) (err error) {
	name, fsys, err := vfs.New(memFS(data))
	if err != nil {
		return fmt.Errorf("sqlite vfs: %w", err)
	}
	defer func() {
		if cerr := fsys.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sqlite vfs: %w", cerr)
		}
	}()
	db, err := sql.Open("sqlite", "file:"+memName+"?vfs="+name+"&mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("%w: %w", rpmdb.ErrInvalid, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The data is in memory and bounded: no context to honour but this one.
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT blob FROM Packages ORDER BY hnum")
	if err != nil {
		return sqliteError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob sql.RawBytes
		if err := rows.Scan(&blob); err != nil {
			return sqliteError(err)
		}
		if err := fn(blob); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return sqliteError(err)
	}
	return nil
}

// sqliteError wraps an SQLite error with rpmdb.ErrInvalid: on a read-only,
// immutable, in-memory database every failure is the file's.
func sqliteError(err error) error {
	if strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("%w: no Packages table: %w", rpmdb.ErrInvalid, err)
	}
	return fmt.Errorf("%w: %w", rpmdb.ErrInvalid, err)
}

// memFS is a file system holding one read-only file, rpmdb.sqlite.
type memFS []byte

const memName = "rpmdb.sqlite"

func (m memFS) Open(name string) (fs.File, error) {
	if name != memName {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(m), size: int64(len(m))}, nil
}

// memFile is the open file: reads and seeks (what the VFS asks for) on
// the shared bytes.
type memFile struct {
	*bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo(f.size), nil }
func (f *memFile) Close() error               { return nil }

type memInfo int64

func (i memInfo) Name() string       { return memName }
func (i memInfo) Size() int64        { return int64(i) }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
