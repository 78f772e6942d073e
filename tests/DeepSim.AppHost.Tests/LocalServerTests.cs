using System.Net;
using System.Net.Sockets;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Tests;

public enum ServerKind
{
    Postgres,
    Redis,
    ClickHouse,
}

/// <summary>The lifecycle every server of our own shares (<see cref="LocalServer"/>), checked on each of them.</summary>
public class LocalServerTests
{
    public static TheoryData<ServerKind> AllKinds => [ServerKind.Postgres, ServerKind.Redis, ServerKind.ClickHouse];

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task A_stopped_server_is_unhealthy_until_started_again_on_the_same_port(ServerKind kind)
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget(kind));
        await using var server = await StartAsync(kind, folder.Path, preferredPort: 0, timeout.Token);
        var port = MainPort(server);
        var pid = server.ProcessId!.Value;

        await server.StopAsync();
        Assert.False(Posix.IsAlive(pid));
        Assert.False(await server.IsHealthyAsync(timeout.Token));

        await server.StartAgainAsync(timeout.Token);
        Assert.Equal(port, MainPort(server));
        Assert.True(await server.IsHealthyAsync(timeout.Token));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task A_busy_preferred_port_is_replaced_by_a_free_one(ServerKind kind)
    {
        using var folder = new TempDirectory();
        using var timeout = new CancellationTokenSource(StartBudget(kind));
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busyPort = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var server = await StartAsync(kind, folder.Path, busyPort, timeout.Token);

        Assert.NotEqual(busyPort, MainPort(server));
        Assert.True(await server.IsHealthyAsync(timeout.Token));
    }

    [Theory]
    [InlineData(ServerKind.Postgres, "postgresql", "initdb")]
    [InlineData(ServerKind.Redis, "redis-server", "redis-server")]
    [InlineData(ServerKind.ClickHouse, "clickhouse-server", "clickhouse-server")]
    public async Task A_missing_binary_names_the_debian_package(ServerKind kind, string debianPackage, string firstBinaryChecked)
    {
        using var folder = new TempDirectory();
        var missingFolder = Path.Combine(folder.Path, "no-such-bin");
        Func<Task> start = kind switch
        {
            ServerKind.Postgres => () => PostgresServer.StartAsync(folder.Path, new PostgresServerOptions { BinDirectory = missingFolder }, CancellationToken.None),
            ServerKind.Redis => () => RedisServer.StartAsync(folder.Path, new RedisServerOptions { ServerBinary = Path.Combine(missingFolder, "redis-server") }, CancellationToken.None),
            ServerKind.ClickHouse => () => ClickHouseServer.StartAsync(folder.Path, new ClickHouseServerOptions { ServerBinary = Path.Combine(missingFolder, "clickhouse-server") }, CancellationToken.None),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var error = await Assert.ThrowsAsync<MissingServerBinaryException>(start);

        Assert.Contains($"'{debianPackage}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(missingFolder, firstBinaryChecked), error.Message, StringComparison.Ordinal);
    }

    // initdb makes PostgreSQL the slowest to start; ClickHouse loads its whole configuration first.
    private static TimeSpan StartBudget(ServerKind kind) => kind switch
    {
        ServerKind.Postgres => TimeSpan.FromSeconds(120),
        ServerKind.ClickHouse => TimeSpan.FromSeconds(90),
        _ => TimeSpan.FromSeconds(60),
    };

    /// <summary>Starts a server of <paramref name="kind"/>; the preferred port is its client port (ClickHouse: HTTP).</summary>
    private static async Task<LocalServer> StartAsync(ServerKind kind, string dataDirectory, int preferredPort, CancellationToken cancellationToken) => kind switch
    {
        ServerKind.Postgres => await PostgresServer.StartAsync(dataDirectory, new PostgresServerOptions { PreferredPort = preferredPort }, cancellationToken),
        ServerKind.Redis => await RedisServer.StartAsync(dataDirectory, new RedisServerOptions { PreferredPort = preferredPort }, cancellationToken),
        ServerKind.ClickHouse => await ClickHouseServer.StartAsync(dataDirectory, new ClickHouseServerOptions { PreferredHttpPort = preferredPort }, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static int MainPort(LocalServer server) => server switch
    {
        PostgresServer postgres => postgres.Port,
        RedisServer redis => redis.Port,
        ClickHouseServer clickHouse => clickHouse.HttpPort,
        _ => throw new ArgumentOutOfRangeException(nameof(server)),
    };
}
