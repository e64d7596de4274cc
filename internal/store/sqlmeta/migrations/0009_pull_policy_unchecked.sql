-- 0009: pull_policies.block_unchecked = 1 refuses images some of whose
-- packages could not be checked against any advisory (images.unchecked > 0:
-- an OS release or ecosystem the advisory database has no data for), whose
-- "healthy" means "not checked". Existing policies keep their behaviour.
-- Portable SQL (see 0001).
ALTER TABLE pull_policies ADD COLUMN block_unchecked BIGINT NOT NULL DEFAULT 0;
