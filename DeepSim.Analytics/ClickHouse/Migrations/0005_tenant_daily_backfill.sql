-- Back-fills tenant_daily from the events stored before 0004's view existed. Safe to run again, and safe while the
-- ingester inserts: an event counted both by the view and here changes no state (ADR 0011). Same SELECT as 0004.
INSERT INTO tenant_daily
SELECT tenant_id, toDate(occurred_at) AS day, tupleElement(m, 1) AS metric,
       uniqExactIfState(tupleElement(m, 2), tupleElement(m, 2) != '') AS distinct_keys,
       groupUniqArrayIfState(tupleElement(m, 3), tupleElement(m, 3) != '') AS amounts
FROM events
ARRAY JOIN multiIf(
    type = 'run.submitted',
        [('runs.submitted', visitParamExtractString(payload, 'runId'), ''),
         ('users.active', visitParamExtractString(payload, 'createdBy'), '')],
    type = 'run.completed',
        [(if(visitParamExtractBool(payload, 'converged') = 1, 'runs.converged', 'runs.not_converged'), visitParamExtractString(payload, 'runId'), ''),
         ('solver.seconds', '', concat(toString(event_id), '|', toString(visitParamExtractFloat(payload, 'solverSeconds'))))],
    type = 'run.failed', [('runs.failed', visitParamExtractString(payload, 'runId'), '')],
    type = 'run.cancelled', [('runs.cancelled', visitParamExtractString(payload, 'runId'), '')],
    type = 'flowsheet.created',
        [('flowsheets.created', visitParamExtractString(payload, 'flowsheetId'), ''),
         ('users.active', visitParamExtractString(payload, 'actorId'), '')],
    type = 'flowsheet.updated', [('users.active', visitParamExtractString(payload, 'actorId'), '')],
    type = 'tenant.created', [('users.active', visitParamExtractString(payload, 'ownerUserId'), '')],
    type = 'usage.api_calls', [('api.calls', '', concat(toString(event_id), '|', toString(visitParamExtractUInt(payload, 'count'))))],
    [('', '', '')]) AS m
WHERE type IN ('run.submitted', 'run.completed', 'run.failed', 'run.cancelled', 'flowsheet.created', 'flowsheet.updated',
               'tenant.created', 'usage.api_calls')
GROUP BY tenant_id, day, metric
