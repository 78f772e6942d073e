using System.Net;

namespace DeepSim.Api.Reference;

/// <summary>
/// The interactive API reference: Swagger UI (npm swagger-ui-dist, pinned in tools/openapi and embedded by the build) on
/// the document at <see cref="DocumentPath"/>. Anonymous like the document itself; a caller signs in through the page's
/// Authorize dialog with an access token or an API key. Outside the OpenAPI description.
/// </summary>
public static class ApiReferenceEndpoints
{
    public const string PagePath = "/docs";
    public const string DocumentPath = "/openapi/v1.json";
    internal const string ResourcePrefix = "DeepSim.Api.reference.";

    // The page and its assets only: Swagger UI styles elements inline and shows the document's schemas as data URIs.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly IReadOnlyDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["swagger-ui-bundle.js"] = "text/javascript; charset=utf-8",
        ["swagger-ui.css"] = "text/css; charset=utf-8",
        ["favicon-32x32.png"] = "image/png",
        ["reference.js"] = "text/javascript; charset=utf-8",
    };

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(PagePath, Page).WithName("reference.page").AllowAnonymous().ExcludeFromDescription();
        routes.MapGet(PagePath + "/{asset}", Asset).WithName("reference.asset").AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    internal static IResult Page(HttpContext http)
    {
        var pathBase = http.Request.PathBase.Value ?? "";
        string Url(string path) => WebUtility.HtmlEncode(pathBase + path);
        http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>DeepSim API reference</title>
              <link rel="icon" type="image/png" href="{Url(PagePath + "/favicon-32x32.png")}">
              <link rel="stylesheet" href="{Url(PagePath + "/swagger-ui.css")}">
            </head>
            <body>
              <noscript>The reference needs JavaScript. The OpenAPI document itself is at <a href="{Url(DocumentPath)}">{Url(DocumentPath)}</a>.</noscript>
              <div id="swagger-ui" data-openapi-url="{Url(DocumentPath)}"></div>
              <script src="{Url(PagePath + "/swagger-ui-bundle.js")}"></script>
              <script src="{Url(PagePath + "/reference.js")}"></script>
            </body>
            </html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    internal static IResult Asset(string asset, HttpContext http)
    {
        // Only the files the build embedded: the name is looked up, never used as a path.
        if (!ContentTypes.TryGetValue(asset, out var contentType)
            || typeof(ApiReferenceEndpoints).Assembly.GetManifestResourceStream(ResourcePrefix + asset) is not { } stream)
        {
            return TypedResults.NotFound();
        }
        http.Response.Headers.CacheControl = "public, max-age=3600";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Stream(stream, contentType);
    }

    /// <summary>The embedded assets (for tests: every one the page names must be there).</summary>
    internal static IReadOnlyCollection<string> Assets => (IReadOnlyCollection<string>)ContentTypes.Keys;
}
