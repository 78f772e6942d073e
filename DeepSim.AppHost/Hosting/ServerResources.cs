using System.Net.Sockets;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>PostgreSQL: our own cluster under the state folder.</summary>
public sealed class PostgresServerResource(string name) : Resource(name)
{
    public PostgresServer? Server { get; private set; }
    public override string Type => "postgres";
    public override LogBuffer Logs => Server?.Logs ?? base.Logs;
    public override int? ProcessId => Server?.ProcessId;
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [FormattableString.Invariant($"tcp://127.0.0.1:{s.Port}")] : [];
    public List<PostgresDatabaseResource> Databases { get; } = [];

    internal override async Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        var options = new PostgresServerOptions
        {
            PreferredPort = context.AssignPort(context.Options.PostgresPort),
            BinDirectory = context.Options.PostgresBinDirectory,
            DatabaseName = Databases.FirstOrDefault()?.Name ?? ServiceDefaults.ResourceNames.Database,
        };
        Server = await PostgresServer.StartAsync(Path.Combine(context.Options.StateDirectory, Name), options, cancellationToken);
        context.AssignedPorts.Add(Server.Port);
        foreach (var extra in Databases.Skip(1))
        {
            await Server.CreateDatabaseAsync(extra.Name, cancellationToken);
        }
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
public sealed class RedisResource(string name) : Resource(name), IResourceWithConnectionString
{
    public RedisServer? Server { get; private set; }
    public override string Type => "redis";
    public override LogBuffer Logs => Server?.Logs ?? base.Logs;
    public override int? ProcessId => Server?.ProcessId;
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [FormattableString.Invariant($"tcp://127.0.0.1:{s.Port}")] : [];

    public string? GetConnectionString(ReferenceRole role) => Server?.ConnectionString;

    internal override async Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        var options = new RedisServerOptions
        {
            PreferredPort = context.AssignPort(context.Options.RedisPort),
            ServerBinary = context.Options.RedisServerBinary,
        };
        Server = await RedisServer.StartAsync(Path.Combine(context.Options.StateDirectory, Name), options, cancellationToken);
        context.AssignedPorts.Add(Server.Port);
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
}

/// <summary>ClickHouse over HTTP; the connection string is ClickHouse.Client-style key=value (Host, Port, Protocol, Database, Username, Password).</summary>
public sealed class ClickHouseResource(string name) : Resource(name), IResourceWithConnectionString
{
    public ClickHouseServer? Server { get; private set; }
    public override string Type => "clickhouse";
    public override LogBuffer Logs => Server?.Logs ?? base.Logs;
    public override int? ProcessId => Server?.ProcessId;
    public override IReadOnlyList<string> Endpoints => Server is { } s ? [s.HttpUrl, FormattableString.Invariant($"tcp://127.0.0.1:{s.TcpPort}")] : [];

    public string? GetConnectionString(ReferenceRole role) => Server?.ConnectionString;

    internal override async Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        var options = new ClickHouseServerOptions
        {
            PreferredHttpPort = context.AssignPort(context.Options.ClickHouseHttpPort),
            PreferredTcpPort = context.AssignPort(context.Options.ClickHouseTcpPort),
            ServerBinary = context.Options.ClickHouseServerBinary,
        };
        Server = await ClickHouseServer.StartAsync(Path.Combine(context.Options.StateDirectory, Name), options, cancellationToken);
        context.AssignedPorts.Add(Server.HttpPort);
        context.AssignedPorts.Add(Server.TcpPort);
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
