using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using DeepSim.Analytics.ClickHouse;
using DeepSim.Analytics.Ingest;
using DeepSim.Api.Auth;
using DeepSim.Api.Usage;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepSim.Analytics.Tests;

/// <summary>
/// The tenant_daily roll-up and the tenant analytics API, against the real Api (events of real actions, through the
/// outbox feed and the ingester) and real ClickHouse: the numbers are compared with what PostgreSQL holds.
/// </summary>
[Collection(AnalyticsTests.Name)]
public sealed class TenantAnalyticsTests(AnalyticsFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private readonly string databaseName = "t_" + Guid.NewGuid().ToString("N")[..16];
    private WebApplication? analytics;
    private Uri analyticsUrl = null!;

    public Task InitializeAsync() => StartAnalyticsAsync();

    public Task DisposeAsync() => StopAnalyticsAsync();

    private sealed record Tenant(Guid Id, Guid OwnerId, string OwnerToken);

    /// <summary>What PostgreSQL says the analytics should show for a tenant.</summary>
    private sealed record Expected(long Submitted, long Converged, long NotConverged, long Failed, long Cancelled, long InProgress,
        double SolverSeconds, long ApiCalls, long ActiveUsers, long Flowsheets);

    [Fact]
    public async Task Usage_and_runs_equal_what_postgres_holds_for_a_scripted_mix()
    {
        var tenant = await ScriptedTenantAsync(flowsheets: 2, runs: 5);
        var expected = await ExpectedAsync(tenant.Id);
        Assert.Equal((5, 1, 1, 1, 1, 1), (expected.Submitted, expected.Converged, expected.NotConverged, expected.Failed, expected.Cancelled, expected.InProgress));
        await WaitForIngestAsync(tenant.Id);

        var (from, to) = AroundToday();
        var usage = await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/usage?from={from}&to={to}&granularity=day");
        Assert.Equal(tenant.Id, usage.GetProperty("tenantId").GetGuid());
        var totals = usage.GetProperty("totals");
        Assert.Equal(expected.Submitted, totals.GetProperty("runsSubmitted").GetInt64());
        Assert.Equal(expected.Converged, totals.GetProperty("runsConverged").GetInt64());
        Assert.Equal(expected.NotConverged, totals.GetProperty("runsNotConverged").GetInt64());
        Assert.Equal(expected.Failed, totals.GetProperty("runsFailed").GetInt64());
        Assert.Equal(expected.Cancelled, totals.GetProperty("runsCancelled").GetInt64());
        Assert.Equal(expected.SolverSeconds / 3600.0, totals.GetProperty("solverHours").GetDouble(), 9);
        Assert.True(expected.ApiCalls > 0, "the scripted calls were counted by the Api");
        Assert.Equal(expected.ApiCalls, totals.GetProperty("apiCalls").GetInt64());
        Assert.Equal(expected.ActiveUsers, totals.GetProperty("activeUsers").GetInt64());
        Assert.Equal(expected.Flowsheets, totals.GetProperty("flowsheetsCreated").GetInt64());
        // Three days asked for, three points; the series adds up to the totals.
        var series = usage.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(3, series.Count);
        Assert.Equal(expected.Submitted, series.Sum(p => p.GetProperty("runsSubmitted").GetInt64()));
        Assert.Equal(expected.ApiCalls, series.Sum(p => p.GetProperty("apiCalls").GetInt64()));

        var byStatus = Groups(await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/runs?from={from}&to={to}&by=status"));
        Assert.Equal(new Dictionary<string, long> { ["cancelled"] = 1, ["converged"] = 1, ["failed"] = 1, ["in_progress"] = 1, ["not_converged"] = 1 },
            byStatus.ToDictionary(g => g.Key, g => g.Value.GetProperty("runs").GetInt64()));
        await using var owner = await fixture.OpenOwnerAsync();
        var perFlowsheet = (await owner.QueryAsync<(Guid, long)>("select flowsheet_id, count(*) from runs where tenant_id = @id group by flowsheet_id", new { id = tenant.Id }))
            .ToDictionary(r => r.Item1.ToString(), r => r.Item2);
        var byFlowsheet = Groups(await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/runs?from={from}&to={to}&by=flowsheet"));
        Assert.Equal(perFlowsheet.OrderBy(p => p.Key), byFlowsheet.ToDictionary(g => g.Key, g => g.Value.GetProperty("runs").GetInt64()).OrderBy(p => p.Key));
        var perUser = (await owner.QueryAsync<(Guid, long)>("select created_by, count(*) from runs where tenant_id = @id group by created_by", new { id = tenant.Id }))
            .ToDictionary(r => r.Item1.ToString(), r => r.Item2);
        var byUser = Groups(await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/runs?from={from}&to={to}&by=user"));
        Assert.Equal(perUser, byUser.ToDictionary(g => g.Key, g => g.Value.GetProperty("runs").GetInt64()));
        Assert.Equal(expected.SolverSeconds / 3600.0, byUser.Sum(g => g.Value.GetProperty("solverHours").GetDouble()), 9);
    }

    [Fact]
    public async Task A_batch_delivered_twice_changes_no_count()
    {
        // The same batch through the ingest path twice: the view fires on both inserts.
        var tenantId = Guid.NewGuid();
        using var database = Database();
        using (var timeout = new CancellationTokenSource(Budget))
        {
            await ClickHouseMigrator.MigrateAsync(database, timeout.Token);
        }
        var store = new EventStore(database, TimeProvider.System);
        var now = DateTime.UtcNow;
        var user = Guid.NewGuid();
        var runs = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        FeedEvent Event(string type, object payload) =>
            new("1-1", Guid.NewGuid(), tenantId, type, now, JsonSerializer.SerializeToElement(payload, JsonSerializerOptions.Web));
        var batch = new List<FeedEvent>
        {
            Event("tenant.created", new { tenantId, plan = "free", ownerUserId = user }),
            Event("flowsheet.created", new { tenantId, flowsheetId = Guid.NewGuid(), version = 1, actorId = user }),
            Event("usage.api_calls", new { tenantId, count = 7 }),
            Event("usage.api_calls", new { tenantId, count = 7 }), // same amount, other event: both count
        };
        batch.AddRange(runs.Select(r => Event("run.submitted", new { runId = r, flowsheetId = Guid.NewGuid(), cached = false, createdBy = user })));
        batch.Add(Event("run.completed", new { runId = runs[0], attempt = 1, converged = true, solverSeconds = 1.5 }));
        batch.Add(Event("run.completed", new { runId = runs[1], attempt = 1, converged = false, solverSeconds = 1.5 }));
        batch.Add(Event("run.cancelled", new { runId = runs[2] }));

        using (var timeout = new CancellationTokenSource(Budget))
        {
            await store.InsertAsync(batch, timeout.Token);
        }
        var token = Token(tenantId, user, Roles.Admin);
        var today = DateOnly.FromDateTime(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var usagePath = $"/api/v1/analytics/usage?from={today}&to={today}";
        var runsPath = $"/api/v1/analytics/runs?from={today}&to={today}&by=status";
        var once = (await GetJsonAsync(token, usagePath)).GetProperty("totals");
        var runsOnce = (await GetJsonAsync(token, runsPath)).GetProperty("groups").ToString();
        Assert.Equal(3, once.GetProperty("runsSubmitted").GetInt64());
        Assert.Equal(1, once.GetProperty("runsConverged").GetInt64());
        Assert.Equal(1, once.GetProperty("runsNotConverged").GetInt64());
        Assert.Equal(1, once.GetProperty("runsCancelled").GetInt64());
        Assert.Equal(3.0 / 3600.0, once.GetProperty("solverHours").GetDouble(), 12);
        Assert.Equal(14, once.GetProperty("apiCalls").GetInt64());
        Assert.Equal(1, once.GetProperty("activeUsers").GetInt64());
        Assert.Equal(1, once.GetProperty("flowsheetsCreated").GetInt64());

        using (var timeout = new CancellationTokenSource(Budget))
        {
            await store.InsertAsync(batch, timeout.Token);
            // A rerun of every migration (as after a crash before its record) back-fills the whole table again.
            foreach (var (_, sql) in ClickHouseMigrator.Load())
            {
                await database.ExecuteAsync(sql, timeout.Token);
            }
        }
        Assert.Equal(once.ToString(), (await GetJsonAsync(token, usagePath)).GetProperty("totals").ToString());
        Assert.Equal(runsOnce, (await GetJsonAsync(token, runsPath)).GetProperty("groups").ToString());
    }

    [Fact]
    public async Task A_feed_redelivered_from_the_start_changes_no_usage()
    {
        var tenant = await ScriptedTenantAsync(flowsheets: 1, runs: 2);
        await WaitForIngestAsync(tenant.Id);
        var (from, to) = AroundToday();
        var path = $"/api/v1/analytics/usage?from={from}&to={to}";
        var before = (await GetJsonAsync(tenant.OwnerToken, path)).GetProperty("totals").ToString();
        var end = Ingester().Position!;

        // Stopped, the checkpoint put back to the start, started again: every event arrives a second time.
        await StopAnalyticsAsync();
        using (var database = Database())
        using (var timeout = new CancellationTokenSource(Budget))
        {
            await new EventStore(database, TimeProvider.System).WriteCheckpointAsync("outbox", "0-0", timeout.Token);
        }
        await StartAnalyticsAsync();
        await WaitUntilAsync(() => Task.FromResult(Ingester().Position is { } p && ComparePositions(p, end) >= 0), "the redelivery");
        Assert.Equal(before, (await GetJsonAsync(tenant.OwnerToken, path)).GetProperty("totals").ToString());
    }

    [Fact]
    public async Task A_tenant_never_sees_another_tenants_figures_whatever_it_names()
    {
        var a = await ScriptedTenantAsync(flowsheets: 1, runs: 1);
        var b = await ScriptedTenantAsync(flowsheets: 3, runs: 2);
        await WaitForIngestAsync(a.Id);
        await WaitForIngestAsync(b.Id);
        var (from, to) = AroundToday();
        var own = await GetJsonAsync(a.OwnerToken, $"/api/v1/analytics/usage?from={from}&to={to}");
        Assert.Equal(1, own.GetProperty("totals").GetProperty("flowsheetsCreated").GetInt64());
        Assert.Equal(3, (await GetJsonAsync(b.OwnerToken, $"/api/v1/analytics/usage?from={from}&to={to}")).GetProperty("totals").GetProperty("flowsheetsCreated").GetInt64());

        foreach (var name in new[] { "tenantId", "tenant_id", "tenant", "tid" })
        {
            var named = await GetJsonAsync(a.OwnerToken, $"/api/v1/analytics/usage?from={from}&to={to}&{name}={b.Id}");
            Assert.Equal(own.ToString(), named.ToString());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/usage?from={from}&to={to}"))
        {
            request.Headers.Add("X-Tenant-Id", b.Id.ToString());
            request.Headers.Add("X-DeepSim-Tenant", b.Id.ToString());
            var (status, body) = await SendAsync(a.OwnerToken, request);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(own.ToString(), body);
        }
        var runsOfA = await GetJsonAsync(a.OwnerToken, $"/api/v1/analytics/runs?from={from}&to={to}&by=user&tenantId={b.Id}");
        Assert.Equal(a.Id, runsOfA.GetProperty("tenantId").GetGuid());
        Assert.Equal(new[] { a.OwnerId.ToString() }, runsOfA.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()!));
        // A path naming the other tenant is no route at all.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(a.OwnerToken, new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/usage/{b.Id}"))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(a.OwnerToken, new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/tenants/{b.Id}/usage"))).Status);
        // A's own token with its tenant claim changed to B is no longer the Api's signature.
        var parts = a.OwnerToken.Split('.');
        var forged = string.Join('.', parts[0],
            Api.Tests.ForgedTokens.Base64Url(System.Text.Encoding.UTF8.GetBytes(Api.Tests.ForgedTokens.WithClaim(Api.Tests.ForgedTokens.Payload(a.OwnerToken), "tid", b.Id.ToString()))), parts[2]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(forged, new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/usage"))).Status);
    }

    [Theory]
    [InlineData("/api/v1/analytics/usage?from=2026-01-01' OR 1=1 --", "query.from")]
    [InlineData("/api/v1/analytics/usage?to=2026-01-01');DROP TABLE events;--", "query.to")]
    [InlineData("/api/v1/analytics/usage?granularity=day) OR (1=1", "query.granularity")]
    [InlineData("/api/v1/analytics/usage?granularity=toMonday(day)", "query.granularity")]
    [InlineData("/api/v1/analytics/usage?format=csv' --", "query.format")]
    [InlineData("/api/v1/analytics/runs?by=status, tenant_id", "query.by")]
    [InlineData("/api/v1/analytics/runs?by=tenant_id", "query.by")]
    [InlineData("/api/v1/analytics/runs?from=\\' OR 1=1", "query.from")]
    [InlineData("/api/v1/analytics/usage?from=2026-05-01&to=2026-04-30", "query.from")]
    [InlineData("/api/v1/analytics/usage?from=2025-01-01&to=2026-01-02", "query.to")]
    [InlineData("/api/v1/analytics/usage?from=2026-13-01", "query.from")]
    [InlineData("/api/v1/analytics/usage?from=2026-1-1", "query.from")]
    [InlineData("/api/v1/analytics/usage?from=1969-12-31&to=1970-01-02", "query.from")]
    [InlineData("/api/v1/analytics/usage?from=2026-01-01&from=2026-01-02", "query.from")]
    [InlineData("/api/v1/analytics/usage?granularity=year", "query.granularity")]
    [InlineData("/api/v1/analytics/usage?granularity=", "query.granularity")]
    [InlineData("/api/v1/analytics/runs?by=", "query.by")]
    [InlineData("/api/v1/analytics/runs?format=xml", "query.format")]
    public async Task Bad_or_hostile_parameters_are_400_naming_the_field(string path, string field)
    {
        var token = Token(Guid.NewGuid(), Guid.NewGuid(), Roles.Owner);
        var (status, body) = await SendAsync(token, new HttpRequestMessage(HttpMethod.Get, path));
        Assert.True(status == HttpStatusCode.BadRequest, $"{path}: {status} {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("https://deepsim.dev/problems/validation", problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), body);
    }

    [Fact]
    public async Task The_longest_range_and_every_granularity_are_accepted()
    {
        var token = Token(Guid.NewGuid(), Guid.NewGuid(), Roles.Owner);
        foreach (var (granularity, points) in new[] { ("day", 366), ("week", 53), ("month", 12) })
        {
            // 2024 is a leap year: 366 days, Monday 2024-01-01 starts the first of its 53 weeks.
            var usage = await GetJsonAsync(token, $"/api/v1/analytics/usage?from=2024-01-01&to=2024-12-31&granularity={granularity}");
            Assert.Equal(points, usage.GetProperty("series").GetArrayLength());
            Assert.Equal(0, usage.GetProperty("totals").GetProperty("runsSubmitted").GetInt64());
        }
        foreach (var by in new[] { "status", "flowsheet", "user" })
        {
            var runs = await GetJsonAsync(token, $"/api/v1/analytics/runs?by={by}");
            Assert.Equal(0, runs.GetProperty("groups").GetArrayLength());
        }
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Engineer)]
    public async Task Roles_without_analytics_read_are_403_naming_the_permission(string role)
    {
        var token = Token(Guid.NewGuid(), Guid.NewGuid(), role);
        foreach (var path in new[] { "/api/v1/analytics/usage", "/api/v1/analytics/runs?by=user", "/api/v1/analytics/usage?format=csv" })
        {
            var (status, body) = await SendAsync(token, new HttpRequestMessage(HttpMethod.Get, path));
            Assert.True(status == HttpStatusCode.Forbidden, $"{role} {path}: {status} {body}");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("analytics.read", problem.GetProperty("requiredPermission").GetString());
            Assert.Contains("analytics.read", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Admins_may_read_usage_and_tokens_of_no_tenant_may_not()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Token(Guid.NewGuid(), Guid.NewGuid(), Roles.Admin), new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/usage"))).Status);
        var ring = fixture.ApiServices.GetRequiredService<SigningKeyRing>();
        var operatorToken = new TokenService(Options.Create(new AuthSettings()), ring, TimeProvider.System)
            .CreateAccessToken(new AccessTokenSubject(Guid.NewGuid(), null, Roles.PlatformOperator, null, null, Actor.KindOperator)).Token;
        var (status, body) = await SendAsync(operatorToken, new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/usage"));
        Assert.True(status == HttpStatusCode.Forbidden, $"{status} {body}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(null, new HttpRequestMessage(HttpMethod.Get, "/api/v1/analytics/usage"))).Status);
    }

    [Fact]
    public async Task Before_the_migrations_ran_the_queries_answer_503_not_500()
    {
        // No service token, so no ingester and no migrations: the database has no tables.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString.Replace("Database=deepsim", "Database=t_" + Guid.NewGuid().ToString("N")[..16], StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var bare = builder.BuildAnalytics();
        using (var start = new CancellationTokenSource(Budget))
        {
            await bare.StartAsync(start.Token);
        }
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(bare.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), Timeout = Budget };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(Guid.NewGuid(), Guid.NewGuid(), Roles.Admin));
            foreach (var path in new[] { "/api/v1/analytics/usage", "/api/v1/analytics/runs" })
            {
                using var timeout = new CancellationTokenSource(Budget);
                using var response = await client.GetAsync(path, timeout.Token);
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {response.StatusCode} {body}");
                Assert.Equal("https://deepsim.dev/problems/service-unavailable", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
            }
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await bare.StopAsync(stop.Token);
        }
    }

    [Fact]
    public async Task Csv_downloads_have_a_header_and_the_same_numbers()
    {
        var tenant = await ScriptedTenantAsync(flowsheets: 1, runs: 2);
        await WaitForIngestAsync(tenant.Id);
        var (from, to) = AroundToday();
        var json = await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/usage?from={from}&to={to}");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/usage?from={from}&to={to}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var (status, csv, contentType) = await SendRawAsync(tenant.OwnerToken, request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("text/csv", contentType, StringComparison.Ordinal);
        var (_, byFormat, _) = await SendRawAsync(tenant.OwnerToken, new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/usage?from={from}&to={to}&format=csv"));
        Assert.Equal(csv, byFormat);

        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("period,runs_submitted,runs_converged,runs_not_converged,runs_failed,runs_cancelled,solver_hours,api_calls,active_users,flowsheets_created", lines[0]);
        var series = json.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(series.Count, lines.Length - 1);
        for (var i = 0; i < series.Count; i++)
        {
            var p = series[i];
            var expected = string.Join(',', p.GetProperty("period").GetString(), p.GetProperty("runsSubmitted").GetInt64(), p.GetProperty("runsConverged").GetInt64(),
                p.GetProperty("runsNotConverged").GetInt64(), p.GetProperty("runsFailed").GetInt64(), p.GetProperty("runsCancelled").GetInt64(),
                p.GetProperty("solverHours").GetDouble().ToString("R", CultureInfo.InvariantCulture), p.GetProperty("apiCalls").GetInt64(),
                p.GetProperty("activeUsers").GetInt64(), p.GetProperty("flowsheetsCreated").GetInt64());
            Assert.Equal(expected, lines[i + 1]);
        }
        Assert.Contains(series, p => p.GetProperty("runsSubmitted").GetInt64() == 2);

        var (runsStatus, runsCsv, _) = await SendRawAsync(tenant.OwnerToken, new HttpRequestMessage(HttpMethod.Get, $"/api/v1/analytics/runs?from={from}&to={to}&by=status&format=csv"));
        Assert.Equal(HttpStatusCode.OK, runsStatus);
        var runLines = runsCsv.TrimEnd('\n').Split('\n');
        Assert.Equal("status,runs,converged,not_converged,failed,cancelled,in_progress,solver_hours", runLines[0]);
        var runsJson = Groups(await GetJsonAsync(tenant.OwnerToken, $"/api/v1/analytics/runs?from={from}&to={to}&by=status"));
        Assert.Equal(runsJson.Select(g => $"{g.Key},{g.Value.GetProperty("runs").GetInt64()}"), runLines.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));
    }

    // --- the scripted tenant -------------------------------------------------------------------------------------

    /// <summary>
    /// A tenant made through the Api: sign-up, <paramref name="flowsheets"/> flowsheets, <paramref name="runs"/> runs
    /// submitted on the first. Of the runs, in order: one converges, one does not (both reported through the worker
    /// path's function), one is cancelled through the Api, one fails (its lease expires on its last attempt), the rest
    /// stay queued. The Api's call counter is flushed at the end, so usage.api_calls holds every call.
    /// </summary>
    private async Task<Tenant> ScriptedTenantAsync(int flowsheets, int runs)
    {
        using var timeout = new CancellationTokenSource(Budget);
        using var anonymous = fixture.Client();
        var slug = $"u-{Guid.NewGuid():N}"[..30];
        var email = $"owner-{Guid.NewGuid():N}@example.test";
        var signed = await SignUps.SignUpAsync(anonymous, new { tenantName = "Usage " + slug, slug, email, password = "correct-horse-battery", displayName = "Owner" }, email,
            SignUps.FromOutbox(fixture.OpenOwnerAsync), timeout.Token);
        var tenantId = signed.GetProperty("tenantId").GetGuid();
        var token = signed.GetProperty("accessToken").GetString()!;
        var ownerId = Guid.Parse(JsonDocument.Parse(Api.Tests.ForgedTokens.Payload(token)).RootElement.GetProperty("sub").GetString()!);
        await using var owner = await fixture.OpenOwnerAsync();
        await owner.ExecuteAsync("update tenants set plan = 'enterprise' where id = @tenantId", new { tenantId });

        using var client = fixture.Client(token);
        var flowsheetIds = new List<Guid>();
        for (var i = 0; i < flowsheets; i++)
        {
            using var body = new StringContent($$"""{"name": "flash {{i}}", "content": {{Example()}}}""", System.Text.Encoding.UTF8, "application/json");
            using var created = await client.PostAsync("/api/v1/flowsheets", body, timeout.Token);
            var flowsheet = JsonDocument.Parse(await created.Content.ReadAsStringAsync(timeout.Token)).RootElement;
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"flowsheet: {created.StatusCode} {flowsheet}");
            flowsheetIds.Add(flowsheet.GetProperty("id").GetGuid());
        }
        var runIds = new List<Guid>();
        for (var i = 0; i < runs; i++)
        {
            using var body = new StringContent($$"""{"flowsheetId": "{{flowsheetIds[i == runs - 1 ? flowsheetIds.Count - 1 : 0]}}"}""", System.Text.Encoding.UTF8, "application/json");
            using var submitted = await client.PostAsync("/api/v1/runs", body, timeout.Token);
            var run = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync(timeout.Token)).RootElement;
            Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, $"run: {submitted.StatusCode} {run}");
            runIds.Add(run.GetProperty("id").GetGuid());
        }

        var finished = runIds.Take(2).ToList();
        if (finished.Count > 0)
        {
            await owner.ExecuteAsync("update runs set status = 'running', attempt = 1, worker_id = 'test', started_at = now(), lease_expires_at = now() + interval '5 minutes' where id = any(@finished)",
                new { finished });
            var items = finished.Select((id, i) => new { run_id = id, attempt = 1, result = new { }, converged = i == 0, reason = i == 0 ? null : "no convergence in test", solver_seconds = 12.5 + i * 3.25 });
            await owner.ExecuteAsync("select count(*) from runs_complete_batch('test', @items::jsonb)", new { items = JsonSerializer.Serialize(items) });
        }
        if (runIds.Count > 2)
        {
            using var cancelled = await client.PostAsync($"/api/v1/runs/{runIds[2]}/cancel", null, timeout.Token);
            Assert.True(cancelled.IsSuccessStatusCode, $"cancel: {cancelled.StatusCode} {await cancelled.Content.ReadAsStringAsync(timeout.Token)}");
        }
        if (runIds.Count > 3)
        {
            await owner.ExecuteAsync("update runs set status = 'running', attempt = max_attempts, worker_id = 'test', started_at = now(), lease_expires_at = now() - interval '1 minute' where id = @id",
                new { id = runIds[3] });
            await owner.ExecuteAsync("select runs_expire_leases()");
        }
        var flusher = fixture.ApiServices.GetServices<IHostedService>().OfType<UsageFlusher>().Single();
        await flusher.FlushAsync(timeout.Token);
        return new Tenant(tenantId, ownerId, token);
    }

    private async Task<Expected> ExpectedAsync(Guid tenantId)
    {
        await using var owner = await fixture.OpenOwnerAsync();
        var id = new { id = tenantId };
        var statuses = (await owner.QueryAsync<(string Status, bool? Converged, long Count)>(
            "select status, converged, count(*) from runs where tenant_id = @id group by status, converged", id)).ToList();
        long Of(Func<(string Status, bool? Converged, long Count), bool> which) => statuses.Where(which).Sum(s => s.Count);
        return new Expected(
            Submitted: Of(_ => true),
            Converged: Of(s => s.Status == "completed" && s.Converged == true),
            NotConverged: Of(s => s.Status == "completed" && s.Converged != true),
            Failed: Of(s => s.Status == "failed"),
            Cancelled: Of(s => s.Status == "cancelled"),
            InProgress: Of(s => s.Status is "queued" or "running"),
            SolverSeconds: await owner.ExecuteScalarAsync<double>("select coalesce(sum(solver_seconds), 0) from runs where tenant_id = @id and status = 'completed'", id),
            ApiCalls: await owner.ExecuteScalarAsync<long>("select coalesce(sum(api_calls), 0) from usage_monthly where tenant_id = @id", id),
            // Who acted: signed up, created or changed a flowsheet, submitted a run.
            ActiveUsers: await owner.ExecuteScalarAsync<long>(
                """
                select count(distinct u) from (
                    select created_by as u from runs where tenant_id = @id
                    union select created_by from flowsheet_versions where tenant_id = @id
                    union select user_id from memberships where tenant_id = @id and role = 'owner') a
                """, id),
            Flowsheets: await owner.ExecuteScalarAsync<long>("select count(*) from flowsheets where tenant_id = @id", id));
    }

    // --- plumbing --------------------------------------------------------------------------------------------------

    private async Task StartAnalyticsAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.ClickHouse}"] = fixture.ClickHouse.ConnectionString.Replace("Database=deepsim", "Database=" + databaseName, StringComparison.Ordinal),
            [$"services:{ResourceNames.Api}:http:0"] = fixture.ApiUrl.ToString(),
            ["Auth:ServiceToken"] = AnalyticsFixture.ServiceToken,
            ["Ingest:IdlePollMilliseconds"] = "100",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        analytics = builder.BuildAnalytics();
        using var timeout = new CancellationTokenSource(Budget);
        await analytics.StartAsync(timeout.Token);
        analyticsUrl = new Uri(analytics.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        // The ingester applies the migrations; the queries wait for them.
        await WaitUntilAsync(() => Task.FromResult(Ingester().Position is not null), "the ingester's migrations and checkpoint");
    }

    private async Task StopAnalyticsAsync()
    {
        if (analytics is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await analytics.StopAsync(timeout.Token);
            await analytics.DisposeAsync();
            analytics = null;
        }
    }

    private OutboxIngester Ingester() => analytics!.Services.GetServices<IHostedService>().OfType<OutboxIngester>().Single();

    private ClickHouseDatabase Database() =>
        new(new ClickHouseConnection(new Uri(fixture.ClickHouse.HttpUrl + "/"), databaseName, "default", ""));

    /// <summary>A token the Api's key ring signs, as the Api would issue it to a member of that role.</summary>
    private string Token(Guid tenantId, Guid userId, string role) =>
        new TokenService(Options.Create(new AuthSettings()), fixture.ApiServices.GetRequiredService<SigningKeyRing>(), TimeProvider.System)
            .CreateAccessToken(new AccessTokenSubject(userId, tenantId, role, "free", null, Actor.KindUser)).Token;

    private async Task WaitForIngestAsync(Guid tenantId)
    {
        await using var owner = await fixture.OpenOwnerAsync();
        var expected = await owner.ExecuteScalarAsync<long>("select count(*) from event_outbox where tenant_id = @tenantId", new { tenantId });
        using var database = Database();
        var tenant = ClickHouseSql.Literal(tenantId.ToString());
        await WaitUntilAsync(async () => await ScalarAsync(database,
            $"SELECT uniqExact(event_id) FROM events WHERE tenant_id = {tenant}") >= expected, $"{expected} events of {tenantId}");
        // A row is visible in events a moment before the view's rows reach tenant_daily; the ingester moves its
        // position only once the whole insert, views included, has returned.
        using var timeout = new CancellationTokenSource(Budget);
        var last = (await database.QueryTsvAsync($"SELECT position FROM events WHERE tenant_id = {tenant}", timeout.Token))
            .Select(r => r[0]).Aggregate((a, b) => ComparePositions(a, b) >= 0 ? a : b);
        await WaitUntilAsync(() => Task.FromResult(Ingester().Position is { } p && ComparePositions(p, last) >= 0), $"the ingester past {last}");
    }

    private static (string From, string To) AroundToday()
    {
        // A day either side: a test running across midnight UTC still sees all its events.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        return (today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), today.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    private static List<KeyValuePair<string, JsonElement>> Groups(JsonElement runs) =>
        runs.GetProperty("groups").EnumerateArray().Select(g => KeyValuePair.Create(g.GetProperty("key").GetString()!, g)).ToList();

    private async Task<JsonElement> GetJsonAsync(string token, string path)
    {
        var (status, body) = await SendAsync(token, new HttpRequestMessage(HttpMethod.Get, path));
        Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(string? token, HttpRequestMessage request)
    {
        var (status, body, _) = await SendRawAsync(token, request);
        return (status, body);
    }

    private async Task<(HttpStatusCode Status, string Body, string ContentType)> SendRawAsync(string? token, HttpRequestMessage request)
    {
        using (request)
        {
            using var client = new HttpClient { BaseAddress = analyticsUrl, Timeout = Budget };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var timeout = new CancellationTokenSource(Budget);
            using var response = await client.SendAsync(request, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token), response.Content.Headers.ContentType?.ToString() ?? "");
        }
    }

    private static async Task<long> ScalarAsync(ClickHouseDatabase database, string sql)
    {
        using var timeout = new CancellationTokenSource(Budget);
        try
        {
            return long.Parse((await database.QueryTsvAsync(sql, timeout.Token))[0][0], CultureInfo.InvariantCulture);
        }
        catch (global::ClickHouse.Driver.ClickHouseServerException)
        {
            return -1; // not migrated yet
        }
    }

    private static int ComparePositions(string a, string b)
    {
        static (long, long) Parse(string p)
        {
            var parts = p.Split('-');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        return Parse(a).CompareTo(Parse(b));
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, what, Budget);

    private static string Example()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "examples", "benzene-toluene-flash.json")))!;
        node.AsObject().Remove("$schema");
        return node.ToJsonString();
    }
}
