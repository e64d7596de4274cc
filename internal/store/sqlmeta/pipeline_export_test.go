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
