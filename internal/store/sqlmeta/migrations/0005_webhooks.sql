-- 0005_webhooks: webhook subscriptions and the delivery log.
--
-- The relay reads the events outbox (0001) in id order, and in one
-- transaction marks each event dispatched (events.delivered_at) and queues
-- one webhook_deliveries row per matching webhook. Delivery workers lease a
-- webhook (lease_owner, lease_until: one worker per webhook at a time, so
-- its deliveries go out in order, across processes), send its due pending
-- deliveries and append one webhook_attempts row per HTTP request.
--
-- webhooks.next_due_at is the earliest next_attempt_at of the webhook's
-- pending deliveries (max BIGINT when none), kept up to date by every write
-- that queues or records a delivery, so that finding work is one range scan
-- of webhooks_due however large a backlog. Pending deliveries are few next to
-- the history, so their indexes are partial; the history is read per
-- webhook, newest first.

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    events          TEXT NOT NULL,  -- space-separated event types; '' = all
    registry        TEXT NOT NULL,  -- '' = every registry
    active          BIGINT NOT NULL, -- 1 active, 0 paused
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    next_due_at     BIGINT NOT NULL DEFAULT 9223372036854775807
);
CREATE INDEX webhooks_subscription ON webhooks (subscription_id, id);
CREATE INDEX webhooks_due ON webhooks (next_due_at);

CREATE TABLE webhook_deliveries (
    seq             {{ID}},
    id              TEXT NOT NULL UNIQUE, -- Drydock-Delivery
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    subscription_id TEXT NOT NULL,
    event_id        BIGINT NOT NULL, -- events.id (no foreign key: the outbox is shared)
    event_type      TEXT NOT NULL,
    state           TEXT NOT NULL,   -- pending | delivered | failed
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_status     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_latency    BIGINT NOT NULL DEFAULT 0, -- nanoseconds
    redelivery_of   TEXT NOT NULL DEFAULT ''
);
-- the delivery log of one webhook, newest first
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
-- retention: the deliveries of one event
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
-- claims: a webhook's due deliveries, and its next due time
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
    delivery_seq BIGINT NOT NULL REFERENCES webhook_deliveries (seq),
    n            BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    status       BIGINT NOT NULL, -- 0: no response
    latency      BIGINT NOT NULL, -- nanoseconds
    error        TEXT NOT NULL,
    response     TEXT NOT NULL,
    PRIMARY KEY (delivery_seq, n)
);
