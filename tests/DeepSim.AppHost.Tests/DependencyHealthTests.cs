using System.Net;
using DeepSim.AppHost.Servers;
using DeepSim.ServiceDefaults;

namespace DeepSim.AppHost.Tests;

/// <summary>The Api, started as the launcher starts it, on real servers that go away and come back.</summary>
public class DependencyHealthTests
{
    private static readonly TimeSpan ServerBudget = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan HealthBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Api_health_turns_unhealthy_when_redis_or_postgres_stops_and_healthy_when_it_returns()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(ServerBudget);
        await using var postgres = await PostgresServer.StartAsync(Path.Combine(folder.Path, "postgres"), timeout.Token);
        await using var redis = await RedisServer.StartAsync(Path.Combine(folder.Path, "redis"), timeout.Token);
        var api = TestProcesses.BuildOutput("DeepSim.Api");
        var logs = new LogBuffer();

        var migrate = await ChildProcess.RunAsync("dotnet", [api, "migrate"], logs, ServerBudget, timeout.Token, environment: new Dictionary<string, string?>
        {
            [$"ConnectionStrings__{ResourceNames.Database}"] = postgres.OwnerConnectionString,
        });
        Assert.True(migrate == 0, $"migrate exited with {migrate}:\n{string.Join('\n', logs.Snapshot())}");

        var url = $"http://127.0.0.1:{PortAllocator.Pick(0)}";
        await using var process = ChildProcess.Start("dotnet", [api], logs, new Dictionary<string, string?>
        {
            [$"ConnectionStrings__{ResourceNames.Database}"] = postgres.AppConnectionString,
            [$"ConnectionStrings__{ResourceNames.Redis}"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = url,
            ["OTEL_SERVICE_NAME"] = ResourceNames.Api,
            ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Auth__ServiceToken"] = Guid.NewGuid().ToString("N"),
        }, workingDirectory: Path.Combine(TestProcesses.RepositoryRoot, "DeepSim.Api"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        await WaitForHealthAsync(http, url, HttpStatusCode.OK, process, "api healthy at start");

        await redis.StopAsync();
        await WaitForHealthAsync(http, url, HttpStatusCode.ServiceUnavailable, process, "api unhealthy without Redis");
        await redis.StartAgainAsync(timeout.Token);
        await WaitForHealthAsync(http, url, HttpStatusCode.OK, process, "api healthy with Redis back");

        await postgres.StopAsync();
        await WaitForHealthAsync(http, url, HttpStatusCode.ServiceUnavailable, process, "api unhealthy without PostgreSQL");
        await postgres.StartAgainAsync(timeout.Token);
        await WaitForHealthAsync(http, url, HttpStatusCode.OK, process, "api healthy with PostgreSQL back");
    }

    private static async Task WaitForHealthAsync(HttpClient http, string url, HttpStatusCode expected, ChildProcess process, string what)
    {
        var deadline = DateTime.UtcNow + HealthBudget;
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(url + "/health"));
                last = response.StatusCode;
                if (last == expected)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A health check waiting on a dead server can outlast the client timeout.
            }
            await Task.Delay(PollInterval);
        }
        Assert.Fail($"Expected {what} ({(int)expected}); last answer {(last is null ? "none" : ((int)last).ToString(System.Globalization.CultureInfo.InvariantCulture))}, exited {process.HasExited}.\n{string.Join('\n', process.Logs.Tail(40))}");
    }
}
