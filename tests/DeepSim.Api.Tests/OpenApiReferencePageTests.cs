using System.Net;
using System.Text.RegularExpressions;

namespace DeepSim.Api.Tests;

/// <summary>The interactive API reference (/docs): Swagger UI from the build, on the document the Api serves, no sign-in needed.</summary>
[Collection(ApiTests.Name)]
public sealed partial class OpenApiReferencePageTests(ApiFixture api)
{
    [GeneratedRegex("""(?:src|href)="([^"]+)"|data-openapi-url="([^"]+)""")]
    private static partial Regex Links();

    [Fact]
    public async Task The_page_and_every_asset_it_names_are_served_anonymously_with_their_content_types()
    {
        using var anonymous = api.CreateClient();
        using var page = await anonymous.GetAsync(new Uri("/docs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        var links = Links().Matches(html).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        // The page shows the document the Api serves, and that document is there.
        Assert.Contains("/openapi/v1.json", links);
        using (var document = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
            Assert.Equal("application/json", document.Content.Headers.ContentType?.MediaType);
        }
        var expected = new Dictionary<string, string>
        {
            ["/docs/swagger-ui-bundle.js"] = "text/javascript",
            ["/docs/reference.js"] = "text/javascript",
            ["/docs/swagger-ui.css"] = "text/css",
            ["/docs/favicon-32x32.png"] = "image/png",
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), links.Where(l => l.StartsWith("/docs/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var (url, type) in expected)
        {
            using var asset = await anonymous.GetAsync(new Uri(url, UriKind.Relative));
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"{url}: {(int)asset.StatusCode}");
            Assert.Equal(type, asset.Content.Headers.ContentType?.MediaType);
            var bytes = await asset.Content.ReadAsByteArrayAsync();
            Assert.True(bytes.Length > 0, $"{url} is empty");
            if (url.EndsWith("swagger-ui-bundle.js", StringComparison.Ordinal))
            {
                // The real Swagger UI bundle (npm swagger-ui-dist), not a placeholder.
                Assert.True(bytes.Length > 500_000, $"{url} has only {bytes.Length} bytes");
                Assert.Contains("SwaggerUIBundle", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            }
        }
        using var initializer = await anonymous.GetAsync(new Uri("/docs/reference.js", UriKind.Relative));
        Assert.Contains("data-openapi-url", await initializer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/docs/index.html")]
    [InlineData("/docs/..%2Fappsettings.json")]
    [InlineData("/docs/swagger-ui-bundle.js.map")]
    public async Task Only_the_embedded_assets_are_served(string url)
    {
        using var anonymous = api.CreateClient();
        using var response = await anonymous.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_page_is_not_an_operation_of_the_document()
    {
        using var anonymous = api.CreateClient();
        using var response = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var paths = (await response.ReadJsonAsync()).GetProperty("paths");
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.StartsWith("/docs", StringComparison.Ordinal));
    }
}
