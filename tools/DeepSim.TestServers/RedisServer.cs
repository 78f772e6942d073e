using System.Globalization;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace DeepSim.TestServers;

/// <summary>
/// A Redis server of our own on 127.0.0.1 with a password generated per server, no persistence (it holds caches and
/// rate-limit counters only).
/// </summary>
public sealed class RedisServer : LocalServer
{
    private const string ServerName = "Redis";
    private const string DebianPackage = "redis-server";
    private const string ServerBinary = "/usr/bin/redis-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _password;

    // SIGTERM: nothing to save, persistence is off.
    private RedisServer(string dataDirectory, string password)
        : base(ServerName, dataDirectory, portCount: 1, stopSignal: Posix.SigTerm, gracefulStopTimeout: TimeSpan.FromSeconds(5),
            PollInterval, StartTimeout, readinessDescription: "answer PING")
    {
        _password = password;
    }

    public int Port => PortAt(0);

    /// <summary>StackExchange.Redis configuration string, as Aspire injects it: <c>127.0.0.1:PORT,password=…</c>.</summary>
    public string ConnectionString => FormattableString.Invariant($"127.0.0.1:{Port},password={_password}");

    /// <summary>Starts a server keeping its files under <paramref name="dataDirectory"/> on any free port.</summary>
    public static async Task<RedisServer> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        dataDirectory = CreateDataDirectory(dataDirectory, ServerName, DebianPackage, ServerBinary);
        // Hex: the value goes into a connection string and redis.conf unquoted.
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var server = new RedisServer(dataDirectory, password);
        await server.LaunchAsync(cancellationToken);
        return server;
    }

    /// <summary>
    /// Freezes the server (SIGSTOP): its connections stay open and nothing answers, like a hung host. Every caller
    /// must <see cref="Thaw"/> in a finally, or the server cannot even be stopped gracefully.
    /// </summary>
    public void Freeze() => SignalServer(Posix.SigStop);

    /// <summary>Lets a frozen server run again (SIGCONT).</summary>
    public void Thaw() => SignalServer(Posix.SigCont);

    private void SignalServer(int signal)
    {
        if (ProcessId is not { } pid || !Posix.Signal(pid, signal))
        {
            throw new InvalidOperationException($"Redis (pid {ProcessId}) is not running; cannot send signal {signal}.");
        }
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

    private protected override ChildProcess StartProcess()
    {
        var configFile = Path.Combine(DataDirectory, "redis.conf");
        // The password goes in a 600 file rather than on the command line, where ps would show it.
        WriteOwnerOnly(configFile, string.Join('\n',
            FormattableString.Invariant($"port {Port}"),
            "bind 127.0.0.1",
            "save \"\"",
            "appendonly no",
            "daemonize no",
            $"dir {DataDirectory}",
            $"requirepass {_password}",
            ""));
        return ChildProcess.Start(ServerBinary, [configFile], Logs);
    }

    private static void WriteOwnerOnly(string path, string contents)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created 600 from the start, so the password is never world-readable even for a moment.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var writer = new StreamWriter(path, options);
        writer.Write(contents);
    }
}
