package sqlmeta

import "time"

// SetNow replaces the store's clock (tests of leases and backoff).
func SetNow(s *Store, now func() time.Time) { s.now = now }
