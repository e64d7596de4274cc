package sqlmeta

import (
	"context"
	"fmt"
	"time"
)

// SetNow replaces the store's clock (tests of leases and backoff).
func SetNow(s *Store, now func() time.Time) { s.now = now }

// SetMaxPageCount caps the database's size in pages on the writer
// connection (PRAGMA max_page_count): writes past it fail as on a full
// disk.
func SetMaxPageCount(ctx context.Context, s *Store, n int) error {
	_, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", n))
	return err
}

// PageCount reads the database's size in pages.
func PageCount(ctx context.Context, s *Store, n *int) error {
	return s.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(n)
}

// UndoMigration8 takes the schema back to before 0008_images_unchecked
// (the column dropped, the record removed), as a database written by an
// older drydock; Migrate then applies it again.
func UndoMigration8(ctx context.Context, s *Store) error {
	if _, err := s.w.ExecContext(ctx, `ALTER TABLE images DROP COLUMN unchecked`); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 8`)
	return err
}

// Migrate applies the migrations not yet applied.
func Migrate(ctx context.Context, s *Store) error { return s.migrate(ctx) }
