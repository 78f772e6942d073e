using System.Text.Json;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Runs;

/// <summary>A run to insert: its pinned flowsheet content and, for a cache hit, its result.</summary>
public sealed record NewRun(
    Guid Id,
    Guid FlowsheetId,
    int FlowsheetVersion,
    string Content,
    string ContentHash,
    Guid? StudyId = null,
    int? StudyPoint = null,
    string? PointValues = null,
    string? CachedResult = null);

/// <summary>Why a batch of runs was not queued.</summary>
public sealed record QuotaRefusal(string Plan, int Limit, int Usage, DateTimeOffset ResetsAt);

/// <summary>The flowsheet content a run pins.</summary>
public sealed record FlowsheetSnapshot(Guid FlowsheetId, int Version, string Content);

/// <summary>The tenant side of the run queue: snapshots, quota, inserts with their events.</summary>
public sealed class RunService(ResultCache cache, TimeProvider clock, IOptions<RunsSettings> settings)
{
    public RunsSettings Settings => settings.Value;

    /// <summary>The named version (or the current one) of a flowsheet of the scope's tenant; null when missing.</summary>
    public static Task<FlowsheetSnapshot?> SnapshotAsync(DbScope s, Guid flowsheetId, int? version, CancellationToken ct) =>
        version is { } v
            ? s.QuerySingleOrDefaultAsync<FlowsheetSnapshot>(
                """select flowsheet_id as "FlowsheetId", version as "Version", content::text as "Content" from flowsheet_versions where flowsheet_id = @flowsheetId and version = @v""",
                new { flowsheetId, v }, ct)
            : s.QuerySingleOrDefaultAsync<FlowsheetSnapshot>(
                """select id as "FlowsheetId", version as "Version", content::text as "Content" from flowsheets where id = @flowsheetId""",
                new { flowsheetId }, ct);

    /// <summary>Looks a content hash up in the tenant's result cache.</summary>
    public Task<string?> CachedResultAsync(Guid tenantId, string contentHash) => cache.TryGetAsync(tenantId, contentHash);

    /// <summary>Looks many content hashes up in the tenant's result cache in one round trip.</summary>
    public Task<string?[]> CachedResultsAsync(Guid tenantId, IReadOnlyList<string> contentHashes) => cache.TryGetManyAsync(tenantId, contentHashes);

    /// <summary>
    /// Takes <paramref name="count"/> runs from this month's quota, exactly: the conditional update holds the usage
    /// row's lock, so concurrent submissions at the edge are counted one after the other. Null when allowed.
    /// </summary>
    public async Task<QuotaRefusal?> ConsumeQuotaAsync(DbScope s, int count, CancellationToken ct)
    {
        if (count == 0)
        {
            return null;
        }
        var plan = await s.QuerySingleOrDefaultAsync<(string Name, int? Limit)>(
            "select t.plan, p.runs_per_month from tenants t left join plans p on p.name = t.plan", null, ct);
        await s.ExecuteAsync(
            "insert into usage_monthly (tenant_id, month) values (@tenant, date_trunc('month', now() at time zone 'UTC')::date) on conflict do nothing",
            new { tenant = s.RequireTenant() }, ct);
        var used = await s.QuerySingleOrDefaultAsync<(int Runs, DateTime Month)?>(
            """
            update usage_monthly set runs = runs + @count
            where tenant_id = @tenant and month = date_trunc('month', now() at time zone 'UTC')::date
              and (@limit::integer is null or runs + @count <= @limit::integer)
            returning runs, month
            """, new { tenant = s.RequireTenant(), count, limit = plan.Limit }, ct);
        if (used is { } counted)
        {
            // The plan and its quota ride along, so quota utilisation per plan needs no other source (docs/analytics.md).
            await Outbox.AddAsync(s, "usage.runs",
                new { count, runsThisMonth = counted.Runs, month = DateOnly.FromDateTime(counted.Month), plan = plan.Name, runsPerMonth = plan.Limit }, ct);
            return null;
        }
        var usage = await s.ExecuteScalarAsync<int>(
            "select runs from usage_monthly where month = date_trunc('month', now() at time zone 'UTC')::date", null, ct);
        return new QuotaRefusal(plan.Name ?? PlanCatalog.FallbackPlan, plan.Limit ?? 0, usage, RunProblems.NextMonth(clock.GetUtcNow()));
    }

    /// <summary>
    /// Inserts a run with its log entry and outbox events in the scope's transaction. Returns false when the
    /// idempotency key is already taken (the caller replays the stored response).
    /// </summary>
    public async Task<bool> InsertAsync(DbScope s, NewRun run, Guid createdBy, DateTime createdAt, string? idempotencyKey,
        string? requestHash, string? submitResponse, CancellationToken ct) =>
        await InsertManyAsync(s, [run], createdBy, createdAt, ct, idempotencyKey, requestHash, submitResponse) == 1;

