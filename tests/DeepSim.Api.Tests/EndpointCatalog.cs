using DeepSim.Api.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.Api.Tests;

/// <summary>One HTTP endpoint of the Api as the running app reports it, with the permission it declares.</summary>
public sealed record ApiEndpoint(string Method, string Template, string Name, Permission? Permission, IReadOnlyList<string> Parameters, Endpoint Endpoint)
{
    public override string ToString() => $"{Method} {Template} ({Name})";
}

/// <summary>The endpoint table, read from the app itself so generated tests cover every endpoint that exists.</summary>
public static class EndpointCatalog
{
    public static IReadOnlyList<ApiEndpoint> All(ApiFixture api)
    {
        var sources = api.Factory.Services.GetServices<EndpointDataSource>();
        return sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new ApiEndpoint(
                method,
                e.RoutePattern.RawText!.TrimEnd('/'),
                e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "",
                e.Metadata.GetOrderedMetadata<RequiredPermission>().Count == 1 ? e.Metadata.GetMetadata<RequiredPermission>()!.Permission : null,
                e.RoutePattern.Parameters.Select(p => p.Name).ToList(),
                e)))
            .OrderBy(e => e.Template, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The document's path for an endpoint: route constraints dropped (<c>{flowsheetId:guid}</c> is <c>{flowsheetId}</c>).</summary>
    public static string DocumentPath(ApiEndpoint endpoint) =>
        System.Text.RegularExpressions.Regex.Replace(endpoint.Template, @"\{([^}:?]+)[^}]*\}", "{$1}");

    /// <summary>
    /// The statuses the served OpenAPI document lists for each endpoint ("METHOD path"), to check that what a sweep
    /// received is documented.
    /// </summary>
    public static async Task<Func<ApiEndpoint, int, bool>> DocumentedStatusesAsync(ApiFixture api)
    {
        using var client = api.CreateClient();
        using var response = await TestApi.Send(client, HttpMethod.Get, "/openapi/v1.json");
        var paths = (await response.ReadJsonAsync()).GetProperty("paths");
        return (endpoint, status) =>
            paths.TryGetProperty(DocumentPath(endpoint), out var item)
            && item.TryGetProperty(endpoint.Method.ToLowerInvariant(), out var operation)
            && operation.GetProperty("responses").TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out _);
    }

    /// <summary>Fills the route template's parameters ({flowsheetId:guid} and the like) from <paramref name="values"/>.</summary>
    public static string Url(ApiEndpoint endpoint, Func<string, string> values)
    {
        var url = endpoint.Template;
        foreach (var segment in endpoint.Endpoint is RouteEndpoint route ? route.RoutePattern.Parameters : [])
        {
            var start = url.IndexOf("{" + segment.Name, StringComparison.Ordinal);
            var end = url.IndexOf('}', start);
            url = url[..start] + values(segment.Name) + url[(end + 1)..];
        }
        return url;
    }
}
