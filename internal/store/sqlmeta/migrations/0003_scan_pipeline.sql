-- 0003_scan_pipeline: scan results, findings, plans, usage, assessments and
-- exemptions; leases on scan jobs.
--
-- A scan job (0001) is claimed by a worker for a lease (worker,
-- lease_until); the worker renews the lease while it scans. A job whose
-- lease ran out (the worker died) is queued again, and a worker starting
-- under the same name re-queues the jobs it held before a crash at once.
ALTER TABLE scan_jobs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE scan_jobs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX scan_jobs_lease ON scan_jobs (state, lease_until);

-- images: the scan state and verdict of one platform image (repository +
-- manifest digest). A single-platform manifest is one image; an index has
-- one row per platform (its children); an artifact or a Windows image is a
-- row with status notApplicable. status is the verdict (queued, scanning,
-- healthy, unhealthy, notApplicable, failed, pending); scan_state says
-- whether a scan is in flight (idle, scanning). inventory names the stored
-- inventory object ('' when none was taken). db_version is the advisory
-- database the findings were matched against; stale = 1 asks for a
-- re-evaluation (an exemption changed).
CREATE TABLE images (
    id              {{ID}},
    repository_id   BIGINT NOT NULL REFERENCES repositories (id),
    registry_id     BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    digest          TEXT NOT NULL,
    parent_digest   TEXT NOT NULL, -- the index the platform was found in, '' if none
    platform        TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    scan_state      TEXT NOT NULL,
    os_family       TEXT NOT NULL,
    os_version      TEXT NOT NULL,
    os_eol          BIGINT NOT NULL,
    inventory       TEXT NOT NULL,
    packages        BIGINT NOT NULL,
    critical        BIGINT NOT NULL,
    high            BIGINT NOT NULL,
    medium          BIGINT NOT NULL,
    low             BIGINT NOT NULL,
    unknown         BIGINT NOT NULL,
    exempted        BIGINT NOT NULL,
    fingerprint     TEXT NOT NULL, -- hash of the findings and status, to skip unchanged re-evaluations
    db_version      TEXT NOT NULL,
    stale           BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    queued_at       BIGINT NOT NULL,
    started_at      BIGINT NOT NULL,
    scanned_at      BIGINT NOT NULL, -- last evaluation (scan or re-match); 0 before the first
    first_scanned_at BIGINT NOT NULL,
    UNIQUE (repository_id, digest)
);
CREATE INDEX images_registry_status ON images (registry_id, status);
CREATE INDEX images_subscription ON images (subscription_id, id);
CREATE INDEX images_digest ON images (digest);

-- findings: the current findings of each image (advisory x package). A
-- finding that disappears is deleted and recorded in finding_changes.
-- severity is the rank 0 (Unknown) .. 4 (Critical).
CREATE TABLE findings (
    id              {{ID}},
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
CREATE INDEX findings_subscription ON findings (subscription_id, id);
CREATE INDEX findings_advisory ON findings (advisory_id, subscription_id, id);
CREATE INDEX findings_package ON findings (package_name, subscription_id, id);
CREATE INDEX findings_repository ON findings (repository_id, id);

-- finding_changes: every finding that appeared or disappeared, with when
-- and against which advisory database version.
CREATE TABLE finding_changes (
    id              {{ID}},
    subscription_id TEXT NOT NULL,
    repository_id   BIGINT NOT NULL,
    digest          TEXT NOT NULL,
    change          TEXT NOT NULL, -- new | resolved
    advisory_id     TEXT NOT NULL,
    package_type    TEXT NOT NULL,
    package_name    TEXT NOT NULL,
    package_version TEXT NOT NULL,
    severity        BIGINT NOT NULL,
    db_version      TEXT NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX finding_changes_subscription ON finding_changes (subscription_id, id);

-- scan_plans: scanning on or off for a subscription (registry_id 0) or,
-- overriding it, for one registry. No row means the installation default.
CREATE TABLE scan_plans (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    registry_id     BIGINT NOT NULL,
    enabled         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, registry_id)
);

-- usage_records: one billable scan per image digest per subscription.
CREATE TABLE usage_records (
    subscription_id TEXT NOT NULL,
    digest          TEXT NOT NULL,
    registry_id     BIGINT NOT NULL,
    repository_id   BIGINT NOT NULL,
    day             TEXT NOT NULL, -- YYYY-MM-DD, UTC
    recorded_at     BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, digest)
);
CREATE INDEX usage_records_day ON usage_records (subscription_id, day, registry_id);

-- registry_assessments: the last assessment of each registry, so that a
-- change raises one assessment.changed event.
CREATE TABLE registry_assessments (
    registry_id     BIGINT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    status          TEXT NOT NULL,
    changed_at      BIGINT NOT NULL
);

-- exemptions: rules that silence findings. Scope columns left '' do not
-- restrict; max_severity is -1 unless the rule matches "severity at or
-- below"; expires_at 0 never expires.
CREATE TABLE exemptions (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    scope           TEXT NOT NULL,
    registry        TEXT NOT NULL,
    repository      TEXT NOT NULL,
    digest          TEXT NOT NULL,
    package         TEXT NOT NULL,
    advisory_id     TEXT NOT NULL,
    max_severity    BIGINT NOT NULL,
    no_fix          BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    author          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX exemptions_subscription ON exemptions (subscription_id, id);
