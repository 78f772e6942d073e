using System.Globalization;
using StackExchange.Redis;

namespace DeepSim.AppHost.Servers;

/// <summary>Where and how a <see cref="RedisServer"/> runs.</summary>
public sealed record RedisServerOptions
{
    public const string DefaultServerBinary = "/usr/bin/redis-server";

    /// <summary>The port to use when it is free; 0 picks any free port (what test fixtures want).</summary>
    public int PreferredPort { get; init; }

    /// <summary>The redis-server binary (Debian package 'redis-server').</summary>
    public string ServerBinary { get; init; } = DefaultServerBinary;

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A Redis server of our own on 127.0.0.1 with a password (generated once, kept in credentials.json, mode 600),
/// no persistence (it holds caches and rate-limit counters only).
/// </summary>
public sealed class RedisServer : LocalServer
{
    private const string ServerName = "Redis";
    private const string DebianPackage = "redis-server";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RedisServerOptions _options;
    private readonly string _password;

    // SIGTERM: nothing to save, persistence is off.
    private RedisServer(string dataDirectory, RedisServerOptions options, string password)
        : base(ServerName, dataDirectory, portCount: 1, stopSignal: Posix.SigTerm, gracefulStopTimeout: TimeSpan.FromSeconds(5),
            PollInterval, options.StartTimeout, readinessDescription: "answer PING")
    {
        _options = options;
        _password = password;
    }

    public int Port => PortAt(0);

    /// <summary>StackExchange.Redis configuration string, as Aspire injects it: <c>127.0.0.1:PORT,password=…</c>.</summary>
    public string ConnectionString => FormattableString.Invariant($"127.0.0.1:{Port},password={_password}");

    /// <summary>Starts a server keeping its files under <paramref name="dataDirectory"/> on any free port.</summary>
    public static Task<RedisServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
        => StartAsync(dataDirectory, new RedisServerOptions(), cancellationToken);

    public static async Task<RedisServer> StartAsync(string dataDirectory, RedisServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        dataDirectory = CreateDataDirectory(dataDirectory, ServerName, DebianPackage, options.ServerBinary);
        var password = new SecretStore(Path.Combine(dataDirectory, "credentials.json")).GetOrCreate("redis-password");
        var server = new RedisServer(dataDirectory, options, password);
        await server.LaunchAsync([options.PreferredPort], cancellationToken);
        return server;
    }

    /// <summary>True when the server answers <c>PING</c> with the configured password.</summary>
    public override Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => ProbeAsync(ConnectionString, cancellationToken);

    /// <summary>Real probe of any StackExchange.Redis configuration string: connect and <c>PING</c>, bounded.</summary>
    public static async Task<bool> ProbeAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 2000;
        options.AsyncTimeout = 2000;
        options.ConnectRetry = 0;
        try
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options, writer).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            await connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            return true;
        }
        catch (RedisException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private string PidFile => Path.Combine(DataDirectory, "redis.pid");

    // A launcher killed with SIGKILL leaves its redis-server running; stop it before starting ours.
    private protected override Task PrepareAsync(CancellationToken cancellationToken) =>
        OrphanedServer.StopAsync(PidFile, commandLine => commandLine.Contains("redis-server", StringComparison.Ordinal), Posix.SigKill, GracefulStopTimeout, Logs);

    private protected override ChildProcess StartProcess()
    {
        var configFile = Path.Combine(DataDirectory, "redis.conf");
        // The password goes in a 600 file rather than on the command line, where ps would show it.
        StateFile.WriteAtomically(configFile, string.Join('\n',
            FormattableString.Invariant($"port {Port}"),
            "bind 127.0.0.1",
            "save \"\"",
            "appendonly no",
            "daemonize no",
            $"dir {DataDirectory}",
            $"pidfile {PidFile}",
            $"requirepass {_password}",
            ""), ownerOnly: true);
        return ChildProcess.Start(_options.ServerBinary, [configFile], Logs);
    }
}
