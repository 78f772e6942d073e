using System.Net;
using System.Security.Claims;
using System.Text;
using Bunit;
using DeepSim.Web.Components.Pages.Usage;
using DeepSim.Web.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;

namespace DeepSim.Web.Tests.Usage;

/// <summary>
/// The usage page against canned Api and Analytics answers (the generated clients, the token handling and the problem
/// handler are the real ones; only the HTTP exchange is a stub): what it asks, what it shows, and where it shows refusals.
/// The browser test (UsageFlowTests) runs it against the real services.
/// </summary>
public sealed class UsagePageTests : BunitContext, IAsyncLifetime
{
    private static readonly DateOnly Today = new(2026, 12, 10);
    private static readonly Guid FlowsheetId = Guid.Parse("6f0c2a7e-1d2b-4c55-9a0e-0b5e3a9d1c11");

    private readonly StubHttp http = new();

    public UsagePageTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        var auth = AddAuthorization();
        auth.SetAuthorized("Ada Owner");
        auth.SetClaims(new Claim(WebClaims.SessionId, "session-1"), new Claim(WebClaims.Permission, "analytics.read"));
        var time = new FixedTime(Today.ToDateTime(new TimeOnly(9, 30), DateTimeKind.Utc));
        var cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var sessions = new WebSessionStore(cache, time);
        sessions.SaveAsync("session-1", new ApiSession("access-token-1", time.GetUtcNow().AddHours(1), "refresh-1", Guid.NewGuid(), "owner"), CancellationToken.None)
            .GetAwaiter().GetResult();
        Services.AddSingleton<IDistributedCache>(cache);
        Services.AddSingleton(sessions);
        Services.AddSingleton<TimeProvider>(time);
        Services.AddSingleton<IHttpContextAccessor>(new HttpContextAccessor());
        Services.AddSingleton<IHttpClientFactory>(http);
        Services.AddScoped<DeepSimApi>();
        Services.AddScoped<DeepSimAnalytics>();
        http.Api = request => request.RequestUri!.AbsolutePath switch
        {
            "/api/v1/flowsheets" => Json($$"""{"items":[{"id":"{{FlowsheetId}}","name":"Benzene column","version":1}],"total":1,"page":1,"pageSize":100}"""),
            "/api/v1/team/members" => Json("""{"items":[],"total":1,"page":1,"pageSize":1}"""),
            "/api/v1/usage" => Json("""{"month":"2026-12-01","plan":"Free","runs":3,"solverSeconds":12.5,"apiCalls":40,"limits":{"runsPerMonth":100,"apiCallsPerHour":1000,"flowsheets":5,"members":1,"concurrentRuns":1},"resetsAt":"2027-01-01T00:00:00Z"}"""),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private IRenderedComponent<UsagePage> RenderPage(string? from = null, string? to = null, string? granularity = null)
    {
        Render<MudPopoverProvider>();
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        var query = new[] { ("from", from), ("to", to), ("granularity", granularity) }.Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={q.Item2}");
        navigation.NavigateTo("usage?" + string.Join('&', query));
        return Render<UsagePage>();
    }

    private static string Usage(params (string Day, int Submitted, int Converged, int Failed)[] days)
    {
        var series = string.Join(',', days.Select(d =>
            $$"""{"period":"{{d.Day}}","runsSubmitted":{{d.Submitted}},"runsConverged":{{d.Converged}},"runsNotConverged":0,"runsFailed":{{d.Failed}},"runsCancelled":0,"solverHours":0.25,"apiCalls":7,"activeUsers":1,"flowsheetsCreated":1}"""));
        var sum = (days.Sum(d => d.Submitted), days.Sum(d => d.Converged), days.Sum(d => d.Failed));
        return $$"""
            {"tenantId":"{{Guid.NewGuid()}}","from":"{{days[0].Day}}","to":"{{days[^1].Day}}","granularity":"day",
             "totals":{"period":"{{days[0].Day}}","runsSubmitted":{{sum.Item1}},"runsConverged":{{sum.Item2}},"runsNotConverged":0,"runsFailed":{{sum.Item3}},"runsCancelled":0,
                       "solverHours":{{0.25 * days.Length}},"apiCalls":{{7 * days.Length}},"activeUsers":1,"flowsheetsCreated":{{days.Length}}},
             "series":[{{series}}]}
            """;
    }

    private static string Runs(string key, int runs) =>
        $$"""{"tenantId":"{{Guid.NewGuid()}}","from":"2026-12-09","to":"2026-12-10","by":"flowsheet","groups":[{"key":"{{key}}","runs":{{runs}},"converged":{{runs}},"notConverged":0,"failed":0,"cancelled":0,"inProgress":0,"solverHours":0.5}]}""";

    [Fact]
    public void Figures_charts_and_the_runs_table_come_from_analytics_with_the_persons_token()
    {
        http.Analytics = request => request.RequestUri!.AbsolutePath.EndsWith("/usage", StringComparison.Ordinal)
            ? Json(Usage(("2026-12-09", 2, 1, 1), ("2026-12-10", 1, 1, 0)))
            : Json(Runs(FlowsheetId.ToString(), 3));

        var cut = RenderPage("2026-12-09", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("[data-testid=total-runs-value]").TextContent));
        Assert.Equal("30 min", cut.Find("[data-testid=total-solver-time-value]").TextContent);
        var row = cut.Find("[data-testid=runs-row]");
        Assert.Contains("Benzene column", row.TextContent, StringComparison.Ordinal); // the Api's name for the id
        Assert.Empty(cut.FindAll("[data-testid=usage-empty]"));

        var runsChart = cut.FindComponents<UsageChart>()[0].Instance.Spec;
        Assert.True(runsChart.Stacked);
        Assert.Equal(["Converged", "Not converged", "Failed", "Cancelled"], runsChart.Traces.Select(t => ((Plotly.Blazor.Traces.Bar)t).Name));
        Assert.Equal([1L, 1L], ((Plotly.Blazor.Traces.Bar)runsChart.Traces[0]).Y.Cast<long>());
        Assert.Equal(4, cut.FindComponents<UsageChart>().Count);

        var asked = http.AnalyticsRequests.Select(r => r.RequestUri!.PathAndQuery).ToList();
        Assert.Contains("/api/v1/analytics/usage?format=json&from=2026-12-09&granularity=day&to=2026-12-10", asked);
        Assert.Contains("/api/v1/analytics/runs?by=flowsheet&format=json&from=2026-12-09&to=2026-12-10", asked);
        Assert.All(http.AnalyticsRequests, r => Assert.Equal("Bearer access-token-1", r.Headers.Authorization?.ToString()));
        // The CSV links carry the same choice, to the web app (which adds the token), never to Analytics.
        Assert.Equal("downloads/analytics/usage?from=2026-12-09&to=2026-12-10&granularity=day", cut.Find("[data-testid=usage-csv]").GetAttribute("href"));
        Assert.Equal("downloads/analytics/runs?from=2026-12-09&to=2026-12-10&by=flowsheet", cut.Find("[data-testid=runs-csv]").GetAttribute("href"));
    }

