package rpm_test

import (
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/extract/rpm"
	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmdb"
)

// sqliteDB returns the bytes of an SQLite database made by stmts.
func sqliteDB(t *testing.T, stmts ...string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			t.Fatalf("%.80s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// headerHex is a minimal valid header blob (NAME a, VERSION 1, RELEASE 1)
// as an SQL blob literal's hex digits.
func headerHex() string {
	data := []byte("a\x001\x001\x00")
	b := binary.BigEndian.AppendUint32(nil, 3)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	for i, off := range []uint32{0, 2, 4} {
		for _, v := range []uint32{uint32(1000 + i), 6, off, 1} { // tag, STRING, offset, count
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	return hex.EncodeToString(append(b, data...))
}

// TestSQLiteHostileSchemas: the schema is the file's, so a hostile
// rpmdb.sqlite chooses what SQLite runs to read it. Each of these is an
// ErrInvalid within a second, where before the view ran without end
// (10^12 rows, each a header appended to the result), the generated
// column allocated 900 MB per row, and 8 MB of rows lacking the blob
// column returned a million headers (its DEFAULT, a whole header).
func TestSQLiteHostileSchemas(t *testing.T) {
	hdr := "x'" + headerHex() + "'"
	const tenRows = "INSERT INTO t VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)"
	tests := []struct {
		name    string
		stmts   []string
		wantErr string
	}{
		{"a view joining a table with itself", []string{
			"CREATE TABLE t(x)", tenRows,
			"CREATE VIEW Packages AS SELECT a.rowid AS hnum, " + hdr + " AS blob FROM t a, t b, t c, t d, t e, t f, t g, t h, t i, t j, t k, t l",
		}, "not a table"},
		{"a virtual table", []string{
			"CREATE VIRTUAL TABLE Packages USING fts5(hnum, blob)",
			"INSERT INTO Packages VALUES (1, " + hdr + ")",
		}, "not a table"},
		{"a generated blob", []string{
			"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, x, blob AS (zeroblob(900000000)))",
			"INSERT INTO Packages (hnum, x) VALUES (1, 1)",
		}, "generated"},
		{"rows lacking the blob column", []string{
			"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY)",
			"CREATE TABLE t(x)", tenRows,
			"INSERT INTO Packages SELECT NULL FROM t a, t b, t c, t d, t e",
			"ALTER TABLE Packages ADD COLUMN blob BLOB DEFAULT " + hdr,
		}, "more than the"},
		{"no Packages table", []string{"CREATE TABLE Other (hnum INTEGER PRIMARY KEY, blob BLOB)"}, "no Packages table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := sqliteDB(t, tt.stmts...)
			done := make(chan error, 1)
			go func() {
				_, err := rpm.Parse(data)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, rpmdb.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Parse: %v; want ErrInvalid saying %q", err, tt.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Parse still running after 10s")
			}
		})
	}
	t.Run("the real schema", func(t *testing.T) {
		data := sqliteDB(t, "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)",
			"INSERT INTO Packages (blob) VALUES ("+hdr+"), ("+hdr+")")
		hs, err := rpm.Parse(data)
		if err != nil || len(hs) != 2 || hs[0].Name != "a" {
			t.Errorf("Parse = %+v, %v; want two headers of a", hs, err)
		}
	})
}
