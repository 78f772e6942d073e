using DeepSim.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Plans;

/// <summary>The plans and their limits, as customers compare them.</summary>
public static class PlanEndpoints
{
    public static IEndpointRouteBuilder MapPlanEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/plans").WithTags("Plans")
            .MapGet("/", List).WithName("plans.list").WithSummary("Plans and their limits (null is unlimited)")
            .RequirePermission(Permission.Authenticated);
        return routes;
    }

    public static async Task<Ok<IReadOnlyList<Plan>>> List(PlanCatalog catalog, CancellationToken ct)
    {
        var all = await catalog.AllAsync(ct);
        return TypedResults.Ok<IReadOnlyList<Plan>>(all.Values.OrderBy(p => p.Priority).ThenBy(p => p.Name, StringComparer.Ordinal).ToList());
    }
}
