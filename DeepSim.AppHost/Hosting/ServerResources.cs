using System.Net.Sockets;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>A server of our own under the state folder (its subfolder is the resource name); logs, process, probe and stop are the server's.</summary>
public abstract class LocalServerResource<TServer>(string name) : Resource(name)
    where TServer : LocalServer
{
    public TServer? Server { get; private set; }
    public override LogBuffer Logs => Server?.Logs ?? base.Logs;
    public override int? ProcessId => Server?.ProcessId;

    internal override async Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        Server = await StartServerAsync(context, Path.Combine(context.Options.StateDirectory, Name), cancellationToken);
        foreach (var port in ListeningPorts(Server))
        {
            context.AssignedPorts.Add(port);
        }
        await OnStartedAsync(Server, cancellationToken);
        StartedAt = DateTimeOffset.UtcNow;
    }

    internal override Task<bool> ProbeAsync(CancellationToken cancellationToken)
        => Server is { } s ? s.IsHealthyAsync(cancellationToken) : Task.FromResult(false);

    internal override async Task StopAsync()
    {
        if (Server is { } s)
        {
            await s.StopAsync();
        }
    }

    private protected abstract Task<TServer> StartServerAsync(LaunchContext context, string dataDirectory, CancellationToken cancellationToken);

    /// <summary>The ports the started server took, so no later resource of this run is given them.</summary>
    private protected abstract IEnumerable<int> ListeningPorts(TServer server);

    private protected virtual Task OnStartedAsync(TServer server, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>PostgreSQL: our own cluster under the state folder.</summary>
public sealed class PostgresServerResource(string name) : LocalServerResource<PostgresServer>(name)
{
    public override string Type => "postgres";
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [FormattableString.Invariant($"tcp://127.0.0.1:{s.Port}")] : [];
    public List<PostgresDatabaseResource> Databases { get; } = [];

    private protected override Task<PostgresServer> StartServerAsync(LaunchContext context, string dataDirectory, CancellationToken cancellationToken)
        => PostgresServer.StartAsync(dataDirectory, new PostgresServerOptions
        {
            PreferredPort = context.AssignPort(context.Options.PostgresPort),
            BinDirectory = context.Options.PostgresBinDirectory,
            DatabaseName = Databases.FirstOrDefault()?.Name ?? ServiceDefaults.ResourceNames.Database,
        }, cancellationToken);

    private protected override IEnumerable<int> ListeningPorts(PostgresServer server) => [server.Port];

    private protected override async Task OnStartedAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        foreach (var extra in Databases.Skip(1))
        {
            await server.CreateDatabaseAsync(extra.Name, cancellationToken);
        }
    }
}

/// <summary>A database on a <see cref="PostgresServerResource"/>; referencing it injects its connection string.</summary>
public sealed class PostgresDatabaseResource(string name, PostgresServerResource parent) : Resource(name), IResourceWithConnectionString
{
    public PostgresServerResource Parent { get; } = parent;
    public override string Type => "postgres";
    public override int? ProcessId => null;
    public override IReadOnlyList<string> Endpoints => [];
    protected override IEnumerable<Resource> ImplicitDependencies => [Parent];

    public string? GetConnectionString(ReferenceRole role) => Parent.Server switch
    {
        null => null,
        var s when Name == s.DatabaseName => role == ReferenceRole.Owner ? s.OwnerConnectionString : s.AppConnectionString,
        var s => role == ReferenceRole.Owner
            ? new Npgsql.NpgsqlConnectionStringBuilder(s.OwnerConnectionString) { Database = Name }.ConnectionString
            : new Npgsql.NpgsqlConnectionStringBuilder(s.AppConnectionString) { Database = Name }.ConnectionString,
    };

    // The server creates its databases; this resource only needs its server up.
    internal override Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        StartedAt = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }

    internal override Task<bool> ProbeAsync(CancellationToken cancellationToken)
        => GetConnectionString(ReferenceRole.Application) is { } cs ? PostgresServer.ProbeAsync(cs, cancellationToken) : Task.FromResult(false);

    internal override Task StopAsync() => Task.CompletedTask;
}

/// <summary>Redis, passworded, on 127.0.0.1.</summary>
public sealed class RedisResource(string name) : LocalServerResource<RedisServer>(name), IResourceWithConnectionString
{
    public override string Type => "redis";
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [FormattableString.Invariant($"tcp://127.0.0.1:{s.Port}")] : [];

    public string? GetConnectionString(ReferenceRole role) => Server?.ConnectionString;

    private protected override Task<RedisServer> StartServerAsync(LaunchContext context, string dataDirectory, CancellationToken cancellationToken)
        => RedisServer.StartAsync(dataDirectory, new RedisServerOptions
        {
            PreferredPort = context.AssignPort(context.Options.RedisPort),
            ServerBinary = context.Options.RedisServerBinary,
        }, cancellationToken);

    private protected override IEnumerable<int> ListeningPorts(RedisServer server) => [server.Port];
}

/// <summary>ClickHouse over HTTP; the connection string is ClickHouse.Client-style key=value (Host, Port, Protocol, Database, Username, Password).</summary>
public sealed class ClickHouseResource(string name) : LocalServerResource<ClickHouseServer>(name), IResourceWithConnectionString
{
    public override string Type => "clickhouse";
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [s.HttpUrl, FormattableString.Invariant($"tcp://127.0.0.1:{s.TcpPort}")] : [];

    public string? GetConnectionString(ReferenceRole role) => Server?.ConnectionString;

    private protected override Task<ClickHouseServer> StartServerAsync(LaunchContext context, string dataDirectory, CancellationToken cancellationToken)
        => ClickHouseServer.StartAsync(dataDirectory, new ClickHouseServerOptions
        {
            PreferredHttpPort = context.AssignPort(context.Options.ClickHouseHttpPort),
            PreferredTcpPort = context.AssignPort(context.Options.ClickHouseTcpPort),
            ServerBinary = context.Options.ClickHouseServerBinary,
        }, cancellationToken);

    private protected override IEnumerable<int> ListeningPorts(ClickHouseServer server) => [server.HttpPort, server.TcpPort];
}

/// <summary>
/// Kafka: there is no broker binary here, so this is an external broker named by configuration
/// (<c>ConnectionStrings:kafka</c> or <c>Kafka:BootstrapServers</c>), or NotConfigured.
/// </summary>
public sealed class KafkaResource(string name, string? bootstrapServers) : Resource(name), IResourceWithConnectionString
{
    public string? BootstrapServers { get; } = string.IsNullOrWhiteSpace(bootstrapServers) ? null : bootstrapServers.Trim();
    public override string Type => "kafka";
    public override bool IsConfigured => BootstrapServers is not null;
    public override int? ProcessId => null;
    public override IReadOnlyList<string> Endpoints => BootstrapServers is { } b ? [.. b.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => "tcp://" + s)] : [];

    public string? GetConnectionString(ReferenceRole role) => BootstrapServers;

    internal override Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        StartedAt = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }

    /// <summary>The broker is external: healthy when its first bootstrap address accepts a TCP connection.</summary>
    internal override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        var first = BootstrapServers?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        var separator = first?.LastIndexOf(':') ?? -1;
        if (first is null || separator <= 0 || !int.TryParse(first[(separator + 1)..], out var port))
        {
            return false;
        }
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(first[..separator], port, cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    internal override Task StopAsync() => Task.CompletedTask;
}
