package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"modernc.org/sqlite" // also the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
	"modernc.org/sqlite/vfs"

	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// readSQLite calls fn with the blob of every row of the Packages table
// (rpm's lib/backend/sqlite.c: hnum INTEGER PRIMARY KEY, blob BLOB), in
// rowid order, which is hnum order. The database is read in place from
// memory through a read-only SQLite VFS: nothing is written anywhere. It
// is opened immutable, which also lets SQLite read a database in WAL mode
// (as rpm leaves it) without its -shm and -wal files; a transaction still
// in the WAL is not seen (rpm checkpoints it when it closes the database).
//
// The schema is the file's, so a hostile file chooses what SQLite runs
// to read it. The work is therefore bounded: Packages must be a plain
// table (a view could join a table with itself without end), with no
// generated columns (one could compute a gigabyte per row); there is no
// ORDER BY, so no sort reads every row before the first is returned; the
// blobs read may not add up to more than the file (rows whose records
// lack the blob column all return its DEFAULT; rows can share overflow
// pages); and, should SQLite compute a value some other way, none may be
// longer than a header blob (SQLITE_LIMIT_LENGTH).
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
	conn, err := db.Conn(ctx)
	if err != nil {
		return sqliteError(err)
	}
	defer conn.Close()
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, rpmdb.MaxHeaderLen); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := checkSchema(ctx, conn); err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, "SELECT blob FROM Packages")
	if err != nil {
		return sqliteError(err)
	}
	defer rows.Close()
	total := 0
	for rows.Next() {
		var blob sql.RawBytes
		if err := rows.Scan(&blob); err != nil {
			return sqliteError(err)
		}
		if total += len(blob); total > len(data) {
			return fmt.Errorf("%w: the Packages blobs add up to more than the %d-byte file", rpmdb.ErrInvalid, len(data))
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

// checkSchema checks that Packages is a plain table without generated
// columns.
func checkSchema(ctx context.Context, conn *sql.Conn) error {
	var typ, text string
	err := conn.QueryRowContext(ctx, `SELECT type, sql FROM sqlite_master
		WHERE name = 'Packages' COLLATE NOCASE AND type IN ('table', 'view')`).Scan(&typ, &text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: no Packages table", rpmdb.ErrInvalid)
	case err != nil:
		return sqliteError(err)
	case typ != "table" || !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(text)), "CREATE TABLE"):
		return fmt.Errorf("%w: Packages is a %s, not a table: %.80q", rpmdb.ErrInvalid, typ, text)
	}
	var generated int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden != 0").Scan(&generated); err != nil {
		return sqliteError(err)
	}
	if generated > 0 {
		return fmt.Errorf("%w: Packages has %d generated columns", rpmdb.ErrInvalid, generated)
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
