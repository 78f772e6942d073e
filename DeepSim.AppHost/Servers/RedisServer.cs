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
public sealed class RedisServer : IAsyncDisposable
{
    private const string ServerName = "Redis";
    private const string DebianPackage = "redis-server";
    private const int MaxPortAttempts = 3;
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RedisServerOptions _options;
    private readonly string _password;
    private ChildProcess? _process;

    private RedisServer(string dataDirectory, RedisServerOptions options, string password)
    {
        DataDirectory = dataDirectory;
        _options = options;
        _password = password;
    }

    public string DataDirectory { get; }
    public int Port { get; private set; }
    public LogBuffer Logs { get; } = new();
    public int? ProcessId => _process is { HasExited: false } p ? p.Pid : null;
    public ChildProcess? Process => _process;

    /// <summary>StackExchange.Redis configuration string, as Aspire injects it: <c>127.0.0.1:PORT,password=…</c>.</summary>
    public string ConnectionString => FormattableString.Invariant($"127.0.0.1:{Port},password={_password}");

    /// <summary>Starts a server keeping its files under <paramref name="dataDirectory"/> on any free port.</summary>
    public static Task<RedisServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
        => StartAsync(dataDirectory, new RedisServerOptions(), cancellationToken);

    public static async Task<RedisServer> StartAsync(string dataDirectory, RedisServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(options);
        MissingServerBinaryException.ThrowIfMissing(ServerName, options.ServerBinary, DebianPackage);
        dataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var password = new SecretStore(Path.Combine(dataDirectory, "credentials.json")).GetOrCreate("redis-password");
        var server = new RedisServer(dataDirectory, options, password);
        try
        {
            await server.StopOrphanAsync();
            var tried = new HashSet<int>();
            for (var attempt = 0; attempt < MaxPortAttempts; attempt++)
            {
                // Another process can take the port between our check and the server's bind: then try a fresh one.
                var port = PortAllocator.Pick(attempt == 0 ? options.PreferredPort : 0, tried);
                tried.Add(port);
                if (await server.TryStartAsync(port, cancellationToken))
                {
                    return server;
                }
            }
            throw new InvalidOperationException(
                $"Redis did not start (ports tried: {string.Join(", ", tried)}):{Environment.NewLine}{string.Join(Environment.NewLine, server.Logs.Tail(20))}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>True when the server answers <c>PING</c> with the configured password.</summary>
    public Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => ProbeAsync(ConnectionString, cancellationToken);

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

    /// <summary>SIGTERM (nothing to save: persistence is off), then force after a grace period.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync(Posix.SigTerm, GracefulStopTimeout);
            await process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Starts the stopped server again on the same port.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            return;
        }
        if (!await TryStartAsync(Port, cancellationToken))
        {
            throw new InvalidOperationException($"Redis did not start again on port {Port}:{Environment.NewLine}{string.Join(Environment.NewLine, Logs.Tail(20))}");
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private string PidFile => Path.Combine(DataDirectory, "redis.pid");

    // A launcher killed with SIGKILL leaves its redis-server running; stop it before starting ours.
    private Task StopOrphanAsync() =>
        OrphanedServer.StopAsync(PidFile, commandLine => commandLine.Contains("redis-server", StringComparison.Ordinal), Posix.SigKill, GracefulStopTimeout, Logs);

    private async Task<bool> TryStartAsync(int port, CancellationToken cancellationToken)
    {
        Port = port;
        var configFile = Path.Combine(DataDirectory, "redis.conf");
        // The password goes in a 600 file rather than on the command line, where ps would show it.
        StateFile.WriteAtomically(configFile, string.Join('\n',
            FormattableString.Invariant($"port {port}"),
            "bind 127.0.0.1",
            "save \"\"",
            "appendonly no",
            "daemonize no",
            $"dir {DataDirectory}",
            $"pidfile {PidFile}",
            $"requirepass {_password}",
            ""), ownerOnly: true);
        _process = ChildProcess.Start(_options.ServerBinary, [configFile], Logs);
        var deadline = DateTime.UtcNow + _options.StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await _process.DisposeAsync();
                _process = null;
                return false;
            }
            if (await IsHealthyAsync(cancellationToken))
            {
                return true;
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        await StopAsync();
        throw new TimeoutException($"Redis did not answer PING within {_options.StartTimeout.TotalSeconds:0} s.");
    }
}
