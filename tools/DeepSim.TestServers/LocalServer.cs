namespace DeepSim.TestServers;

/// <summary>
/// The lifecycle every test server shares: start on free ports (retrying when a port is taken between our
/// check and the server's bind), wait until a readiness probe answers, stop gracefully then by force, start again on
/// the same ports. Each server says only what differs: its process, its probe, its preparation and its setup.
/// </summary>
public abstract class LocalServer : IAsyncDisposable
{
    private const int MaxPortAttempts = 3;
    private const int LogTailLines = 20;

    private readonly string _serverName;
    private readonly int _stopSignal;
    private readonly TimeSpan _gracefulStopTimeout;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _startTimeout;
    private readonly string _readinessDescription;
    private int[] _ports;
    private ChildProcess? _process;

    /// <param name="serverName">Names the server in error messages (PostgreSQL, Redis, ClickHouse).</param>
    /// <param name="portCount">How many ports the server listens on; the first one is named in error messages.</param>
    /// <param name="stopSignal">The graceful stop signal; SIGKILL follows after <paramref name="gracefulStopTimeout"/>.</param>
    /// <param name="readinessDescription">What the server did not do in time, e.g. "answer PING".</param>
    private protected LocalServer(
        string serverName,
        string dataDirectory,
        int portCount,
        int stopSignal,
        TimeSpan gracefulStopTimeout,
        TimeSpan pollInterval,
        TimeSpan startTimeout,
        string readinessDescription)
    {
        _serverName = serverName;
        DataDirectory = dataDirectory;
        _ports = new int[portCount];
        _stopSignal = stopSignal;
        _gracefulStopTimeout = gracefulStopTimeout;
        _pollInterval = pollInterval;
        _startTimeout = startTimeout;
        _readinessDescription = readinessDescription;
    }

    public string DataDirectory { get; }
    public LogBuffer Logs { get; } = new();
    public int? ProcessId => _process is { HasExited: false } p ? p.Pid : null;
    public ChildProcess? Process => _process;

    /// <summary>A real probe through the clients' own door (credentials included).</summary>
    public abstract Task<bool> IsHealthyAsync(CancellationToken cancellationToken);

    /// <summary>The graceful stop signal, then force after a grace period.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync(_stopSignal, _gracefulStopTimeout);
            await process.DisposeAsync();
            _process = null;
        }
    }

    /// <summary>Starts the stopped server again on the same ports.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            return;
        }
        if (!await TryStartAsync(_ports, cancellationToken))
        {
            throw new InvalidOperationException($"{_serverName} did not start again on port {_ports[0]}:{Environment.NewLine}{LogTail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Checks that the server's binaries are installed, then creates its data folder; returns the folder's full path.</summary>
    private protected static string CreateDataDirectory(string dataDirectory, string serverName, string debianPackage, params ReadOnlySpan<string> binaries)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        foreach (var binary in binaries)
        {
            MissingServerBinaryException.ThrowIfMissing(serverName, binary, debianPackage);
        }
        var fullPath = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(fullPath);
        return fullPath;
    }

    /// <summary>The port at <paramref name="index"/>; 0 before the first start.</summary>
    private protected int PortAt(int index) => _ports[index];

    /// <summary>Work before the first start, e.g. creating a cluster.</summary>
    private protected virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts the server process listening on the current ports.</summary>
    private protected abstract ChildProcess StartProcess();

    /// <summary>True once the freshly started server accepts work; by default the health probe.</summary>
    private protected virtual Task<bool> IsReadyAsync(CancellationToken cancellationToken) => IsHealthyAsync(cancellationToken);

    /// <summary>Called when the process exits before it became ready, e.g. to add the reasons it logged elsewhere.</summary>
    private protected virtual void OnExitedBeforeReady()
    {
    }

    /// <summary>Setup once the server first answers, e.g. creating its database.</summary>
    private protected virtual Task OnStartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Prepares, starts on free ports and sets up; disposes on failure.</summary>
    private protected async Task LaunchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PrepareAsync(cancellationToken);
            await StartOnFreePortsAsync(cancellationToken);
            await OnStartedAsync(cancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartOnFreePortsAsync(CancellationToken cancellationToken)
    {
        var tried = new HashSet<int>();
        for (var attempt = 0; attempt < MaxPortAttempts; attempt++)
        {
            // Another process can take a port between our check and the server's bind: then try fresh ones.
            var ports = new int[_ports.Length];
            for (var i = 0; i < ports.Length; i++)
            {
                ports[i] = PortAllocator.Pick(tried);
                tried.Add(ports[i]);
            }
            if (await TryStartAsync(ports, cancellationToken))
            {
                return;
            }
        }
        throw new InvalidOperationException(
            $"{_serverName} did not start (ports tried: {string.Join(", ", tried)}):{Environment.NewLine}{LogTail()}");
    }

    private async Task<bool> TryStartAsync(int[] ports, CancellationToken cancellationToken)
    {
        _ports = ports;
        _process = StartProcess();
        var deadline = DateTime.UtcNow + _startTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                OnExitedBeforeReady();
                await _process.DisposeAsync();
                _process = null;
                return false;
            }
            if (await IsReadyAsync(cancellationToken))
            {
                return true;
            }
            await Task.Delay(_pollInterval, cancellationToken);
        }
        await StopAsync();
        throw new TimeoutException($"{_serverName} did not {_readinessDescription} within {_startTimeout.TotalSeconds:0} s.");
    }

    private string LogTail() => string.Join(Environment.NewLine, Logs.Tail(LogTailLines));
}
