using System.Net;
using System.Net.Sockets;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Tests;

public class ClickHouseServerTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Answers_queries_over_http_in_its_own_database()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        await using var server = await ClickHouseServer.StartAsync(folder.Path, timeout.Token);

        await server.QueryAsync("CREATE TABLE deepsim.events (id UInt64, day Date) ENGINE = MergeTree ORDER BY id", timeout.Token);
        await server.QueryAsync("INSERT INTO deepsim.events VALUES (1, '2026-01-01'), (2, '2026-01-02')", timeout.Token);

        Assert.Equal("2", (await server.QueryAsync("SELECT count() FROM deepsim.events", timeout.Token)).Trim());
        Assert.Contains(FormattableString.Invariant($"Port={server.HttpPort}"), server.ConnectionString, StringComparison.Ordinal);
        Assert.True(Directory.EnumerateFiles(Path.Combine(folder.Path, "log")).Any());
    }

    [Fact]
    public async Task A_stopped_server_is_unhealthy_until_started_again_on_the_same_port()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        await using var server = await ClickHouseServer.StartAsync(folder.Path, timeout.Token);
        var port = server.HttpPort;

        await server.StopAsync();
        Assert.False(await server.IsHealthyAsync(timeout.Token));

        await server.StartAgainAsync(timeout.Token);
        Assert.Equal(port, server.HttpPort);
        Assert.True(await server.IsHealthyAsync(timeout.Token));
    }

    [Fact]
    public async Task A_busy_preferred_port_is_replaced_by_a_free_one()
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busyPort = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var server = await ClickHouseServer.StartAsync(folder.Path, new ClickHouseServerOptions { PreferredHttpPort = busyPort }, timeout.Token);

        Assert.NotEqual(busyPort, server.HttpPort);
        Assert.True(await server.IsHealthyAsync(timeout.Token));
    }

    [Fact]
    public async Task A_missing_binary_names_the_debian_package()
    {
        using var folder = new TempDirectory();
        var options = new ClickHouseServerOptions { ServerBinary = "/nonexistent/clickhouse-server" };

        var error = await Assert.ThrowsAsync<MissingServerBinaryException>(() => ClickHouseServer.StartAsync(folder.Path, options, CancellationToken.None));

        Assert.Contains("'clickhouse-server'", error.Message, StringComparison.Ordinal);
    }
}
