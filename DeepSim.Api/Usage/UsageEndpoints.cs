using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using DeepSim.Api.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Usage;

public sealed record UsageLimits(int? RunsPerMonth, int ApiCallsPerHour, int? Flowsheets, int? Members, int ConcurrentRuns);
public sealed record UsageResponse(DateOnly Month, string Plan, int Runs, double SolverSeconds, long ApiCalls, UsageLimits Limits, DateTimeOffset ResetsAt);

/// <summary>The tenant's usage this month against its plan (API calls are counted within a few seconds).</summary>
public static class UsageEndpoints
{
    public static IEndpointRouteBuilder MapUsageEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/usage").WithTags("Usage")
            .MapGet("/", Get).WithName("usage.get").WithSummary("This month's runs, solver seconds and API calls, with the plan's limits")
            .RequirePermission(Permission.TenantRead);
        return routes;
    }

    private sealed record Row(DateTime Month, string Plan, int Runs, double SolverSeconds, long ApiCalls);

    public static async Task<Ok<UsageResponse>> Get(HttpContext http, TenantDb db, PlanCatalog plans, TimeProvider clock, CancellationToken ct)
    {
        var row = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => s.QuerySingleOrDefaultAsync<Row>(
            """
            select date_trunc('month', now() at time zone 'UTC') as "Month", t.plan as "Plan",
                   coalesce(u.runs, 0) as "Runs", coalesce(u.solver_seconds, 0) as "SolverSeconds", coalesce(u.api_calls, 0) as "ApiCalls"
            from tenants t
            left join usage_monthly u on u.tenant_id = t.id and u.month = date_trunc('month', now() at time zone 'UTC')::date
            """, null, ct), ct);
        var plan = await plans.GetAsync(row?.Plan, ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new UsageResponse(
            row is null ? RunProblems.MonthOf(now) : DateOnly.FromDateTime(row.Month), plan.Name,
            row?.Runs ?? 0, row?.SolverSeconds ?? 0, row?.ApiCalls ?? 0,
            new UsageLimits(plan.RunsPerMonth, plan.ApiCallsPerHour, plan.MaxFlowsheets, plan.MaxMembers, plan.MaxConcurrentRuns),
            RunProblems.NextMonth(now)));
    }
}
