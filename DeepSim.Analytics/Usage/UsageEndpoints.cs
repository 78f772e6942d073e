using DeepSim.Analytics.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Analytics.Usage;

/// <summary>
/// The tenant analytics API: the caller's own tenant only (from the token), for members holding
/// <see cref="TenantAnalyticsFilter.Permission"/>. Parameters are checked by <see cref="AnalyticsQuery"/>.
/// </summary>
public static class UsageEndpoints
{
    public static IEndpointRouteBuilder MapUsageEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/analytics").WithTags("Analytics").RequireAuthorization()
            .AddEndpointFilter<TenantAnalyticsFilter>().DocumentRefusals();
        group.MapGet("/usage", GetUsage).WithName("GetTenantUsage")
            .WithSummary("The caller's tenant's usage per day, week or month: runs by status, solver hours, API calls, active users, flowsheets created")
            .Produces<UsageResponse>(contentType: "application/json").DocumentCsv()
            .DocumentQuery(AnalyticsQuery.Parameters.From, AnalyticsQuery.Parameters.To, AnalyticsQuery.Parameters.Granularity, AnalyticsQuery.Parameters.Format);
        group.MapGet("/runs", GetRuns).WithName("GetTenantRuns")
            .WithSummary("The caller's tenant's runs submitted in a range, by status, flowsheet or submitting user")
            .Produces<RunsResponse>(contentType: "application/json").DocumentCsv()
            .DocumentQuery(AnalyticsQuery.Parameters.From, AnalyticsQuery.Parameters.To, AnalyticsQuery.Parameters.By, AnalyticsQuery.Parameters.Format);
        return routes;
    }

    internal static async Task<Results<Ok<UsageResponse>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetUsage(
        AnalyticsTenant? tenant, HttpRequest request, TenantAnalytics analytics, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant); // the filter has refused tokens of no tenant
        var query = new AnalyticsQuery();
        var range = query.Range(request, Today(time));
        var granularity = query.Granularity(request);
        var format = query.Format(request);
        if (!query.Valid)
        {
            return query.Problem();
        }
        var usage = await StoreAsync(() => analytics.UsageAsync(tenant, range, granularity, ct));
        if (usage.Result is not { } result)
        {
            return usage.Problem!;
        }
        return format == ResultFormat.Csv
            ? TypedResults.File(Csv.Usage(result), Csv.MediaType, $"usage-{range.From:yyyy-MM-dd}-{range.To:yyyy-MM-dd}.csv")
            : TypedResults.Ok(result);
    }

    internal static async Task<Results<Ok<RunsResponse>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> GetRuns(
        AnalyticsTenant? tenant, HttpRequest request, TenantAnalytics analytics, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant); // the filter has refused tokens of no tenant
        var query = new AnalyticsQuery();
        var range = query.Range(request, Today(time));
        var by = query.By(request);
        var format = query.Format(request);
        if (!query.Valid)
        {
            return query.Problem();
        }
        var runs = await StoreAsync(() => analytics.RunsAsync(tenant, range, by, ct));
        if (runs.Result is not { } result)
        {
            return runs.Problem!;
        }
        return format == ResultFormat.Csv
            ? TypedResults.File(Csv.Runs(result), Csv.MediaType, $"runs-by-{result.By}-{range.From:yyyy-MM-dd}-{range.To:yyyy-MM-dd}.csv")
            : TypedResults.Ok(result);
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    // ClickHouse down, or not migrated yet (the ingester applies the migrations): a 503 to retry, not a 500.
    private static async Task<(T? Result, ProblemHttpResult? Problem)> StoreAsync<T>(Func<Task<T>> query) where T : class
    {
        try
        {
            return (await query(), null);
        }
        catch (Exception ex) when (ex is global::ClickHouse.Driver.ClickHouseServerException or HttpRequestException)
        {
            return (null, TypedResults.Problem("The analytics store is not available; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Service unavailable", type: ProblemTypes.ServiceUnavailable));
        }
    }
}
