using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DeepSim.AppHost.Dashboard;
using DeepSim.AppHost.Servers;
using Microsoft.Extensions.Configuration;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// Runs the resource graph: starts each resource once what it waits for is healthy, keeps probing so states follow
/// reality, serves the dashboard, writes state.json, and on Ctrl-C/SIGTERM stops everything in reverse dependency order.
/// </summary>
public sealed class DistributedApplication
{
    private static readonly TimeSpan WaitPollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StartingProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly LaunchContext _context;
    private readonly IReadOnlyList<Resource> _resources;
    private readonly Stopwatch _sinceStart;
    private readonly Lock _stateGate = new();
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly Dictionary<Resource, ResourceState> _printed = [];
    private DashboardServer? _dashboard;
    private bool _announcedAllHealthy;
    private volatile bool _stopping;

    internal DistributedApplication(LaunchContext context, IReadOnlyList<Resource> resources, TextWriter? output = null, TextWriter? error = null)
    {
        _context = context;
        _resources = resources;
        _out = output ?? Console.Out;
        _error = error ?? Console.Error;
        // Measured from our own process start, so the figure includes runtime start-up.
        var processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        _sinceStart = Stopwatch.StartNew();
        StartOffset = DateTime.UtcNow - processStart;
    }

    private TimeSpan StartOffset { get; }

    /// <summary>Time since the launcher process started.</summary>
    private TimeSpan Elapsed => _sinceStart.Elapsed + StartOffset;

    public IReadOnlyList<Resource> Resources => _resources;

    public string StateFilePath => Path.Combine(_context.Options.StateDirectory, "state.json");

