package sqlmeta_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/store/storetest"
)

func TestMeta(t *testing.T) {
	storetest.TestMeta(t, func(t *testing.T) store.Meta { return openTest(t, sqlmeta.Config{}) })
}

// openTest opens a fresh store in t's temporary directory.
func openTest(t testing.TB, cfg sqlmeta.Config) *sqlmeta.Store {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "meta.db")
	}
	s, err := sqlmeta.Open(t.Context(), cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
