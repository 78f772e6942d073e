using System.Net;
using StackExchange.Redis;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class CacheTests(RunsFixture fixture)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Identical_content_is_served_from_the_cache_but_not_different_content_or_another_tenant()
    {
        var tenant = await TestTenant.CreateAsync(fixture);
        var content = TestTenant.FlashAt(94.5);
        var first = await tenant.CreateFlowsheetAsync(fixture.Api, content);
        await using (var worker = WorkerProcess.Start(fixture.Api.Url, concurrency: 1))
        {
            var runId = await tenant.SubmitOkAsync(fixture.Api, first);
            Assert.Equal("completed", await TestTenant.WaitForStatusAsync(fixture, runId, Budget, "completed", "failed"));
            using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
            var server = redis.GetServers()[0];
            // The result is cached just after the run is recorded complete.
            await TestTenant.WaitUntilAsync(() => Task.FromResult(server.Keys(pattern: $"deepsim:result:{tenant.Id:N}:*").Any()), Budget, "cache entry");
        }
        var solved = await tenant.GetAsync(fixture.Api, $"/api/v1/runs/{(await LatestRunAsync(tenant)).GetProperty("id").GetGuid()}/result");

        // Same content in another flowsheet, with 94.5 written as 94.50 (PostgreSQL keeps the scale): one canonical hash.
        var same = await tenant.CreateFlowsheetAsync(fixture.Api, content.Replace("94.5", "94.50", StringComparison.Ordinal));
        var runsBefore = (await tenant.GetAsync(fixture.Api, "/api/v1/usage")).GetProperty("runs").GetInt32();
        var (status, body, text) = await tenant.SubmitAsync(fixture.Api, same);
        Assert.True(status == HttpStatusCode.Accepted, text);
        Assert.Equal("completed", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("cached").GetBoolean());
        var cached = await tenant.GetAsync(fixture.Api, $"/api/v1/runs/{body.GetProperty("id").GetGuid()}/result");
        Assert.True(cached.GetProperty("cached").GetBoolean());
        Assert.Equal(solved.GetProperty("result").GetRawText(), cached.GetProperty("result").GetRawText());
        // A cached result is not a simulation: it takes nothing from the run quota (and so is not billed).
        Assert.Equal(runsBefore, (await tenant.GetAsync(fixture.Api, "/api/v1/usage")).GetProperty("runs").GetInt32());

        var different = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(94.6));
        var miss = await tenant.SubmitAsync(fixture.Api, different);
        Assert.Equal("queued", miss.Body.GetProperty("status").GetString());
        Assert.False(miss.Body.GetProperty("cached").GetBoolean());
        Assert.Equal(runsBefore + 1, (await tenant.GetAsync(fixture.Api, "/api/v1/usage")).GetProperty("runs").GetInt32());

        var stranger = await TestTenant.CreateAsync(fixture);
        var theirs = await stranger.CreateFlowsheetAsync(fixture.Api, content);
        var foreign = await stranger.SubmitAsync(fixture.Api, theirs);
        Assert.Equal("queued", foreign.Body.GetProperty("status").GetString());
        Assert.False(foreign.Body.GetProperty("cached").GetBoolean());
    }

    private async Task<System.Text.Json.JsonElement> LatestRunAsync(TestTenant tenant)
    {
        var page = await tenant.GetAsync(fixture.Api, "/api/v1/runs?status=completed");
        return page.GetProperty("items")[0];
    }
}
