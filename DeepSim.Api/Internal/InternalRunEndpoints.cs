using System.Diagnostics;
using System.Text.Json;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DeepSim.Api.Internal;

public sealed record ClaimBatchRequest(string? WorkerId, int? WaitSeconds, int? Max) : IWorkerRequest;
public sealed record ClaimedRun(Guid RunId, int Attempt, DateTime LeaseExpiresAt, int LeaseSeconds, JsonElement Flowsheet);
public sealed record HeartbeatRequest(string? WorkerId, int Attempt) : IWorkerRequest;
public sealed record HeartbeatResponse(DateTime LeaseExpiresAt, bool CancelRequested);
public sealed record CompletedAttempt(Guid RunId, int Attempt, bool Converged, string? FailureReason, double SolverSeconds, JsonElement Result);
public sealed record CompleteBatchRequest(string? WorkerId, List<CompletedAttempt>? Results, int? Claim) : IWorkerRequest;
public sealed record CompleteBatchOutcome(Guid RunId, bool Accepted, string? Status);
public sealed record CompleteBatchResponse(List<CompleteBatchOutcome> Results, List<ClaimedRun> Claimed);
public sealed record ReportRequest(string? WorkerId, int Attempt, string? Outcome, string? Reason, bool Retryable) : IWorkerRequest;
public sealed record ReportResponse(string Status);

/// <summary>
/// The worker side of the run queue (<c>/internal/v1</c>), for the service token only. Every call goes through the
/// audited SECURITY DEFINER functions of migrations 0100 and 0160; an attempt that is no longer current changes
/// nothing (fencing): 409 for a heartbeat or report, <c>accepted: false</c> for a result in a batch.
/// </summary>
public static class InternalRunEndpoints
{
    public const int MaxWorkerIdLength = 200;

    /// <summary>Most runs one batch claim may take (a worker asks for its free slots).</summary>
    public const int MaxClaimBatch = 100;

    /// <summary>Most results one batch report may carry (the limit of <c>runs_complete_batch</c>).</summary>
    public const int MaxCompleteBatch = 100;

    public const int MaxReasonLength = 4000;

    // The first re-poll is quick (another claimer may just have released a tenant lock); idle polls back off.
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromMilliseconds(250);

    private sealed record ClaimRow(Guid RunId, int Attempt, DateTime LeaseExpiresAt, string Content);
    private sealed record CompleteRow(Guid RunId, bool Ok, Guid? TenantId, string? ContentHash, string? Status);

