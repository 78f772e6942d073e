using System.Net;
using System.Text.RegularExpressions;
using DeepSim.Web.Services;
using Microsoft.Kiota.Abstractions;

namespace DeepSim.Web.Flowsheets;

/// <summary>
/// File downloads (flowsheet JSON, study CSV/XLSX, the usage page's CSVs): the browser asks the web app, which asks the
/// Api (or Analytics) with the person's token from the server-side session, so no token ever reaches the browser. The
/// service decides who may read what; its refusal is this answer's.
/// </summary>
public static class DownloadEndpoints
{
    public static IEndpointRouteBuilder MapDownloadEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/downloads").RequireAuthorization();
        group.MapGet("/flowsheets/{flowsheetId:guid}", FlowsheetAsync);
        group.MapGet("/studies/{studyId:guid}", StudyAsync);
        group.MapGet("/invoices/{invoiceId:guid}", InvoiceAsync);
        group.MapGet("/analytics/usage", AnalyticsUsageAsync);
        group.MapGet("/analytics/runs", AnalyticsRunsAsync);
        return routes;
    }

    private static Task<IResult> FlowsheetAsync(Guid flowsheetId, DeepSimApi api, HttpContext http) =>
        ProxyAsync(http, "application/json", $"flowsheet-{flowsheetId}.json",
            ct => api.Client.Api.V1.Flowsheets[flowsheetId].Export.GetAsync(cancellationToken: ct));

    private static Task<IResult> StudyAsync(Guid studyId, string? format, DeepSimApi api, HttpContext http)
    {
        var xlsx = string.Equals(format, "xlsx", StringComparison.OrdinalIgnoreCase);
        return ProxyAsync(http, xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv",
            $"study-{studyId}.{(xlsx ? "xlsx" : "csv")}",
            ct => api.Client.Api.V1.Studies[studyId].Export.GetAsync(q => q.QueryParameters.Format = xlsx ? "xlsx" : "csv", ct));
    }

    // Shown in the browser to print, not saved: no file name. The Api's page has no scripts and escapes what tenants wrote.
    private static Task<IResult> InvoiceAsync(Guid invoiceId, DeepSimApi api, HttpContext http) =>
        ProxyAsync(http, "text/html; charset=utf-8", null, ct => api.Client.Api.V1.Billing.Invoices[invoiceId].Html.GetAsync(cancellationToken: ct));

    // The query goes to Analytics as it came (Analytics checks it and names what it refuses), as CSV.
    private static Task<IResult> AnalyticsUsageAsync(DeepSimAnalytics analytics, HttpContext http) =>
        ProxyAsync(http, "text/csv", CsvName(http.Request.Query, "usage", "from", "to", "granularity"),
            ct => analytics.CsvAsync(c => Csv(c.Api.V1.Analytics.Usage.ToGetRequestInformation(), http.Request.Query, "from", "to", "granularity"), ct));

    private static Task<IResult> AnalyticsRunsAsync(DeepSimAnalytics analytics, HttpContext http) =>
        ProxyAsync(http, "text/csv", CsvName(http.Request.Query, "runs", "by", "from", "to"),
            ct => analytics.CsvAsync(c => Csv(c.Api.V1.Analytics.Runs.ToGetRequestInformation(), http.Request.Query, "by", "from", "to"), ct));

    private static RequestInformation Csv(RequestInformation request, IQueryCollection query, params string[] names)
    {
        foreach (var name in names)
        {
            if (query.TryGetValue(name, out var value))
            {
                request.QueryParameters[name] = value.ToString();
            }
        }
        request.QueryParameters["format"] = "csv";
        return request;
    }

    private static readonly Regex FileNamePart = new("^[a-z0-9-]{1,20}$", RegexOptions.None, TimeSpan.FromSeconds(1));

    /// <summary>"usage-2026-11-01-2026-11-30.csv": the parameters given, where they are plain words or dates.</summary>
    private static string CsvName(IQueryCollection query, string what, params string[] names) =>
        string.Join('-', names.Select(n => query[n].ToString()).Where(v => FileNamePart.IsMatch(v)).Prepend(what)) + ".csv";

    private static async Task<IResult> ProxyAsync(HttpContext http, string contentType, string? fileName, Func<CancellationToken, Task<Stream?>> fetch)
    {
        try
        {
            var stream = await fetch(http.RequestAborted);
            return stream is null ? Results.NotFound() : Results.Stream(stream, contentType, fileName);
        }
        catch (ApiProblemException problem) when (problem.Status == HttpStatusCode.Unauthorized)
        {
            return Results.LocalRedirect("/account/signin?reason=expired&returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
        }
        catch (ApiProblemException problem) when (problem.FieldErrors.Count > 0)
        {
            return Results.ValidationProblem(problem.FieldErrors.ToDictionary(), problem.Detail, title: problem.Title, statusCode: (int)problem.Status);
        }
        catch (ApiProblemException problem)
        {
            return Results.Problem(problem.Summary, statusCode: (int)problem.Status, title: problem.Title);
        }
        catch (Exception ex) when (DeepSimApi.IsNoAnswer(ex) && !http.RequestAborted.IsCancellationRequested)
        {
            // The service did not answer: the same refusal a page shows, not a 500.
            var unavailable = DeepSimApi.Unavailable();
            return Results.Problem(unavailable.Detail, statusCode: (int)unavailable.Status, title: unavailable.Title);
        }
    }
}
