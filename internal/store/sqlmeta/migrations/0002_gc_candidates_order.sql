-- 0002: the collector reads candidates in (created_at, repository_id,
-- digest) order with a keyset cursor; the index carries the whole order so
-- that no sort is needed.
DROP INDEX gc_candidates_age;
CREATE INDEX gc_candidates_age ON gc_candidates (kind, created_at, repository_id, digest);