    public static DistributedApplicationBuilder CreateBuilder(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args, AppHostOptions.SwitchMappings.ToDictionary())
            .Build();
        return new DistributedApplicationBuilder(configuration, AppHostOptions.FromConfiguration(configuration), LaunchContext.CurrentEnvironment());
    }

    /// <summary>Runs until Ctrl-C/SIGTERM (or <paramref name="cancellationToken"/>); sets a non-zero exit code on a start-up error.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        // A closed terminal must not orphan the children: they live in their own sessions and never see its hangup.
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        void OnSignal(PosixSignalContext signal)
        {
            // We stop children ourselves, in order; the runtime must not exit before that.
            signal.Cancel = true;
            stop.Cancel();
        }

        var problems = Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await _error.WriteLineAsync($"deepsim: {problem}");
            }
            Environment.ExitCode = 2;
            return;
        }

        Directory.CreateDirectory(_context.Options.StateDirectory);
        if (PreviousRun.FindRunningLauncher(StateFilePath) is { } otherLauncher)
        {
            await _error.WriteLineAsync($"deepsim: another launcher (PID {otherLauncher}) is running on {_context.Options.StateDirectory}; stop it first (Ctrl-C in its terminal, or kill {otherLauncher}).");
            Environment.ExitCode = 3;
            return;
        }
        foreach (var leftover in PreviousRun.KillLeftovers(StateFilePath))
        {
            await _out.WriteLineAsync($"deepsim: stopped {leftover} left running by a launcher that did not shut down");
        }
        foreach (var resource in _resources)
        {
            resource.StateChanged += OnStateChanged;
        }
        // Servers start while the dashboard comes up: start-up time is what a developer waits for.
        var running = _resources.Select(r => Task.Run(() => SuperviseAsync(r, stop.Token), CancellationToken.None)).ToList();
        _dashboard = await DashboardServer.StartAsync(this, _context.Options.DashboardPort, CancellationToken.None);
        if (_context.Options.DashboardPort > 0 && _dashboard.Port != _context.Options.DashboardPort)
        {
            await _out.WriteLineAsync($"deepsim: dashboard port {_context.Options.DashboardPort} is busy; using {_dashboard.Port}.");
        }
        await _out.WriteLineAsync($"deepsim: dashboard {_dashboard.Url} (state folder {_context.Options.StateDirectory})");
        WriteStateFile();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C, SIGTERM or the caller's token: shut down below.
        }

        await _out.WriteLineAsync("deepsim: stopping…");
        var stopWatch = Stopwatch.StartNew();
        await StopAllAsync();
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        // A resource that was still starting when the stop came may have spawned its process after the ordered stop.
        KillAll();
        WriteStateFile();
        await _dashboard.DisposeAsync();
        await _out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"deepsim: stopped in {stopWatch.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>Everything that would make a start fail for certain: missing server binaries, unbuilt projects.</summary>
    private List<string> Validate()
    {
        var problems = new List<string>();
        var options = _context.Options;
        void Check(string server, string path, string package)
        {
            if (!File.Exists(path))
            {
                problems.Add(new MissingServerBinaryException(server, path, package).Message);
            }
        }
        foreach (var resource in _resources.Where(r => r.IsConfigured))
        {
            switch (resource)
            {
                case PostgresServerResource:
                    Check("PostgreSQL", Path.Combine(options.PostgresBinDirectory, "initdb"), "postgresql");
                    Check("PostgreSQL", Path.Combine(options.PostgresBinDirectory, "postgres"), "postgresql");
                    break;
                case RedisResource:
                    Check("Redis", options.RedisServerBinary, "redis-server");
                    break;
                case ClickHouseResource:
                    Check("ClickHouse", options.ClickHouseServerBinary, "clickhouse-server");
                    break;
                case ProjectResource project when !File.Exists(project.ResolveAssemblyPath(options)):
                    problems.Add($"{project.ProjectName} is not built: {project.ResolveAssemblyPath(options)} not found. Build the solution first (./deepsim up builds it).");
                    break;
            }
        }
        return problems;
    }

    private async Task SuperviseAsync(Resource resource, CancellationToken stopping)
    {
        if (!resource.IsConfigured)
        {
            resource.SetState(ResourceState.NotConfigured, "no bootstrap server configured (ConnectionStrings:kafka or Kafka:BootstrapServers)");
            return;
        }
        try
        {
            if (!await WaitForDependenciesAsync(resource, stopping))
            {
                return;
            }
            resource.SetState(ResourceState.Starting);
            if (resource is ProjectResource project)
            {
                project.Exited += (p, code) => p.SetState(ResourceState.Exited, code == 0 ? null : $"exit code {code}");
            }
            await resource.StartAsync(_context, stopping);
            if (resource.RunsToCompletion)
            {
                var process = ((ProjectResource)resource).Process!;
                resource.SetState(ResourceState.Running);
                await process.Exited.WaitAsync(stopping);
                return;
            }
            await MonitorAsync(resource, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
#pragma warning disable CA1031 // Any start failure is shown on the dashboard; the other resources keep running.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            resource.Logs.Add(ex.ToString());
            resource.SetState(ResourceState.FailedToStart, ex.Message);
        }
    }

    private static async Task<bool> WaitForDependenciesAsync(Resource resource, CancellationToken stopping)
    {
        var healthy = resource.WaitsFor.Concat(resource is PostgresDatabaseResource db ? [db.Parent] : []).ToList();
        while (!stopping.IsCancellationRequested)
        {
            var pending = healthy.Where(d => d.State != ResourceState.Healthy).Select(d => $"{d.Name} ({d.State})")
                .Concat(resource.WaitsForCompletion.Where(d => !(d.State == ResourceState.Exited && d.ExitCode == 0))
                    .Select(d => d.State == ResourceState.Exited ? $"{d.Name} (exited with {d.ExitCode})" : $"{d.Name} ({d.State})"))
                .ToList();
            if (pending.Count == 0)
            {
                return true;
            }
            resource.SetState(ResourceState.Waiting, "waiting for " + string.Join(", ", pending));
            await Task.Delay(WaitPollInterval, stopping);
        }
        return false;
    }

    private async Task MonitorAsync(Resource resource, CancellationToken stopping)
    {
        var everHealthy = false;
        var started = DateTimeOffset.UtcNow;
        while (!stopping.IsCancellationRequested)
        {
            if (resource.State == ResourceState.Exited)
            {
                return;
            }
            if (resource is not ProjectResource && resource.StartedAt is not null && resource.ProcessId is null && !_stopping && resource is not PostgresDatabaseResource and not KafkaResource)
            {
                resource.SetState(ResourceState.Exited, "the server process ended");
                return;
            }
            var healthy = await resource.ProbeAsync(stopping);
            if (_stopping || resource.State == ResourceState.Exited)
            {
                return;
            }
            if (healthy)
            {
                everHealthy = true;
                resource.SetState(ResourceState.Healthy);
            }
            else if (everHealthy || DateTimeOffset.UtcNow - started > _context.Options.StartupGrace)
            {
                resource.SetState(ResourceState.Unhealthy, resource is ProjectResource { LastProbeFailure: { } why } ? why : ProbeDescription(resource) + " failed");
            }
            else
            {
                resource.SetState(ResourceState.Starting);
            }
            // Poll quickly until first healthy, so dependents start without waiting out a full interval.
            await Task.Delay(everHealthy ? _context.Options.ProbeInterval : StartingProbeInterval, stopping);
        }
    }

    private static string ProbeDescription(Resource resource) => resource switch
    {
        PostgresServerResource or PostgresDatabaseResource => "select 1",
        RedisResource => "PING",
        ClickHouseResource => "SELECT 1 over HTTP",
        KafkaResource => "TCP connect to the bootstrap server",
        _ => "probe",
    };

    /// <summary>Dependents first: a resource stops only after everything that depends on it has stopped.</summary>
    private async Task StopAllAsync()
    {
        _stopping = true;
        using var budget = new CancellationTokenSource(_context.Options.ShutdownBudget);
        foreach (var level in StopOrder(_resources))
        {
            var stops = level.Select(async r =>
            {
                var wasRunning = r.ProcessId is not null || r.State is ResourceState.Healthy or ResourceState.Unhealthy or ResourceState.Running or ResourceState.Starting;
                await r.StopAsync();
                if (wasRunning && r.State != ResourceState.Exited)
                {
                    r.SetState(ResourceState.Stopped);
                }
            });
            try
            {
                await Task.WhenAll(stops).WaitAsync(budget.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        KillAll();
    }

    /// <summary>Whatever is left is killed outright: no process may outlive the launcher.</summary>
    private void KillAll()
    {
        foreach (var resource in _resources)
        {
            switch (resource)
            {
                case ProjectResource { Process: { } p }: p.KillGroup(); break;
                case PostgresServerResource { Server.Process: { } p }: p.KillGroup(); break;
                case RedisResource { Server.Process: { } p }: p.KillGroup(); break;
                case ClickHouseResource { Server.Process: { } p }: p.KillGroup(); break;
            }
        }
    }

    /// <summary>Resources grouped by depth, deepest (most dependent) first.</summary>
    public static IReadOnlyList<IReadOnlyList<Resource>> StopOrder(IReadOnlyList<Resource> resources)
    {
        var depth = new Dictionary<Resource, int>();
        int Depth(Resource r, int guard)
        {
            if (guard > resources.Count)
            {
                throw new InvalidOperationException($"The resource graph has a cycle through '{r.Name}'.");
            }
            if (depth.TryGetValue(r, out var known))
            {
                return known;
            }
            var d = r.Dependencies.Select(x => Depth(x, guard + 1) + 1).DefaultIfEmpty(0).Max();
            depth[r] = d;
            return d;
        }
        foreach (var r in resources)
        {
            Depth(r, 0);
        }
        return [.. resources.GroupBy(r => depth[r]).OrderByDescending(g => g.Key).Select(g => (IReadOnlyList<Resource>)[.. g])];
    }

    private void OnStateChanged(Resource resource)
    {
        if (_stopping)
        {
            return;
        }
        bool stateChanged;
        lock (_printed)
        {
            // A detail that changes every probe (a /health body) updates state.json, not the console.
            stateChanged = !_printed.TryGetValue(resource, out var printed) || printed != resource.State;
            _printed[resource] = resource.State;
        }
        switch (stateChanged ? resource.State : ResourceState.Waiting)
        {
            case ResourceState.Healthy or ResourceState.Unhealthy or ResourceState.FailedToStart:
                _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deepsim: {resource.Name,-15} {resource.State}{Suffix(resource)} [{Elapsed.TotalSeconds:0.0} s]"));
                break;
            case ResourceState.Exited:
                _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deepsim: {resource.Name,-15} Exited with code {resource.ExitCode}{Suffix(resource)} [{Elapsed.TotalSeconds:0.0} s]"));
                if (resource.ExitCode != 0)
                {
                    foreach (var line in resource.Logs.Tail(15))
                    {
                        _out.WriteLine($"    {resource.Name}| {line}");
                    }
                }
                break;
        }
        lock (_stateGate)
        {
            WriteStateFile();
            if (!_announcedAllHealthy && AllHealthy())
            {
                _announcedAllHealthy = true;
                AnnounceAllHealthy();
            }
        }

        static string Suffix(Resource r) => r.StateDetail is { } detail ? $" ({detail})" : r.Endpoints.Count > 0 ? $" {r.Endpoints[0]}" : string.Empty;
    }

    /// <summary>Every configured resource Healthy, run-once resources exited with 0.</summary>
    public bool AllHealthy() => _resources.All(r =>
        !r.IsConfigured
        || (r.RunsToCompletion ? r.State == ResourceState.Exited && r.ExitCode == 0 : r.State == ResourceState.Healthy));

    private void AnnounceAllHealthy()
    {
        var seconds = Elapsed.TotalSeconds;
        _out.WriteLine();
        _out.WriteLine($"  dashboard       {_dashboard?.Url}");
        foreach (var resource in _resources.Where(r => r.Endpoints.Count > 0))
        {
            _out.WriteLine($"  {resource.Name,-15} {string.Join("  ", resource.Endpoints)}");
        }
        _out.WriteLine();
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"All resources healthy in {seconds:0.0} s"));
    }

    internal void WriteStateFile()
    {
        try
        {
            lock (_stateGate)
            {
                StateDocument.Write(StateFilePath, this, _dashboard?.Url);
            }
        }
        catch (IOException ex)
        {
            _error.WriteLine($"deepsim: could not write {StateFilePath}: {ex.Message}");
        }
    }
}
