using System.Net;
using DeepSim.Web.AnalyticsClient.Api.V1.Analytics.Platform.Overview;
using DeepSim.Web.Services;
using Microsoft.Kiota.Abstractions;

namespace DeepSim.Web.Analytics;

/// <summary>
/// The platform overview as a CSV file: the browser asks the web app, which asks Analytics with the analyst's token
/// from the server-side session, so no token reaches the browser. Analytics checks the parameters (its 400 names them)
/// and the analyst (its 403/401); this endpoint only passes them on.
/// </summary>
public static class PlatformAnalyticsDownloads
{
    public const string Path = "/downloads/platform-analytics";

    public static IEndpointRouteBuilder MapPlatformAnalyticsDownloads(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, DownloadAsync).RequireAuthorization(policy => policy.RequireRole(Roles.PlatformAnalyst));
        return routes;
    }

    /// <summary>The download link for a range and granularity (what the dashboard shows).</summary>
    public static string Link(DateOnly from, DateOnly to, string granularity) =>
        $"{Path.TrimStart('/')}?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&granularity={Uri.EscapeDataString(granularity)}";

    private static async Task<IResult> DownloadAsync(HttpContext http, DeepSimAnalytics analytics, string? from, string? to, string? granularity)
    {
        if (!TryDate(from, out var start) || !TryDate(to, out var end) || !Enum.TryParse<GetGranularityQueryParameterType>(granularity, true, out var size) || !Enum.IsDefined(size) || granularity!.Any(char.IsDigit))
        {
            return Results.Problem("from and to must be dates (YYYY-MM-DD) and granularity day, week or month.", statusCode: StatusCodes.Status400BadRequest,
                title: "Bad request");
        }
        try
        {
            var csv = await analytics.CsvAsync(c => c.Api.V1.Analytics.Platform.Overview.ToGetRequestInformation(q =>
            {
                q.QueryParameters.From = new Date(start.Year, start.Month, start.Day);
                q.QueryParameters.To = new Date(end.Year, end.Month, end.Day);
                q.QueryParameters.Granularity = size;
                q.QueryParameters.Format = GetFormatQueryParameterType.Csv;
            }), http.RequestAborted);
            return csv is null
                ? Results.NotFound()
                : Results.Stream(csv, "text/csv", $"platform-{size.ToString().ToLowerInvariant()}-{start:yyyy-MM-dd}-{end:yyyy-MM-dd}.csv");
        }
        catch (ApiProblemException problem) when (problem.Status == HttpStatusCode.Unauthorized)
        {
            return Results.LocalRedirect("/account/signin?reason=expired&returnUrl=" + Uri.EscapeDataString("/analytics/platform"));
        }
        catch (ApiProblemException problem)
        {
            return Results.Problem(problem.Summary, statusCode: (int)problem.Status, title: problem.Title);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException or TaskCanceledException)
        {
            return Results.Problem("Analytics did not answer in time. Try again in a moment.", statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Service unavailable");
        }
    }

    private static bool TryDate(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day);
}