    /// <summary>
    /// Inserts runs (a study's points, or one submitted run) with their log entries and outbox events in the scope's
    /// transaction: one statement whatever their number. A cached run is inserted completed, with its result. Returns
    /// how many were inserted (fewer only when an idempotency key was already taken).
    /// </summary>
    public async Task<int> InsertManyAsync(DbScope s, IReadOnlyList<NewRun> runs, Guid createdBy, DateTime createdAt, CancellationToken ct,
        string? idempotencyKey = null, string? requestHash = null, string? submitResponse = null)
    {
        var tenant = s.RequireTenant();
        var inserted = await s.ExecuteScalarAsync<int>(
            """
            with input as (
                select r.* from jsonb_to_recordset(@rows::jsonb) as r (
                    id uuid, flowsheet_id uuid, flowsheet_version integer, study_id uuid, study_point integer, point_values jsonb,
                    content jsonb, content_hash text, cached_result jsonb)
            ),
            inserted as (
                insert into runs (id, tenant_id, flowsheet_id, flowsheet_version, study_id, study_point, point_values, status, content, content_hash,
                                  idempotency_key, request_hash, submit_response, max_attempts, created_by, created_at,
                                  cached, converged, result, solver_seconds, started_at, finished_at)
                select r.id, @tenant, r.flowsheet_id, r.flowsheet_version, r.study_id, r.study_point, r.point_values,
                       case when r.cached_result is null then 'queued' else 'completed' end, r.content, r.content_hash,
                       @idempotencyKey, @requestHash, @submitResponse, @maxAttempts, @createdBy, @createdAt,
                       r.cached_result is not null, case when r.cached_result is null then null else true end, r.cached_result,
                       case when r.cached_result is null then null else 0.0 end,
                       case when r.cached_result is null then null else @createdAt end,
                       case when r.cached_result is null then null else @createdAt end
                from input r
                order by r.study_point nulls first
                on conflict (tenant_id, idempotency_key) do nothing
                returning id, flowsheet_id, flowsheet_version, study_id, cached
            ),
            claim_order as (
                insert into run_tenant_state (tenant_id) select @tenant where exists (select 1 from inserted)
                on conflict do nothing
            ),
            logged as (
                insert into run_events (tenant_id, run_id, attempt, kind, detail)
                select @tenant, i.id, 0, case when i.cached then 'completed' else 'queued' end,
                       case when i.cached then 'result served from the cache; nothing solved' end
                from inserted i
            ),
            emitted as (
                insert into event_outbox (id, tenant_id, type, payload)
                select gen_random_uuid(), @tenant, 'run.submitted',
                       jsonb_build_object('runId', i.id, 'flowsheetId', i.flowsheet_id, 'flowsheetVersion', i.flowsheet_version,
                                          'studyId', i.study_id, 'cached', i.cached, 'createdBy', @createdBy)
                from inserted i
                union all
                select gen_random_uuid(), @tenant, 'run.completed',
                       jsonb_build_object('runId', i.id, 'attempt', 0, 'converged', true, 'solverSeconds', 0.0, 'cached', true)
                from inserted i where i.cached
            )
            select count(*)::integer from inserted
            """,
            new
            {
                rows = SerializeRuns(runs), tenant, idempotencyKey, requestHash, submitResponse,
                maxAttempts = settings.Value.MaxAttempts, createdBy, createdAt,
            }, ct);
        if (inserted > 0 && runs.Any(r => r.CachedResult is null))
        {
            await RunSignals.NotifyAsync(s, ct);
        }
        return inserted;
    }

    /// <summary>The runs as the JSON array the insert reads; contents and cached results are embedded as stored.</summary>
    private static string SerializeRuns(IReadOnlyList<NewRun> runs) => JsonRows.Array(runs, (json, run) =>
    {
        json.WriteString("id", run.Id);
        json.WriteString("flowsheet_id", run.FlowsheetId);
        json.WriteNumber("flowsheet_version", run.FlowsheetVersion);
        if (run.StudyId is { } study)
        {
            json.WriteString("study_id", study);
            json.WriteNumber("study_point", run.StudyPoint ?? 0);
        }
        json.WriteRawOrNull("point_values", run.PointValues);
        json.WriteRawOrNull("content", run.Content);
        json.WriteString("content_hash", run.ContentHash);
        json.WriteRawOrNull("cached_result", run.CachedResult);
    });

    /// <summary>
    /// Cancels a run: a queued one at once; a running one is flagged and stopped by its worker at its next heartbeat.
    /// Returns the status after the call, or null when the run does not exist.
    /// </summary>
    public static async Task<string?> CancelAsync(DbScope s, Guid runId, Actor actor, CancellationToken ct)
    {
        var tenant = s.RequireTenant();
        var cancelled = await s.ExecuteAsync(
            "update runs set status = 'cancelled', finished_at = now() where id = @runId and status = 'queued'", new { runId }, ct);
        if (cancelled == 1)
        {
            await s.ExecuteAsync("insert into run_events (tenant_id, run_id, kind, detail) values (@tenant, @runId, 'cancelled', @detail)",
                new { tenant, runId, detail = "cancelled while queued by " + actor.Id }, ct);
            await Outbox.AddAsync(s, "run.cancelled", new { runId }, ct);
            return "cancelled";
        }
        var flagged = await s.ExecuteAsync(
            "update runs set cancel_requested = true where id = @runId and status = 'running' and not cancel_requested", new { runId }, ct);
        if (flagged == 1)
        {
            await s.ExecuteAsync("insert into run_events (tenant_id, run_id, kind, detail) values (@tenant, @runId, 'cancel-requested', @detail)",
                new { tenant, runId, detail = "requested by " + actor.Id + "; the worker stops at its next heartbeat" }, ct);
            await Outbox.AddAsync(s, "run.cancel_requested", new { runId }, ct);
        }
        return await s.QuerySingleOrDefaultAsync<string>("select status from runs where id = @runId", new { runId }, ct);
    }

    internal static JsonElement ParseJson(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
