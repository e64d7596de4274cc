package sqlmeta

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema script.
type migration struct {
	version int64
	name    string
	script  string
}

// loadMigrations reads the embedded scripts, named NNNN_description.sql, in
// version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int64]string{}
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad version %q", base, num)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", base, v, prev)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), script: schemaTokens.Replace(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies, in order, every migration not yet recorded in
// schema_migrations. Each runs in its own write transaction with its record,
// so a crash leaves the schema at a version boundary, and a restart (or a
// second process starting at the same time) applies nothing twice.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return fmt.Errorf("sqlmeta: migrations: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlmeta: migrations: %w", err)
	}
	for _, m := range ms {
		applied := false
		err := s.write(ctx, func(tx *wtx) error {
			done, err := exists(ctx, tx, `SELECT 1 FROM schema_migrations WHERE version = ?`, m.version)
			if err != nil || done {
				return err
			}
			if _, err := tx.tx.ExecContext(ctx, m.script); err != nil { // several statements: not cached
				return err
			}
			_, err = exec(ctx, tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, nanos(s.now()))
			applied = err == nil
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlmeta: migration %s: %w", m.name, err)
		}
		if applied {
			s.logger.InfoContext(ctx, "schema migration applied", "version", m.version, "name", m.name)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	if err := queryRow(ctx, s.rq, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlmeta: schema version: %w", err)
	}
	return v.Int64, nil
}
