using System.Net;
using DeepSim.ServiceDefaults;
using DeepSim.TestServers;

namespace DeepSim.Services.Tests;

/// <summary>
/// Each service is started as a process with nothing but the variables Aspire (and our launcher) inject,
/// and must find its dependencies through them alone.
/// </summary>
public class ServiceConfigurationTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("DeepSim.Simulation")]
    [InlineData("DeepSim.Web")]
    public async Task Service_finds_the_api_through_services_variables_and_follows_its_health(string service)
    {
        await using var api = await StubApi.StartAsync();
        var variables = new Dictionary<string, string> { [$"services__{ResourceNames.Api}__http__0"] = api.Url.ToString() };
        // The web app keeps its sessions and Data Protection keys in Redis: a real server, as the AppHost gives it.
        var redisFolder = Directory.CreateTempSubdirectory("deepsim-services-redis-").FullName;
        try
        {
            using var redisStart = new CancellationTokenSource(StartTimeout);
            await using var redis = service == "DeepSim.Web" ? await RedisServer.StartAsync(redisFolder, redisStart.Token) : null;
            if (redis is not null)
            {
                variables[$"ConnectionStrings__{ResourceNames.Redis}"] = redis.ConnectionString;
                // Where the usage page asks for its figures; not called at start, and not part of the web's health.
                variables[$"services__{ResourceNames.Analytics}__http__0"] = api.Url.ToString();
            }
            await using var process = ServiceProcess.Start(service, variables);

            Assert.Equal(HttpStatusCode.OK, await process.WaitForHealthAsync(HttpStatusCode.OK, StartTimeout));
            Assert.True(api.HealthCalls > 0, "the service reported healthy without asking the Api");

            api.AnswerHealth(503);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await process.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, StartTimeout));

            api.AnswerHealth(200);
            Assert.Equal(HttpStatusCode.OK, await process.WaitForHealthAsync(HttpStatusCode.OK, StartTimeout));
        }
        finally
        {
            Directory.Delete(redisFolder, recursive: true);
        }
    }

    [Fact]
    public async Task Analytics_is_unhealthy_while_clickhouse_does_not_answer_even_when_the_api_does()
    {
        await using var api = await StubApi.StartAsync();
        var closedPort = ServiceProcess.FreePort();
        await using var process = ServiceProcess.Start("DeepSim.Analytics", new Dictionary<string, string>
        {
            [$"ConnectionStrings__{ResourceNames.ClickHouse}"] = $"http://127.0.0.1:{closedPort}",
            [$"services__{ResourceNames.Api}__http__0"] = api.Url.ToString(),
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await process.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, StartTimeout));
        var body = await process.GetHealthBodyAsync();
        Assert.Contains("\"clickhouse\":{\"status\":\"Unhealthy\"", body, StringComparison.Ordinal);
        Assert.Contains("\"api\":{\"status\":\"Healthy\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeepSim.Simulation", "services:api:http:0")]
    [InlineData("DeepSim.Web", "services:api:http:0")]
    [InlineData("DeepSim.Analytics", "ConnectionStrings:clickhouse")]
    public async Task Service_refuses_to_start_without_its_settings_and_names_the_missing_key(string service, string missingKey)
    {
        await using var process = ServiceProcess.Start(service, new Dictionary<string, string>());

        Assert.True(await process.WaitForExitAsync(StartTimeout), "the service kept running without its configuration");
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(missingKey, process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alive_answers_while_dependencies_are_down()
    {
        await using var api = await StubApi.StartAsync();
        api.AnswerHealth(503);
        await using var process = ServiceProcess.Start("DeepSim.Simulation", new Dictionary<string, string>
        {
            [$"services__{ResourceNames.Api}__http__0"] = api.Url.ToString(),
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await process.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, StartTimeout));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var alive = await http.GetAsync(new Uri(process.Url, "/alive"));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