    public static IEndpointRouteBuilder MapInternalRunEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/internal/v1/runs").WithTags("Internal")
            .AllowAnonymous() // not a tenant endpoint: ServiceTokenGate (middleware on /internal) is the gate
            .ExcludeFromDescription()
            .AddEndpointFilter<WorkerPresenceFilter>();
        group.MapPost("/claim-batch", ClaimBatch).WithName("internal.runs.claim-batch")
            .WithSummary("Claim up to max runs in one transaction (long poll; 204 when none)");
        group.MapPost("/{runId:guid}/heartbeat", Heartbeat).WithName("internal.runs.heartbeat").WithSummary("Renew the lease of the current attempt");
        group.MapPost("/complete-batch", CompleteBatch).WithName("internal.runs.complete-batch")
            .WithSummary("Report the results of many current attempts, each accepted or fenced on its own, and claim up to claim runs for the freed slots; one transaction");
        group.MapPost("/{runId:guid}/report", Report).WithName("internal.runs.report")
            .WithSummary("End the current attempt without a result: failed, cancelled or released");
        return routes;
    }

    /// <summary>Up to <paramref name="max"/> runs through <c>runs_claim_batch</c>, in the scope's transaction.</summary>
    private static async Task<List<ClaimedRun>> ClaimAsync(DbScope s, string workerId, int leaseSeconds, int max, CancellationToken ct)
    {
        var rows = await s.QueryAsync<ClaimRow>(
            """
            select o_run_id as "RunId", o_attempt as "Attempt", o_lease_expires_at as "LeaseExpiresAt", o_content::text as "Content"
            from runs_claim_batch(@workerId, @leaseSeconds, @max)
            """, new { workerId, leaseSeconds, max }, ct);
        return rows.Select(row => new ClaimedRun(row.RunId, row.Attempt, row.LeaseExpiresAt, leaseSeconds, RunService.ParseJson(row.Content))).ToList();
    }

    private static bool ValidWorker(string? workerId) => !string.IsNullOrWhiteSpace(workerId) && workerId.Length <= MaxWorkerIdLength;

    public static async Task<Results<Ok<List<ClaimedRun>>, NoContent, ValidationProblem>> ClaimBatch(
        ClaimBatchRequest request, TenantDb db, RunSignals signals, IOptions<RunsSettings> settings, HttpContext http)
    {
        var errors = new FieldErrors();
        if (!ValidWorker(request.WorkerId))
        {
            errors.Add("workerId", $"is required (at most {MaxWorkerIdLength} characters)");
        }
        if (request.Max is not (>= 1 and <= MaxClaimBatch))
        {
            errors.Add("max", $"must be 1..{MaxClaimBatch}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var config = settings.Value;
        var wait = TimeSpan.FromSeconds(Math.Clamp(request.WaitSeconds ?? 0, 0, config.MaxClaimWaitSeconds));
        var ct = http.RequestAborted;
        var clock = Stopwatch.StartNew();
        var delay = FirstPollDelay;
        // Bounded: the loop ends at the wait deadline (or when the worker hangs up).
        while (true)
        {
            // Wakes taken before the claim: a submit landing while the claim runs is not missed.
            var wake = signals.Current;
            var claimed = await db.WithoutTenantAsync(s => ClaimAsync(s, request.WorkerId!, config.LeaseSeconds, request.Max!.Value, ct), ct);
            if (claimed.Count > 0)
            {
                return TypedResults.Ok(claimed);
            }
            if (clock.Elapsed >= wait || ct.IsCancellationRequested)
            {
                return TypedResults.NoContent();
            }
            var remaining = wait - clock.Elapsed;
            await RunSignals.WaitAsync(wake, delay < remaining ? delay : remaining, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPollDelay.Ticks));
        }
    }

    public static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult, ValidationProblem>> Heartbeat(
        Guid runId, HeartbeatRequest request, TenantDb db, IOptions<RunsSettings> settings, CancellationToken ct)
    {
        if (!ValidWorker(request.WorkerId))
        {
            return Problems.Validation("workerId", $"is required (at most {MaxWorkerIdLength} characters)");
        }
        var row = await db.WithoutTenantAsync(s => s.QuerySingleOrDefaultAsync<(bool Ok, DateTime? Lease, bool Cancel)>(
            "select o_ok, o_lease_expires_at, o_cancel_requested from runs_heartbeat(@runId, @attempt, @worker, @lease)",
            new { runId, attempt = request.Attempt, worker = request.WorkerId, lease = settings.Value.LeaseSeconds }, ct), ct);
        return row.Ok
            ? TypedResults.Ok(new HeartbeatResponse(row.Lease!.Value, row.Cancel))
            : Problems.Conflict("This attempt is no longer current; stop working on the run.", RunProblems.StaleAttempt);
    }

    /// <summary>
    /// Many results in one call and one transaction. Each is fenced on its own: the answer lists, per run, whether it
    /// was accepted, and the run's status (null when the run does not exist).
    /// </summary>
    public static async Task<Results<Ok<CompleteBatchResponse>, ValidationProblem>> CompleteBatch(
        CompleteBatchRequest request, TenantDb db, ResultCache cache, IOptions<RunsSettings> settings, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!ValidWorker(request.WorkerId))
        {
            errors.Add("workerId", $"is required (at most {MaxWorkerIdLength} characters)");
        }
        var results = request.Results ?? [];
        if (results.Count is < 1 or > MaxCompleteBatch)
        {
            errors.Add("results", $"must hold 1..{MaxCompleteBatch} results");
        }
        if (request.Claim is < 0 or > MaxClaimBatch)
        {
            errors.Add("claim", $"must be 0..{MaxClaimBatch}");
        }
        var seen = new HashSet<Guid>();
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i] is not { } item)
            {
                errors.Add($"results[{i}]", "must be an object");
                continue;
            }
            ValidateAttempt(item, $"results[{i}].", errors);
            if (!seen.Add(item.RunId))
            {
                errors.Add($"results[{i}].runId", "appears more than once in the batch");
            }
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var claim = request.Claim is > 0 ? new ClaimOrder(settings.Value.LeaseSeconds, request.Claim.Value) : null;
        var (rows, claimed) = await RecordAsync(db, cache, request.WorkerId!, results, claim, ct);
        return TypedResults.Ok(new CompleteBatchResponse(rows.Select(r => new CompleteBatchOutcome(r.RunId, r.Ok, r.Status)).ToList(), claimed));
    }

    private static void ValidateAttempt(CompletedAttempt attempt, string prefix, FieldErrors errors)
    {
        if (attempt.Result.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix + "result", "must be the engine's result object");
        }
        if (!double.IsFinite(attempt.SolverSeconds) || attempt.SolverSeconds < 0)
        {
            errors.Add(prefix + "solverSeconds", "must be a finite, non-negative number");
        }
        if (attempt.FailureReason is { Length: > MaxReasonLength })
        {
            errors.Add(prefix + "failureReason", $"must be at most {MaxReasonLength} characters");
        }
    }

    private sealed record ClaimOrder(int LeaseSeconds, int Max);

    /// <summary>
    /// Records the attempts through <c>runs_complete_batch</c> and, when asked, claims the next runs for the slots they
    /// free in the same transaction (one round trip and one commit per cycle of a busy worker); then caches the
    /// converged results.
    /// </summary>
    private static async Task<(List<CompleteRow> Rows, List<ClaimedRun> Claimed)> RecordAsync(TenantDb db, ResultCache cache, string workerId, IReadOnlyList<CompletedAttempt> attempts, ClaimOrder? claim, CancellationToken ct)
    {
        var items = SerializeAttempts(attempts);
        var (rows, claimed) = await db.WithoutTenantAsync(async s =>
        {
            var recorded = (await s.QueryAsync<CompleteRow>(
                """
                select o_run_id as "RunId", o_ok as "Ok", o_tenant_id as "TenantId", o_content_hash as "ContentHash", o_status as "Status"
                from runs_complete_batch(@worker, @items::jsonb)
                """, new { worker = workerId, items }, ct)).ToList();
            var next = claim is null ? [] : await ClaimAsync(s, workerId, claim.LeaseSeconds, claim.Max, ct);
            // Places freed under a tenant's cap and not refilled here may let another waiting claim go.
            if (recorded.Count(r => r.Ok) > next.Count)
            {
                await RunSignals.NotifyAsync(s, ct);
            }
            return (recorded, next);
        }, ct);
        var byRun = attempts.ToDictionary(a => a.RunId);
        await Task.WhenAll(rows
            .Where(r => r is { Ok: true, TenantId: not null, ContentHash: not null } && byRun[r.RunId].Converged)
            .Select(r => cache.SetAsync(r.TenantId!.Value, r.ContentHash!, byRun[r.RunId].Result.GetRawText())));
        return (rows, claimed);
    }

    /// <summary>The attempts as the JSON array <c>runs_complete_batch</c> reads (results embedded as they came).</summary>
    private static string SerializeAttempts(IReadOnlyList<CompletedAttempt> attempts) => JsonRows.Array(attempts, (json, a) =>
    {
        json.WriteString("run_id", a.RunId);
        json.WriteNumber("attempt", a.Attempt);
        json.WritePropertyName("result");
        a.Result.WriteTo(json);
        json.WriteBoolean("converged", a.Converged);
        json.WriteString("reason", a.FailureReason);
        json.WriteNumber("solver_seconds", a.SolverSeconds);
    });

    public static async Task<Results<Ok<ReportResponse>, ProblemHttpResult, ValidationProblem>> Report(
        Guid runId, ReportRequest request, TenantDb db, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!ValidWorker(request.WorkerId))
        {
            errors.Add("workerId", $"is required (at most {MaxWorkerIdLength} characters)");
        }
        if (request.Outcome is not ("failed" or "cancelled" or "released"))
        {
            errors.Add("outcome", "must be failed, cancelled or released");
        }
        if (request.Reason is { Length: > MaxReasonLength })
        {
            errors.Add("reason", $"must be at most {MaxReasonLength} characters");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var row = await db.WithoutTenantAsync(async s =>
        {
            var reported = await s.QuerySingleOrDefaultAsync<(bool Ok, string? Status)>(
                "select o_ok, o_status from runs_report(@runId, @attempt, @worker, @outcome, @reason, @retryable)",
                new { runId, attempt = request.Attempt, worker = request.WorkerId, outcome = request.Outcome, reason = request.Reason, retryable = request.Retryable }, ct);
            if (reported.Ok)
            {
                // The attempt's place under the cap is free, and a released or retried run is claimable again.
                await RunSignals.NotifyAsync(s, ct);
            }
            return reported;
        }, ct);
        if (!row.Ok)
        {
            return Problems.Conflict(row.Status is null ? "The run does not exist." : $"This attempt is no longer current (the run is {row.Status}); the report changed nothing.",
                RunProblems.StaleAttempt);
        }
        return TypedResults.Ok(new ReportResponse(row.Status!));
    }
}
