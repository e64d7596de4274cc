-- 0004_identity: users, robots, role bindings, API tokens, repositories
-- open to anonymous pull, and the audit log. Portable SQL (see 0001).
-- Optional timestamps are 0 when unset, so that no column needs NULL.

-- users: people (password) and robots (tokens only). password_hash is the
-- encoded argon2id hash; tokens_after invalidates signed tokens issued
-- before it (password change, disable).
CREATE TABLE users (
    id            {{ID}},
    name          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    admin         BIGINT NOT NULL DEFAULT 0,
    disabled      BIGINT NOT NULL DEFAULT 0,
    tokens_after  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- role_bindings: a role in a whole subscription (registry '') or in one
-- registry of it (by name: a binding may name a registry before it exists;
-- it only applies while the registry belongs to that subscription).
CREATE TABLE role_bindings (
    user_id         BIGINT NOT NULL REFERENCES users (id),
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    registry        TEXT NOT NULL,
    role            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, subscription_id, registry)
);
CREATE INDEX role_bindings_subscription ON role_bindings (subscription_id, user_id);

-- api_tokens: secret_hash is the hex SHA-256 of a 256-bit random secret;
-- a sign-in is one probe of its unique index.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    description TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL DEFAULT 0,
    revoked_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- anonymous_pull: repository patterns ("team/app", "team/*") anyone may pull.
CREATE TABLE anonymous_pull (
    pattern    TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- audit_log: who did what, when, from where. Append-only.
CREATE TABLE audit_log (
    id              {{ID}},
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    target          TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    remote          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX audit_log_subscription ON audit_log (subscription_id, id);
