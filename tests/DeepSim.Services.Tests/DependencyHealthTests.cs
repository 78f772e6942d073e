using System.Net;
using DeepSim.TestServers;
using DeepSim.ServiceDefaults;

namespace DeepSim.Services.Tests;

/// <summary>A service's readiness follows a real dependency: down when it stops, up again when it returns.</summary>
public class DependencyHealthTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Analytics_health_follows_a_real_clickhouse_server_down_and_back_up()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("deepsim-services-test-").FullName;
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await using var clickHouse = await ClickHouseServer.StartAsync(dataDirectory, cts.Token);
            await using var api = await StubApi.StartAsync();
            await using var analytics = ServiceProcess.Start("DeepSim.Analytics", new Dictionary<string, string>
            {
                [$"ConnectionStrings__{ResourceNames.ClickHouse}"] = clickHouse.ConnectionString,
                [$"services__{ResourceNames.Api}__http__0"] = api.Url.ToString(),
            });

            Assert.Equal(HttpStatusCode.OK, await analytics.WaitForHealthAsync(HttpStatusCode.OK, Timeout));

            await clickHouse.StopAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await analytics.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, Timeout));

            using var restart = new CancellationTokenSource(Timeout);
            await clickHouse.StartAgainAsync(restart.Token);
            Assert.Equal(HttpStatusCode.OK, await analytics.WaitForHealthAsync(HttpStatusCode.OK, Timeout));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
