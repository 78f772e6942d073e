using System.Collections.Concurrent;
using DeepSim.Api.Infrastructure;

namespace DeepSim.Api.Plans;

/// <summary>A row of the plans table; null limits are unlimited.</summary>
public sealed record Plan(
    string Name,
    string DisplayName,
    int Priority,
    int? RunsPerMonth,
    int ApiCallsPerHour,
    int? MaxFlowsheets,
    int? MaxMembers,
    int MaxConcurrentRuns);

/// <summary>
/// The plans table, read through a short-lived cache: the rate limiter needs a tenant's limit on every request,
/// and limits change rarely (a change applies within <see cref="CacheLifetime"/>).
/// </summary>
public sealed class PlanCatalog(TenantDb db, TimeProvider clock)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    /// <summary>The plan a tenant whose plan name is unknown is held to: the smallest.</summary>
    public const string FallbackPlan = "free";

    private readonly SemaphoreSlim refresh = new(1, 1);
    private volatile IReadOnlyDictionary<string, Plan> plans = new Dictionary<string, Plan>(StringComparer.Ordinal);
    private DateTimeOffset loadedAt = DateTimeOffset.MinValue;

    public async Task<IReadOnlyDictionary<string, Plan>> AllAsync(CancellationToken ct)
    {
        if (clock.GetUtcNow() - loadedAt < CacheLifetime && plans.Count > 0)
        {
            return plans;
        }
        await refresh.WaitAsync(ct);
        try
        {
            if (clock.GetUtcNow() - loadedAt >= CacheLifetime || plans.Count == 0)
            {
                var rows = await db.WithoutTenantAsync(s => s.QueryAsync<Plan>(
                    """
                    select name as "Name", display_name as "DisplayName", priority as "Priority", runs_per_month as "RunsPerMonth",
                           api_calls_per_hour as "ApiCallsPerHour", max_flowsheets as "MaxFlowsheets", max_members as "MaxMembers",
                           max_concurrent_runs as "MaxConcurrentRuns"
                    from plans order by priority, name
                    """, null, ct), ct);
                plans = rows.ToDictionary(p => p.Name, StringComparer.Ordinal);
                loadedAt = clock.GetUtcNow();
            }
            return plans;
        }
        finally
        {
            refresh.Release();
        }
    }

    public async Task<Plan> GetAsync(string? name, CancellationToken ct)
    {
        var all = await AllAsync(ct);
        return name is not null && all.TryGetValue(name, out var plan) ? plan
            : all.TryGetValue(FallbackPlan, out var fallback) ? fallback
            : throw new InvalidOperationException($"the plans table has no '{FallbackPlan}' plan");
    }

    /// <summary>Drops the cache (tests that change the table).</summary>
    public void Invalidate() => loadedAt = DateTimeOffset.MinValue;
}
