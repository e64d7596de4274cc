-- 0007_pull_policy: pull policies per registry and their break-glass
-- overrides. Portable SQL (see 0001).
--
-- pull_policies: one row per registry that has a policy (no row: the
-- registry serves everything). block_severity is the severity rank
-- (0 Unknown .. 4 Critical) at or above which an active finding refuses a
-- pull, -1 for no severity rule; block_unscanned = 1 also refuses images
-- without a verdict yet. The table stays small (registries with a policy),
-- so the registry loads it whole into a short-lived cache.
CREATE TABLE pull_policies (
    registry_id     BIGINT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    block_severity  BIGINT NOT NULL,
    block_unscanned BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL
);

-- break_glass: time-limited overrides of a registry's policy, kept as a
-- history. An override is in force from created_at until expires_at, or
-- until ended_at when it was ended early (0: not ended).
CREATE TABLE break_glass (
    id              TEXT PRIMARY KEY,
    registry_id     BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    actor           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    ended_at        BIGINT NOT NULL,
    ended_by        TEXT NOT NULL
);
CREATE INDEX break_glass_registry ON break_glass (registry_id, created_at);
CREATE INDEX break_glass_expires ON break_glass (expires_at);

-- The REST API lists a subscription's audit events newest first by action.
CREATE INDEX audit_log_action ON audit_log (action, id);
