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
public sealed class RunService(ResultCache cache, RunSignals signals, TimeProvider clock, IOptions<RunsSettings> settings)
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

    /// <summary>Looks each content hash up in the tenant's result cache.</summary>
    public Task<string?> CachedResultAsync(Guid tenantId, string contentHash) => cache.TryGetAsync(tenantId, contentHash);

    /// <summary>
    /// Takes <paramref name="count"/> runs from this month's quota, exactly: the conditional update holds the usage
    /// row's lock, so concurrent submissions at the edge are counted one after the other. Null when allowed.
    /// </summary>
    public async Task<QuotaRefusal?> ConsumeQuotaAsync(DbScope s, int count, CancellationToken ct)
    {
        var plan = await s.QuerySingleOrDefaultAsync<(string Name, int? Limit)>(
            "select t.plan, p.runs_per_month from tenants t left join plans p on p.name = t.plan", null, ct);
        await s.ExecuteAsync(
            "insert into usage_monthly (tenant_id, month) values (@tenant, date_trunc('month', now() at time zone 'UTC')::date) on conflict do nothing",
            new { tenant = s.RequireTenant() }, ct);
        var used = await s.QuerySingleOrDefaultAsync<int?>(
            """
            update usage_monthly set runs = runs + @count
            where tenant_id = @tenant and month = date_trunc('month', now() at time zone 'UTC')::date
              and (@limit::integer is null or runs + @count <= @limit::integer)
            returning runs
            """, new { tenant = s.RequireTenant(), count, limit = plan.Limit }, ct);
        if (used is not null)
        {
            return null;
        }
        var usage = await s.ExecuteScalarAsync<int>(
            "select runs from usage_monthly where month = date_trunc('month', now() at time zone 'UTC')::date", null, ct);
        return new QuotaRefusal(plan.Name ?? PlanCatalog.FallbackPlan, plan.Limit ?? 0, usage, RunProblems.NextMonth(clock.GetUtcNow()));
    }

    /// <summary>
    /// Inserts a run with its log entry and outbox event in the scope's transaction. Returns false when the
    /// idempotency key is already taken (the caller replays the stored response).
    /// </summary>
    public async Task<bool> InsertAsync(DbScope s, NewRun run, Guid createdBy, DateTime createdAt, string? idempotencyKey,
        string? requestHash, string? submitResponse, CancellationToken ct)
    {
        var tenant = s.RequireTenant();
        var cached = run.CachedResult is not null;
        var inserted = await s.QuerySingleOrDefaultAsync<Guid?>(
            """
            insert into runs (id, tenant_id, flowsheet_id, flowsheet_version, study_id, study_point, point_values, status, content, content_hash,
                              idempotency_key, request_hash, submit_response, max_attempts, created_by, created_at,
                              cached, converged, result, solver_seconds, started_at, finished_at)
            values (@Id, @tenant, @FlowsheetId, @FlowsheetVersion, @StudyId, @StudyPoint, @PointValues::jsonb, @status, @Content::jsonb, @ContentHash,
                    @idempotencyKey, @requestHash, @submitResponse, @maxAttempts, @createdBy, @createdAt,
                    @cached, @converged, @CachedResult::jsonb, @solverSeconds, @finishedAt, @finishedAt)
            on conflict (tenant_id, idempotency_key) do nothing
            returning id
            """,
            new
            {
                run.Id, tenant, run.FlowsheetId, run.FlowsheetVersion, run.StudyId, run.StudyPoint, run.PointValues,
                status = cached ? "completed" : "queued", run.Content, run.ContentHash, idempotencyKey, requestHash, submitResponse,
                maxAttempts = settings.Value.MaxAttempts, createdBy, createdAt, cached, converged = cached ? true : (bool?)null,
                run.CachedResult, solverSeconds = cached ? 0.0 : (double?)null, finishedAt = cached ? createdAt : (DateTime?)null,
            }, ct);
        if (inserted is null)
        {
            return false;
        }
        await s.ExecuteAsync("insert into run_tenant_state (tenant_id) values (@tenant) on conflict do nothing", new { tenant }, ct);
        await s.ExecuteAsync(
            "insert into run_events (tenant_id, run_id, attempt, kind, detail) values (@tenant, @id, 0, @kind, @detail)",
            new { tenant, id = run.Id, kind = cached ? "completed" : "queued", detail = cached ? "result served from the cache; nothing solved" : null }, ct);
        await Outbox.AddAsync(s, "run.submitted", new { runId = run.Id, run.FlowsheetId, run.FlowsheetVersion, run.StudyId, cached }, ct);
        if (cached)
        {
            await Outbox.AddAsync(s, "run.completed", new { runId = run.Id, attempt = 0, converged = true, solverSeconds = 0.0, cached = true }, ct);
        }
        return true;
    }

    /// <summary>Wakes this process's waiting claims after a commit that queued work.</summary>
    public void Queued() => signals.Pulse();

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
