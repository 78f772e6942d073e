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
}