    [Fact]
    public void Without_a_range_in_the_address_the_page_shows_the_last_30_utc_days()
    {
        http.Analytics = request => request.RequestUri!.AbsolutePath.EndsWith("/usage", StringComparison.Ordinal)
            ? Json(Usage(("2026-11-11", 0, 0, 0))) : Json("""{"from":"2026-11-11","to":"2026-12-10","by":"flowsheet","groups":[]}""");

        var cut = RenderPage();

        cut.WaitForAssertion(() => Assert.NotEmpty(http.AnalyticsRequests));
        Assert.Contains("from=2026-11-11", http.AnalyticsRequests[0].RequestUri!.Query, StringComparison.Ordinal);
        Assert.Contains("to=2026-12-10", http.AnalyticsRequests[0].RequestUri!.Query, StringComparison.Ordinal);
        Assert.Equal("true", cut.Find($"[data-testid=preset-{UsagePreset.Last30Days}]").GetAttribute("data-chosen"));
        Assert.Equal("false", cut.Find($"[data-testid=preset-{UsagePreset.Last7Days}]").GetAttribute("data-chosen"));
    }

    [Fact]
    public void A_range_with_no_runs_says_so_in_the_chart_and_the_table()
    {
        http.Analytics = request => request.RequestUri!.AbsolutePath.EndsWith("/usage", StringComparison.Ordinal)
            ? Json(Usage(("2026-12-10", 0, 0, 0)))
            : Json("""{"from":"2026-12-10","to":"2026-12-10","by":"flowsheet","groups":[]}""");

        var cut = RenderPage("2026-12-10", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("No runs in this range", cut.Find("[data-testid=runs-empty]").TextContent, StringComparison.Ordinal));
        Assert.Contains("No runs in this range", cut.Find("[data-testid=runs-empty-table]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=runs-row]"));
    }

