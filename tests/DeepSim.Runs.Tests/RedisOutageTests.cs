using System.Diagnostics;
using System.Net;
using DeepSim.Api.Infrastructure;
using DeepSim.TestServers;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DeepSim.Runs.Tests;

/// <summary>
/// Redis frozen (SIGSTOP: connected, silent) or stopped under authenticated traffic: every request still succeeds, the
/// circuit opens and requests skip Redis. Each test has its own Redis and Api host so the shared ones stay untouched.
/// Latencies are printed, never asserted.
/// </summary>
[Collection(RunsTests.Name)]
public sealed class RedisOutageTests(RunsFixture fixture, ITestOutputHelper output)
{
    private const int Requests = 48;
    private const int Concurrency = 8;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task With_redis_frozen_authenticated_requests_all_succeed_and_the_circuit_opens()
    {
        await WithOwnRedisAsync(async (redis, api, tenant, flowsheet, ct) =>
        {
            redis.Freeze();
            try
            {
                await LoadAsync(api, tenant, flowsheet, "frozen", ct);
                await AssertDegradedAsync(api, ct);
            }
            finally
            {
                redis.Thaw();
            }
            await AssertCircuitClosesAsync(api, tenant, ct);
        });
    }

    [Fact]
    public async Task With_redis_stopped_authenticated_requests_all_succeed_and_the_circuit_opens()
    {
        await WithOwnRedisAsync(async (redis, api, tenant, flowsheet, ct) =>
        {
            await redis.StopAsync();
            await LoadAsync(api, tenant, flowsheet, "stopped", ct);
            await AssertDegradedAsync(api, ct);
        });
    }

    private async Task WithOwnRedisAsync(Func<RedisServer, ApiHost, TestTenant, Guid, CancellationToken, Task> body)
    {
        using var budget = new CancellationTokenSource(Budget);
        var folder = Directory.CreateTempSubdirectory("deepsim-runs-redis-outage-").FullName;
        try
        {
            await using var redis = await RedisServer.StartAsync(folder, budget.Token);
            await using var api = await fixture.StartApiAsync(redis.ConnectionString, budget.Token);
            var tenant = await TestTenant.CreateAsync(fixture);
            var flowsheet = await tenant.CreateFlowsheetAsync(fixture.Api, TestTenant.FlashAt(91));
            // Connected and answering first, so the outage is a change the Api has to notice.
            await tenant.GetAsync(api, "/api/v1/flowsheets");
            await body(redis, api, tenant, flowsheet, budget.Token);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static RedisCircuit Circuit(ApiHost api) => api.Services.GetRequiredService<RedisCircuit>();

    /// <summary>Lists flowsheets and submits runs, <see cref="Concurrency"/> at a time; every answer must be a success.</summary>
    private async Task LoadAsync(ApiHost api, TestTenant tenant, Guid flowsheet, string outage, CancellationToken ct)
    {
        using var client = api.Client(tenant.Token);
        var results = new (int Index, HttpStatusCode Status, TimeSpan Elapsed, string Body)[Requests];
        using var gate = new SemaphoreSlim(Concurrency);
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var clock = Stopwatch.StartNew();
                using var response = i % 2 == 0
                    ? await client.GetAsync(new Uri("/api/v1/flowsheets", UriKind.Relative), ct)
                    : await client.PostAsync(new Uri("/api/v1/runs", UriKind.Relative),
                        new StringContent($$"""{"flowsheetId": "{{flowsheet}}"}""", System.Text.Encoding.UTF8, "application/json"), ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                results[i] = (i, response.StatusCode, clock.Elapsed, text);
            }
            finally
            {
                gate.Release();
            }
        }));
        var slow = results.Count(r => r.Elapsed > Slow);
        var ordered = results.Select(r => r.Elapsed.TotalMilliseconds).Order().ToArray();
        output.WriteLine($"Redis {outage}: {Requests} requests ({Concurrency} at a time) in {total.Elapsed.TotalSeconds:F2} s; "
            + $"{slow} over {Slow.TotalSeconds:F0} s; median {ordered[ordered.Length / 2]:F0} ms, max {ordered[^1]:F0} ms");
        foreach (var failed in results.Where(r => (int)r.Status >= 400))
        {
            output.WriteLine($"#{failed.Index}: {(int)failed.Status} after {failed.Elapsed.TotalMilliseconds:F0} ms: {failed.Body}");
        }
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Accepted,
            $"request {r.Index} answered {(int)r.Status}: {r.Body}"));
        var circuit = Circuit(api);
        output.WriteLine(circuit.Describe());
        // The circuit, not a wait per call, is what kept requests going: it opened, and later calls skipped Redis.
        Assert.NotEqual(RedisCircuitState.Closed, circuit.State);
        Assert.True(circuit.Trips >= 1, circuit.Describe());
        Assert.True(circuit.Skipped > circuit.Failures, circuit.Describe());
    }

    private async Task AssertDegradedAsync(ApiHost api, CancellationToken ct)
    {
        using var anonymous = api.Client();
        using var health = await anonymous.GetAsync(new Uri("/health", UriKind.Relative), ct);
        var report = await TestTenant.ReadAsync(health);
        output.WriteLine(report.ToString());
        // Degraded answers 200: the Api stays in load balancing while it serves without Redis.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", report.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Degraded", report.GetProperty("status").GetString());
    }

    /// <summary>Once Redis answers again, a probe after the open interval closes the circuit; polled, bounded.</summary>
    private static async Task AssertCircuitClosesAsync(ApiHost api, TestTenant tenant, CancellationToken ct)
    {
        var circuit = Circuit(api);
        for (var attempt = 0; attempt < 100 && circuit.State != RedisCircuitState.Closed; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            await tenant.GetAsync(api, "/api/v1/flowsheets");
        }
        Assert.Equal(RedisCircuitState.Closed, circuit.State);
    }
}
