using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Plans;

/// <summary>
/// A row of the plans table; null limits are unlimited. Solver time beyond <see cref="IncludedSolverHours"/> a billing
/// period costs <see cref="OveragePerSolverHour"/> (minor units) per hour; a null price means no overage.
/// </summary>
public sealed record Plan(
    string Name,
    string DisplayName,
    int Priority,
    int? RunsPerMonth,
    int ApiCallsPerHour,
    int? MaxFlowsheets,
    int? MaxMembers,
    int MaxConcurrentRuns,
    int? IncludedSolverHours,
    long? OveragePerSolverHour);

/// <summary>
/// The plans table, read through a short-lived cache: the rate limiter needs a tenant's limit on every request,
/// and limits change rarely (a change applies within <see cref="CacheLifetime"/>).
/// </summary>
public sealed class PlanCatalog(TenantDb db, TimeProvider clock)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    /// <summary>The plan a tenant whose plan name is unknown is held to: the smallest.</summary>
    public const string FallbackPlan = "free";

    private sealed record Snapshot(Dictionary<string, Plan> Plans, DateTimeOffset LoadedAt);

    // Replaced whole; two requests refreshing at once both read the table, which is harmless.
    private volatile Snapshot? current;

    public async Task<IReadOnlyDictionary<string, Plan>> AllAsync(CancellationToken ct)
    {
        var snapshot = current;
        if (snapshot is not null && clock.GetUtcNow() - snapshot.LoadedAt < CacheLifetime)
        {
            return snapshot.Plans;
        }
        var rows = await db.WithoutTenantAsync(s => s.QueryAsync<Plan>(
            """
            select name as "Name", display_name as "DisplayName", priority as "Priority", runs_per_month as "RunsPerMonth",
                   api_calls_per_hour as "ApiCallsPerHour", max_flowsheets as "MaxFlowsheets", max_members as "MaxMembers",
                   max_concurrent_runs as "MaxConcurrentRuns", included_solver_hours as "IncludedSolverHours",
                   overage_per_solver_hour as "OveragePerSolverHour"
            from plans order by priority, name
            """, null, ct), ct);
        var plans = rows.ToDictionary(p => p.Name, StringComparer.Ordinal);
        current = new Snapshot(plans, clock.GetUtcNow());
        return plans;
    }

    public async Task<Plan> GetAsync(string? name, CancellationToken ct)
    {
        var all = await AllAsync(ct);
        return name is not null && all.TryGetValue(name, out var plan) ? plan
            : all.TryGetValue(FallbackPlan, out var fallback) ? fallback
            : throw new InvalidOperationException($"the plans table has no '{FallbackPlan}' plan");
    }

    /// <summary>Drops the cache (tests that change the table).</summary>
    public void Invalidate() => current = null;
}
