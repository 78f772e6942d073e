using DeepSim.Analytics.Infrastructure;
using DeepSim.Analytics.Usage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Platform;

/// <summary>
/// The platform analytics API for platform analysts (<see cref="PlatformAnalystFilter"/>): every tenant's figures
/// together, never one tenant's data to a tenant. Parameters are checked by <see cref="AnalyticsQuery"/>, as the tenant
/// queries' are.
/// </summary>
public static class PlatformAnalyticsEndpoints
{
    public static IEndpointRouteBuilder MapPlatformAnalyticsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/analytics/platform").WithTags("Platform analytics").RequireAuthorization()
            .AddEndpointFilter<PlatformAnalystFilter>().DocumentRefusals();
        group.MapGet("/overview", GetOverview).WithName("GetPlatformOverview")
            .WithSummary("Platform analysts: active and new tenants, runs, solver hours, plan mix, conversions, MRR/ARR, churn and ARPA per day, week or month; quota use per plan; top tenants")
            .Produces<PlatformOverview>(contentType: "application/json").DocumentCsv()
            // A revoked or signed-out analyst's token is refused with a problem (the Api said so), not only the bearer challenge.
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .DocumentQuery(AnalyticsQuery.Parameters.From, AnalyticsQuery.Parameters.To, AnalyticsQuery.Parameters.Granularity, AnalyticsQuery.Parameters.Format);
        return routes;
    }

    internal static async Task<Results<Ok<PlatformOverview>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetOverview(
        HttpRequest request, PlatformAnalytics analytics, TimeProvider time, CancellationToken ct)
    {
        var query = new AnalyticsQuery();
        var range = query.Range(request, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        var granularity = query.Granularity(request);
        var format = query.Format(request);
        if (!query.Valid)
        {
            return query.Problem();
        }
        PlatformOverview overview;
        try
        {
            overview = await analytics.OverviewAsync(range, granularity, ct);
        }
        catch (Exception ex) when (ex is global::ClickHouse.Driver.ClickHouseServerException or HttpRequestException)
        {
            // ClickHouse down, or not migrated yet (the ingester applies the migrations): a 503 to retry, not a 500.
            return TypedResults.Problem("The analytics store is not available; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Service unavailable", type: ProblemTypes.ServiceUnavailable);
        }
        return format == ResultFormat.Csv
            ? TypedResults.File(PlatformCsv.Overview(overview), Csv.MediaType, $"platform-{overview.Granularity}-{range.From:yyyy-MM-dd}-{range.To:yyyy-MM-dd}.csv")
            : TypedResults.Ok(overview);
    }
}
