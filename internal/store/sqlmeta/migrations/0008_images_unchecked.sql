-- 0008: images.unchecked counts the packages of an image's last
-- evaluation that could not be matched against any advisory (an OS
-- release or ecosystem the advisory database has no data for; see the
-- report's "unchecked"), so that fleet queries can find images whose
-- "healthy" means "not checked". Portable SQL (see 0001).
--
-- Images evaluated before have no count yet: they are marked stale, so
-- that the re-evaluation that runs when the server starts fills it in
-- from their stored inventories.
ALTER TABLE images ADD COLUMN unchecked BIGINT NOT NULL DEFAULT 0;
UPDATE images SET stale = 1 WHERE inventory <> '';
