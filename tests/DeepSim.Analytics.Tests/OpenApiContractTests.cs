using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSim.Api.Auth;
using DeepSim.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// contracts/DeepSim.Analytics.json (written by Analytics' build, the input of the web app's generated client) is the
/// document the running service serves, it passes the repository's Redocly lint with no error, and what it promises of
/// refusals is what the service sends.
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class OpenApiContractTests(AnalyticsFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private WebApplication? analytics;
    private Uri analyticsUrl = null!;

    public async Task InitializeAsync()
    {
        // The application name is the document's title.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AnalyticsServiceExtensions).Assembly.GetName().Name,
            EnvironmentName = "Development",
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // No service token: the ingester stays off, the queries answer from an empty store.
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString
                .Replace("Database=deepsim", "Database=t_" + Guid.NewGuid().ToString("N")[..16], StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        analytics = builder.BuildAnalytics();
        using var timeout = new CancellationTokenSource(Budget);
        await analytics.StartAsync(timeout.Token);
        analyticsUrl = new Uri(analytics.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (analytics is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await analytics.StopAsync(timeout.Token);
            await analytics.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_committed_contract_is_the_document_Analytics_serves()
    {
        var served = Normalised(await ServedAsync());
        var committed = Normalised(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Root(), "contracts", "DeepSim.Analytics.json")))!);
        var differences = new List<string>();
        Differences(committed, served, "$", differences);
        Assert.True(differences.Count == 0,
            "contracts/DeepSim.Analytics.json is not what Analytics serves: build DeepSim.Analytics (it rewrites the file), then run "
            + "scripts/generate-api-client.sh and commit both. " + string.Join("; ", differences));
        // What the web app's client is generated from: the queries' parameters with their values.
        var usage = served["paths"]!["/api/v1/analytics/usage"]!["get"]!;
        Assert.Equal(["format", "from", "granularity", "to"], usage["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Order());
        Assert.Equal(["day", "week", "month"], usage["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "granularity")!["schema"]!["enum"]!
            .AsArray().Select(v => v!.GetValue<string>()));
        Assert.NotNull(usage["responses"]!["200"]!["content"]!["text/csv"]);
        Assert.NotNull(usage["responses"]!["400"]!["content"]!["application/problem+json"]);
    }

    [Fact]
    public async Task Redocly_finds_no_error_in_the_served_document()
    {
        var root = Root();
        var redocly = Path.Combine(root, "tools", "openapi", "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"{redocly} is missing: ./deepsim test installs tools/openapi (or: cd tools/openapi && npm ci)");
        var file = Path.Combine(Path.GetTempPath(), $"deepsim-analytics-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await ServedAsync()).ToJsonString());
        try
        {
            var start = new ProcessStartInfo(redocly)
            {
                ArgumentList = { "lint", file, "--config", Path.Combine(root, "redocly.yaml"), "--format=json" },
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true", ["NO_COLOR"] = "1" },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            var report = JsonNode.Parse(await stdout) ?? throw new InvalidOperationException("redocly printed no report: " + await stderr);
            var problems = report["problems"]!.AsArray()
                .Select(p => (Severity: p!["severity"]!.GetValue<string>(), Text: $"{p["severity"]} {p["ruleId"]}: {p["message"]}"))
                .ToList();
            foreach (var problem in problems)
            {
                output.WriteLine(problem.Text);
            }
            Assert.True(problems.All(p => p.Severity != "error"), "redocly lint errors:\n" + string.Join("\n", problems.Where(p => p.Severity == "error").Select(p => p.Text)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Refusals_are_the_problems_the_document_describes()
    {
        using var http = new HttpClient { BaseAddress = analyticsUrl, Timeout = TimeSpan.FromSeconds(30) };
        using (var anonymous = await http.GetAsync("/api/v1/analytics/usage"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.NotEmpty(anonymous.Headers.WwwAuthenticate);
        }

        var tenantId = Guid.NewGuid();
        foreach (var (role, path, status, field) in new[]
        {
            ("owner", "/api/v1/analytics/usage?from=2026-01-02&to=2026-01-01", HttpStatusCode.BadRequest, "query.from"),
            ("viewer", "/api/v1/analytics/runs", HttpStatusCode.Forbidden, null),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(tenantId, role));
            using var response = await http.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()), "the document promises a traceId");
            if (field is not null)
            {
                Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error at {field}: {problem}");
            }
        }
    }

    private async Task<JsonNode> ServedAsync()
    {
        using var http = new HttpClient { BaseAddress = analyticsUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Parsed and key-sorted, without <c>servers</c> (the served document names the address it was fetched from).</summary>
    private static JsonNode Normalised(JsonNode document)
    {
        var copy = document.DeepClone().AsObject();
        copy.Remove("servers");
        return Sorted(copy)!;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    /// <summary>The first few paths where two documents differ, to say what changed.</summary>
    private static void Differences(JsonNode? a, JsonNode? b, string path, List<string> found)
    {
        if (found.Count >= 10 || JsonNode.DeepEquals(a, b))
        {
            return;
        }
        if (a is JsonObject x && b is JsonObject y)
        {
            foreach (var key in x.Select(p => p.Key).Union(y.Select(p => p.Key), StringComparer.Ordinal))
            {
                Differences(x[key], y[key], path + "." + key, found);
            }
        }
        else if (a is JsonArray l && b is JsonArray r && l.Count == r.Count)
        {
            for (var i = 0; i < l.Count; i++)
            {
                Differences(l[i], r[i], $"{path}[{i}]", found);
            }
        }
        else
        {
            var difference = $"{path}: committed {a?.ToJsonString() ?? "(absent)"}, served {b?.ToJsonString() ?? "(absent)"}";
            found.Add(difference.Length > 300 ? difference[..300] + "…" : difference);
        }
    }

    private string Token(Guid tenantId, string role) =>
        new TokenService(Options.Create(new AuthSettings()), fixture.ApiServices.GetRequiredService<SigningKeyRing>(), TimeProvider.System)
            .CreateAccessToken(new AccessTokenSubject(Guid.NewGuid(), tenantId, role, "free", null, Actor.KindUser)).Token;

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory);
    }
}
