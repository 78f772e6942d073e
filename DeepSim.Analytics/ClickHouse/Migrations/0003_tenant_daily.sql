-- Per tenant and UTC day, one row per metric, kept by the materialized view of 0004 from the raw events.
-- The states are idempotent on purpose (ADR 0011): the events arrive at least once and a view fires on every insert,
-- so a redelivered event must not count twice. Counts are uniqExact over what is counted (run, flowsheet, user id);
-- sums keep the distinct 'event_id|amount' strings (groupUniqArray) and add them up at query time. Readers always
-- merge with GROUP BY (uniqExactIfMerge / groupUniqArrayIfMerge), never trusting parts to have merged.
-- The -If state types are spelled out: 18.16 types a uniqExactIfState as uniqExactIf (current versions agree).
-- Metrics: runs.submitted, runs.converged, runs.not_converged, runs.failed, runs.cancelled (keys: run ids),
-- flowsheets.created (flowsheet ids), users.active (user ids), solver.seconds and api.calls (amounts).
CREATE TABLE IF NOT EXISTS tenant_daily
(
    tenant_id      UUID,
    day            Date,
    metric         String,
    distinct_keys  AggregateFunction(uniqExactIf, String, UInt8),
    amounts        AggregateFunction(groupUniqArrayIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, day, metric)
