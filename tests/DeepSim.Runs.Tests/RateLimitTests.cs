using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using DeepSim.TestServers;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

[Collection(RunsTests.Name)]
public sealed class RateLimitTests(RunsFixture fixture, ITestOutputHelper output)
{
    private const int FreeCallsPerHour = 100;
    private static readonly TimeSpan FreeInterval = TimeSpan.FromHours(1) / FreeCallsPerHour;

    private static void AssertRateHeaders(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("RateLimit-Policy", out var policy), "RateLimit-Policy missing");
        Assert.Equal($"\"hourly\";q={FreeCallsPerHour};w=3600", Assert.Single(policy));
        Assert.True(response.Headers.TryGetValues("RateLimit", out var limit), "RateLimit missing");
        Assert.Matches("^\"hourly\";r=\\d+;t=\\d+$", Assert.Single(limit));
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero, "Retry-After missing");
        }
    }

    [Fact]
    public async Task The_hourly_limit_holds_across_two_api_processes_sharing_redis_and_every_429_carries_the_headers()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var second = await fixture.StartApiAsync(fixture.Redis.ConnectionString, budget.Token);
        var tenant = await TestTenant.CreateAsync(fixture, plan: "free");
        using var first = fixture.Api.Client(tenant.Token);
        using var other = second.Client(tenant.Token);
        var clock = Stopwatch.StartNew();
        var ok = 0;
        var limited = 0;
        for (var i = 0; i < 130; i++)
        {
            using var response = await (i % 2 == 0 ? first : other).GetAsync("/api/v1/usage", budget.Token);
            AssertRateHeaders(response);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                ok++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                Assert.Equal("https://deepsim.dev/problems/rate-limited", (await TestTenant.ReadAsync(response)).GetProperty("type").GetString());
                limited++;
            }
        }
        // One more call is earned per 36 s of the test's own duration; nothing else may pass.
        var earned = (int)(clock.Elapsed / FreeInterval);
        output.WriteLine($"allowed {ok}, refused {limited} over two processes in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(ok, FreeCallsPerHour, FreeCallsPerHour + earned);
        Assert.Equal(130 - ok, limited);
    }

    [Fact]
    public async Task With_redis_stopped_requests_still_succeed_under_the_local_limiter_and_health_says_so()
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var folder = Directory.CreateTempSubdirectory("deepsim-runs-redis-").FullName;
        try
        {
            await RedisDownAsync(folder, budget.Token);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task RedisDownAsync(string folder, CancellationToken ct)
    {
        await using var redis = await RedisServer.StartAsync(folder, ct);
        await using var api = await fixture.StartApiAsync(redis.ConnectionString, ct);
        var tenant = await TestTenant.CreateAsync(fixture, plan: "free");
        // An API key: its authentication needs no Redis (signed-out JWTs are looked up there).
        using var owner = fixture.Api.Client(tenant.Token);
        using var created = await owner.PostAsJsonAsync("/api/v1/api-keys", new { name = "limits", permissions = new[] { "tenant.read" } }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await TestTenant.ReadAsync(created)).GetProperty("secret").GetString();

        await redis.StopAsync();
        using var client = api.Client(secret);
        var ok = 0;
        for (var i = 0; i < 105; i++)
        {
            using var response = await client.GetAsync("/api/v1/usage", ct);
            AssertRateHeaders(response);
            ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }
        output.WriteLine($"Redis down: {ok} of 105 allowed by the local limiter");
        Assert.InRange(ok, FreeCallsPerHour, FreeCallsPerHour + 1);
        using var anonymous = api.Client();
        using var health = await anonymous.GetAsync("/health", ct);
        var body = await health.Content.ReadAsStringAsync(ct);
        output.WriteLine(body);
        Assert.Contains("local per-process limiter", body, StringComparison.Ordinal);
    }
}
