-- Raw events from the Api's outbox, one row per delivery. Delivery is at least once, so the same event may be
-- inserted more than once: ReplacingMergeTree keeps one row per (tenant_id, event_id) when parts merge, and every
-- query dedupes (FINAL, or uniqExact(event_id)) rather than trusting merges to have run.
-- occurred_at keeps whole seconds (DateTime64 is not in 18.16); the feed position orders events exactly.
-- tenant_id is the zero UUID for events of no tenant (a Nullable column may not be in the sorting key).
CREATE TABLE IF NOT EXISTS events
(
    event_id     UUID,
    tenant_id    UUID,
    type         String,
    occurred_at  DateTime('UTC'),
    payload      String,
    position     String,
    ingested_at  DateTime('UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, event_id)
