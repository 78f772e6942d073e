using System.Net;
using DeepSim.Web.Services;

namespace DeepSim.Web.Flowsheets;

/// <summary>
/// File downloads (flowsheet JSON, study CSV/XLSX): the browser asks the web app, which asks the Api with the person's
/// token from the server-side session, so no token ever reaches the browser.
/// </summary>
public static class DownloadEndpoints
{
    public static IEndpointRouteBuilder MapDownloadEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/downloads").RequireAuthorization();
        group.MapGet("/flowsheets/{flowsheetId:guid}", FlowsheetAsync);
        group.MapGet("/studies/{studyId:guid}", StudyAsync);
        group.MapGet("/invoices/{invoiceId:guid}", InvoiceAsync);
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
        catch (ApiProblemException problem)
        {
            return Results.Problem(problem.Summary, statusCode: (int)problem.Status, title: problem.Title);
        }
    }
}
