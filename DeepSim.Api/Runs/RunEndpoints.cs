using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DeepSim.Api.Runs;

/// <summary>
/// A run request: the flowsheet, and the version to run (the current one when omitted). The shape the document states;
/// Submit reads the body itself, to name every wrong field at once.
/// </summary>
public sealed record RunRequest(Guid FlowsheetId, int? Version = null);

public sealed record RunSubmitted(Guid Id, string Status, Guid FlowsheetId, int FlowsheetVersion, bool Cached, DateTime CreatedAt);

public sealed record RunSummary(
    Guid Id, string Status, Guid FlowsheetId, int FlowsheetVersion, Guid? StudyId, int? StudyPoint, int Attempt, int MaxAttempts,
    string? WorkerId, bool CancelRequested, bool Cached, bool? Converged, string? FailureReason, double? SolverSeconds,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt);

public sealed record RunResult(Guid RunId, bool Cached, bool? Converged, string? FailureReason, JsonElement Result);

public sealed record RunEvent(long Id, int? Attempt, string Kind, string? WorkerId, string? Detail, DateTime At);

/// <summary>Submit, track, cancel and read runs of the caller's tenant.</summary>
public static class RunEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 255;

    internal const string SummaryColumns = """
        id as "Id", status as "Status", flowsheet_id as "FlowsheetId", flowsheet_version as "FlowsheetVersion", study_id as "StudyId",
        study_point as "StudyPoint", attempt as "Attempt", max_attempts as "MaxAttempts", worker_id as "WorkerId",
        cancel_requested as "CancelRequested", cached as "Cached", converged as "Converged", failure_reason as "FailureReason",
        solver_seconds as "SolverSeconds", created_at as "CreatedAt", started_at as "StartedAt", finished_at as "FinishedAt"
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapRunEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/runs").WithTags("Runs");
        group.MapPost("/", Submit).WithName("runs.submit")
            .WithSummary("Queue a run of a flowsheet version (Idempotency-Key: same key and body give the same run, answered in its current state)")
            .Accepts<RunRequest>("application/json")
            .Produces<RunSubmitted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity) // the Idempotency-Key was used with another body
            .RequirePermission(Permission.RunsExecute);
        group.MapGet("/", List).WithName("runs.list").WithSummary("List runs, newest first (filter by status, flowsheet or study)")
            .RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{runId:guid}", Get).WithName("runs.get").WithSummary("A run's state").RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{runId:guid}/result", Result).WithName("runs.result")
            .WithSummary("Stream table, unit results and convergence report of a completed run")
            .ProducesProblem(StatusCodes.Status409Conflict).RequirePermission(Permission.FlowsheetsRead);
        group.MapGet("/{runId:guid}/events", Events).WithName("runs.events")
            .WithSummary("What happened to the run: queued, claims, heartbeats, reports").RequirePermission(Permission.FlowsheetsRead);
        group.MapPost("/{runId:guid}/cancel", Cancel).WithName("runs.cancel")
            .WithSummary("Cancel a run: a queued run at once, a running one at its worker's next heartbeat")
            .ProducesProblem(StatusCodes.Status409Conflict).RequirePermission(Permission.RunsExecute);
        return routes;
    }

    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> Submit(
        [FromBody] JsonElement body, [FromHeader(Name = IdempotencyKeyHeader)] string? key, HttpContext http, TenantDb db, RunService runs,
        TimeProvider clock, AuditNotes audit, AuditWriter auditWriter, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var tenant = actor.RequireTenant();
        var errors = new FieldErrors();
        if (key is not null && (key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(char.IsControl)))
        {
            errors.Add(IdempotencyKeyHeader, $"must be 1 to {MaxIdempotencyKeyLength} printable characters");
        }
        Guid flowsheetId = default;
        int? version = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("$", "must be a JSON object with flowsheetId");
        }
        else
        {
            if (!body.TryGetProperty("flowsheetId", out var id) || id.ValueKind != JsonValueKind.String || !id.TryGetGuid(out flowsheetId))
            {
                errors.Add("flowsheetId", "is required (the id of a flowsheet)");
            }
            if (body.TryGetProperty("version", out var v) && v.ValueKind != JsonValueKind.Null)
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var number) && number >= 1)
                {
                    version = number;
                }
                else
                {
                    errors.Add("version", "must be a positive integer (omit it for the current version)");
                }
            }
            foreach (var p in body.EnumerateObject())
            {
                if (p.Name is not ("flowsheetId" or "version"))
                {
                    errors.Add(p.Name, "is not a field of a run request");
                }
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var requestHash = key is null ? null : CanonicalJson.Hash(body);

        if (key is not null && await ReplayAsync(db, tenant, key, requestHash!, ct) is { } replay)
        {
            return replay;
        }
        var snapshot = await db.InTenantAsync(tenant, s => RunService.SnapshotAsync(s, flowsheetId, version, ct), ct);
        if (snapshot is null)
        {
            return Problems.NotFound(version is null ? "The flowsheet does not exist." : "The flowsheet or that version of it does not exist.");
        }
        var contentHash = CanonicalJson.Hash(RunService.ParseJson(snapshot.Content));
        var cachedResult = await runs.CachedResultAsync(tenant, contentHash);
        var runId = Guid.NewGuid();
        // Microsecond precision: what PostgreSQL stores, so the stored response and a later read agree.
        var now = clock.GetUtcNow().UtcDateTime;
        var createdAt = now.AddTicks(-(now.Ticks % 10));
        var responseJson = JsonSerializer.Serialize(
            new RunSubmitted(runId, cachedResult is null ? "queued" : "completed", flowsheetId, snapshot.Version, cachedResult is not null, createdAt), Json);

        QuotaRefusal? refusal = null;
        var inserted = await db.InTenantAsync(tenant, async s =>
        {
            var run = new NewRun(runId, flowsheetId, snapshot.Version, snapshot.Content, contentHash, CachedResult: cachedResult);
            if (!await runs.InsertAsync(s, run, actor.Id, createdAt, key, requestHash, responseJson, ct))
            {
                s.Rollback();
                return false;
            }
            // A cached result is not a simulation: it takes nothing from the quota and is not billed.
            refusal = await runs.ConsumeQuotaAsync(s, cachedResult is null ? 1 : 0, ct);
            if (refusal is not null)
            {
                s.Rollback();
                return true;
            }
            // The run and its audit row commit together.
            audit.Target = "run=" + runId.ToString("D", CultureInfo.InvariantCulture);
            await auditWriter.RecordInAsync(s, http, StatusCodes.Status202Accepted, ct);
            return true;
        }, ct);
        if (!inserted)
        {
            // A concurrent request with the same key won the insert; it has committed, so its response is readable.
            return await ReplayAsync(db, tenant, key!, requestHash!, ct)
                ?? throw new InvalidOperationException("an idempotency key conflicted but its run cannot be read");
        }
        if (refusal is not null)
        {
            return RunProblems.Quota(refusal.Plan, refusal.Limit, refusal.Usage, refusal.ResetsAt);
        }
        return Accepted(responseJson);
    }

    private sealed record ReplayRow(string RequestHash, Guid Id, string Status, Guid FlowsheetId, int FlowsheetVersion, bool Cached, DateTime CreatedAt);

    /// <summary>
    /// The answer to a repeated key: the same run as the first response, in its current state (a client retrying after
    /// the run finished learns that it finished, not that it was once queued). Null when the key is unused.
    /// </summary>
    private static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>?> ReplayAsync(
        TenantDb db, Guid tenant, string key, string requestHash, CancellationToken ct)
    {
        var existing = await db.InTenantAsync(tenant, s => s.QuerySingleOrDefaultAsync<ReplayRow>(
            """
            select request_hash as "RequestHash", id as "Id", status as "Status", flowsheet_id as "FlowsheetId",
                   flowsheet_version as "FlowsheetVersion", cached as "Cached", created_at as "CreatedAt"
            from runs where tenant_id = @tenant and idempotency_key = @key
            """, new { tenant, key }, ct), ct);
        if (existing is null)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(existing.RequestHash), Encoding.UTF8.GetBytes(requestHash)))
        {
            return RunProblems.KeyReused();
        }
        return Accepted(JsonSerializer.Serialize(new RunSubmitted(existing.Id, existing.Status, existing.FlowsheetId, existing.FlowsheetVersion,
            existing.Cached, DateTime.SpecifyKind(existing.CreatedAt, DateTimeKind.Utc)), Json));
    }

    // Serialized once by the caller, so the first response and a replay of an unchanged run are the same bytes.
    private static ContentHttpResult Accepted(string json) =>
        TypedResults.Content(json, "application/json", Encoding.UTF8, StatusCodes.Status202Accepted);

    public static async Task<Results<Ok<Page<RunSummary>>, ValidationProblem>> List(
        HttpContext http, TenantDb db, string? status, Guid? flowsheetId, Guid? studyId, int? page, int? pageSize, CancellationToken ct)
    {
        if (status is not (null or "queued" or "running" or "completed" or "failed" or "cancelled"))
        {
            return Problems.Validation("status", "must be one of queued, running, completed, failed, cancelled");
        }
        var paging = PageRequest.From(page, pageSize);
        var items = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => s.QueryAsync<RunSummary>(
            $"""
            select {SummaryColumns} from runs
            where (@status::text is null or status = @status) and (@flowsheetId::uuid is null or flowsheet_id = @flowsheetId)
              and (@studyId::uuid is null or study_id = @studyId)
            order by created_at desc, id limit @limit offset @offset
            """, new { status, flowsheetId, studyId, limit = paging.PageSize, offset = paging.Offset }, ct), ct);
        return TypedResults.Ok(new Page<RunSummary>(items.ToList(), paging.PageNumber, paging.PageSize, null));
    }

    public static async Task<Results<Ok<RunSummary>, ProblemHttpResult>> Get(Guid runId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var run = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => GetSummaryAsync(s, runId, ct), ct);
        return run is null ? Problems.NotFound("The run does not exist.") : TypedResults.Ok(run);
    }

    internal static Task<RunSummary?> GetSummaryAsync(DbScope s, Guid runId, CancellationToken ct) =>
        s.QuerySingleOrDefaultAsync<RunSummary>($"select {SummaryColumns} from runs where id = @runId", new { runId }, ct);

    public static async Task<Results<Ok<RunResult>, ProblemHttpResult>> Result(Guid runId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => s.QuerySingleOrDefaultAsync<(string Status, bool Cached, bool? Converged, string? Reason, string? Result)>(
            "select status, cached, converged, failure_reason, result::text from runs where id = @runId", new { runId }, ct), ct);
        if (row.Status is null)
        {
            return Problems.NotFound("The run does not exist.");
        }
        if (row.Result is null)
        {
            return Problems.Conflict($"The run is {row.Status}; it has no result.");
        }
        return TypedResults.Ok(new RunResult(runId, row.Cached, row.Converged, row.Reason, RunService.ParseJson(row.Result)));
    }

    public static async Task<Results<Ok<IReadOnlyList<RunEvent>>, ProblemHttpResult>> Events(Guid runId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var events = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            if (await s.ExecuteScalarAsync<bool>("select exists (select 1 from runs where id = @runId)", new { runId }, ct) is false)
            {
                return null;
            }
            return (await s.QueryAsync<RunEvent>(
                """select id as "Id", attempt as "Attempt", kind as "Kind", worker_id as "WorkerId", detail as "Detail", at as "At" from run_events where run_id = @runId order by id""",
                new { runId }, ct)).ToList();
        }, ct);
        return events is null ? Problems.NotFound("The run does not exist.") : TypedResults.Ok<IReadOnlyList<RunEvent>>(events);
    }

    public static async Task<Results<Ok<RunSummary>, ProblemHttpResult>> Cancel(Guid runId, HttpContext http, TenantDb db, AuditWriter audit,
        CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var (status, run) = await db.ForActorAsync(actor, async s =>
        {
            var status = await RunService.CancelAsync(s, runId, actor, ct);
            if (status is "cancelled" or "running")
            {
                // Answered 200 below: the cancellation and its audit row commit together.
                await audit.RecordInAsync(s, http, StatusCodes.Status200OK, ct);
            }
            return (status, status is null ? null : await GetSummaryAsync(s, runId, ct));
        }, ct);
        if (status is null || run is null)
        {
            return Problems.NotFound("The run does not exist.");
        }
        if (status is "completed" or "failed")
        {
            return Problems.Conflict($"The run already {status}; there is nothing to cancel.", RunProblems.RunFinished);
        }
        return TypedResults.Ok(run);
    }
}
