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

// UndoMigration10 takes the schema back to before 0010_findings_arch:
// findings rebuilt as 0003 made it (no package_arch, the unique key
// without it), finding_changes without package_arch, the record removed,
// as a database written by an older drydock; Migrate then applies it
// again. The findings must not differ by architecture alone.
func UndoMigration10(ctx context.Context, s *Store) error {
	_, err := s.w.ExecContext(ctx, `
CREATE TABLE findings_0009 (
    id              INTEGER PRIMARY KEY,
    image_id        BIGINT NOT NULL REFERENCES images (id),
    subscription_id TEXT NOT NULL,
    registry_id     BIGINT NOT NULL,
    repository_id   BIGINT NOT NULL,
    advisory_id     TEXT NOT NULL,
    package_type    TEXT NOT NULL,
    package_name    TEXT NOT NULL,
    package_version TEXT NOT NULL,
    package_path    TEXT NOT NULL,
    purl            TEXT NOT NULL,
    severity        BIGINT NOT NULL,
    fixed_version   TEXT NOT NULL,
    fix_status      TEXT NOT NULL,
    title           TEXT NOT NULL,
    layer           TEXT NOT NULL,
    exempted        BIGINT NOT NULL,
    exemption_id    TEXT NOT NULL,
    first_seen_at   BIGINT NOT NULL,
    UNIQUE (image_id, advisory_id, package_type, package_name, package_version, package_path)
);
INSERT INTO findings_0009 SELECT id, image_id, subscription_id, registry_id, repository_id, advisory_id, package_type,
    package_name, package_version, package_path, purl, severity, fixed_version, fix_status, title, layer, exempted,
    exemption_id, first_seen_at FROM findings;
DROP TABLE findings;
ALTER TABLE findings_0009 RENAME TO findings;
CREATE INDEX findings_subscription ON findings (subscription_id, id);
CREATE INDEX findings_advisory ON findings (advisory_id, subscription_id, id);
CREATE INDEX findings_package ON findings (package_name, subscription_id, id);
CREATE INDEX findings_repository ON findings (repository_id, id);
ALTER TABLE finding_changes DROP COLUMN package_arch;
DELETE FROM schema_migrations WHERE version = 10;`)
	return err
}