    [Fact]
    public void A_range_longer_than_analytics_allows_is_refused_at_the_picker_without_asking()
    {
        http.Analytics = _ => throw new InvalidOperationException("Analytics must not be asked for a range the page can tell is wrong");

        var cut = RenderPage("2025-01-01", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("at most 366 days", cut.Find(".mud-input-helper-text.mud-input-error").TextContent, StringComparison.Ordinal));
        Assert.Empty(http.AnalyticsRequests);
        Assert.Empty(cut.FindAll("[data-testid=problem]"));
        Assert.True(cut.Find("[data-testid=usage-csv]").HasAttribute("disabled") || cut.Find("[data-testid=usage-csv]").ClassList.Contains("mud-button-disabled"));
    }

    [Fact]
    public void A_field_analytics_refuses_is_shown_at_that_field()
    {
        http.Analytics = _ => Problem(HttpStatusCode.BadRequest,
            """{"type":"https://deepsim.dev/problems/validation","title":"Validation failed","status":400,"errors":{"query.to":["must be between 1970-01-01 and 2105-12-31"]}}""");

        var cut = RenderPage("2026-12-01", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("must be between 1970-01-01 and 2105-12-31",
            cut.Find(".mud-input-helper-text.mud-input-error").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=problem]")); // shown at the field, not as a page-wide alert
    }

    [Fact]
    public void A_field_the_page_does_not_show_is_named_in_the_alert()
    {
        http.Analytics = _ => Problem(HttpStatusCode.BadRequest,
            """{"title":"Validation failed","status":400,"detail":"One or more query parameters are invalid.","errors":{"query.format":["must be one of json, csv"]}}""");

        var cut = RenderPage("2026-12-01", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("query.format", cut.Find("[data-testid=problem]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void A_role_without_analytics_read_gets_the_refusal_and_no_figures()
    {
        http.Analytics = _ => Problem(HttpStatusCode.Forbidden,
            """{"type":"https://deepsim.dev/problems/forbidden","title":"Forbidden","status":403,"detail":"Your role does not allow this.","requiredPermission":"analytics.read"}""");

        var cut = RenderPage("2026-12-01", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("analytics.read", cut.Find("[data-testid=problem]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=usage-range]"));
        Assert.Empty(cut.FindAll("[data-testid=usage-csv]"));
        Assert.Empty(cut.FindAll("[data-testid=usage]"));
    }

    [Fact]
    public void An_analytics_that_does_not_answer_is_the_refusal_pages_show_for_an_unavailable_service()
    {
        http.Analytics = _ => throw new HttpRequestException("Connection refused (analytics:80)");

        var cut = RenderPage("2026-12-01", "2026-12-10");

        cut.WaitForAssertion(() => Assert.Contains("could not complete this request", cut.Find("[data-testid=problem]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=usage-totals]"));
        // The controls stay: the person can try again.
        Assert.NotEmpty(cut.FindAll("[data-testid=usage-refresh]"));
    }

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Problem(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/problem+json") };

    private sealed class FixedTime(DateTime utc) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(utc, TimeSpan.Zero);
    }

    /// <summary>The web app's two named clients, each through the real problem handler to a stub answer; requests are recorded.</summary>
    private sealed class StubHttp : IHttpClientFactory
    {
        public Func<HttpRequestMessage, HttpResponseMessage> Api { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NotFound);
        public Func<HttpRequestMessage, HttpResponseMessage> Analytics { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NotFound);
        public List<HttpRequestMessage> AnalyticsRequests { get; } = [];

        public HttpClient CreateClient(string name) => name switch
        {
            DeepSimApi.HttpClientName => Client("http://api", r => Api(r)),
            DeepSimAnalytics.HttpClientName => Client("http://analytics", r =>
            {
                lock (AnalyticsRequests)
                {
                    AnalyticsRequests.Add(r);
                }
                return Analytics(r);
            }),
            _ => throw new InvalidOperationException("no client " + name),
        };

        private static HttpClient Client(string address, Func<HttpRequestMessage, HttpResponseMessage> answer) =>
            new(new ApiProblemHandler { InnerHandler = new Answer(answer) }) { BaseAddress = new Uri(address) };

        private sealed class Answer(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
                Task.FromResult(answer(request));
        }
    }
}
