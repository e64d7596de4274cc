-- 0010: a finding's package is identified by its architecture too
-- (findings.package_arch, in the unique key), as in the scan report: a
-- multi-arch Debian image lists libc6:amd64 and libc6:i386 under one
-- name, version and status file, and each has its findings. Before, the
-- two shared one stored finding. finding_changes records the
-- architecture as well. Portable SQL (see 0001).
--
-- SQLite cannot change a table's UNIQUE constraint, so findings is
-- rebuilt with its rows, ids and indexes (PostgreSQL would drop and add
-- the constraint instead, and keep its identity sequence). Existing rows
-- get package_arch '': the images with OS package findings (apk, deb,
-- rpm: the formats that record an architecture) are marked stale, so that the
-- re-evaluation that runs when the server starts fills the architecture
-- in from their stored inventories; it matches a stored finding without
-- one to the new finding of the same advisory and package location, so
-- the upgrade raises no finding.new or finding.resolved of its own, only
-- a finding.new for a package the old key had merged with another.
CREATE TABLE findings_0010 (
    id              {{ID}},
    image_id        BIGINT NOT NULL REFERENCES images (id),
    subscription_id TEXT NOT NULL,
    registry_id     BIGINT NOT NULL,
    repository_id   BIGINT NOT NULL,
    advisory_id     TEXT NOT NULL,
    package_type    TEXT NOT NULL,
    package_name    TEXT NOT NULL,
    package_version TEXT NOT NULL,
    package_arch    TEXT NOT NULL,
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
    UNIQUE (image_id, advisory_id, package_type, package_name, package_version, package_arch, package_path)
);
INSERT INTO findings_0010 (id, image_id, subscription_id, registry_id, repository_id, advisory_id, package_type,
        package_name, package_version, package_arch, package_path, purl, severity, fixed_version, fix_status, title,
        layer, exempted, exemption_id, first_seen_at)
    SELECT id, image_id, subscription_id, registry_id, repository_id, advisory_id, package_type,
        package_name, package_version, '', package_path, purl, severity, fixed_version, fix_status, title,
        layer, exempted, exemption_id, first_seen_at
    FROM findings;
DROP TABLE findings;
ALTER TABLE findings_0010 RENAME TO findings;
CREATE INDEX findings_subscription ON findings (subscription_id, id);
CREATE INDEX findings_advisory ON findings (advisory_id, subscription_id, id);
CREATE INDEX findings_package ON findings (package_name, subscription_id, id);
CREATE INDEX findings_repository ON findings (repository_id, id);

ALTER TABLE finding_changes ADD COLUMN package_arch TEXT NOT NULL DEFAULT '';

UPDATE images SET stale = 1
    WHERE inventory <> '' AND id IN (SELECT image_id FROM findings WHERE package_type IN ('apk', 'deb', 'rpm'));
