using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DeepSim.ServiceDefaults;

namespace DeepSim.AppHost.Tests;

// Shared source: DeepSim.Web.Tests compiles this file too (its browser tests start the same platform), so it holds no
// assembly attributes or collection definitions; those live in each project (AssemblyInfo.cs here).

/// <summary>Where the repository is, and settings every AppHost the tests start shares.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>Any free port for every resource, and a state folder of the test's own.</summary>
    public static string[] Arguments(string stateDirectory, params string[] more) =>
    [
        $"--DeepSim:StateDirectory={stateDirectory}",
        .. new[] { ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.ClickHouse, ResourceNames.ClickHouse + "-native",
            ResourceNames.Mail, ResourceNames.Mail + "-web",
            ResourceNames.Api, ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web }.Select(name => $"--DeepSim:Ports:{name}=0"),
        .. more,
    ];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Waits (bounded) until no other Aspire orchestrator (DCP) is running: an AppHost started while the previous
    /// test's DCP was still shutting down was seen to hang creating its resources.
    /// </summary>
    public static async Task WaitForOtherOrchestratorsToStopAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && Directory.EnumerateDirectories("/proc").Any(IsDcp))
        {
            await Task.Delay(250);
        }
    }

    private static bool IsDcp(string procFolder)
    {
        try
        {
            var commandLine = File.ReadAllText(Path.Combine(procFolder, "cmdline"));
            return commandLine.Contains("aspire.hosting.orchestration", StringComparison.OrdinalIgnoreCase)
                && commandLine.Contains("/dcp", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "DeepSim.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("DeepSim.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder PostgreSQL's own OS user can enter (it runs as 'postgres' when the tests run as root).</summary>
internal sealed class TempStateDirectory : IDisposable
{
    public TempStateDirectory(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a server still closing its files; the temporary folder is cleaned eventually
        }
    }
}

/// <summary>
/// The whole platform started once through Aspire's testing builder (start ~6 s warm, stop ~13 s, so one per
/// collection), with every port free-chosen and a fresh state folder.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime, IDisposable
{
    public static readonly string[] Servers = [ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.ClickHouse];
    public static readonly string[] Services = [ResourceNames.Api, ResourceNames.Simulation, ResourceNames.Analytics, ResourceNames.Web];
    private static readonly TimeSpan StartBudget = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StartHangLimit = TimeSpan.FromSeconds(90);

    private readonly TempStateDirectory _state = new("deepsim-apphost-test-");
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("not started");

    public string StateDirectory => _state.Path;

    /// <summary>More AppHost arguments (configuration), e.g. quieter logging for a test project that does not read it.</summary>
    public IReadOnlyList<string> MoreArguments { get; init; } = [];

    public async Task InitializeAsync()
    {
        // DCP's resource creation occasionally hangs on this machine kind (seen in about 1 of 6 fresh-clone runs;
        // StartAsync normally returns in ~6 s). One fresh attempt follows such a hang, and the output says so;
        // a second hang fails the collection.
        for (var attempt = 1; ; attempt++)
        {
            await Repo.WaitForOtherOrchestratorsToStopAsync();
            using var timeout = new CancellationTokenSource(StartBudget);
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DeepSim_AppHost>(
                Repo.Arguments(_state.Path, [.. MoreArguments]), timeout.Token);
            _app = await builder.BuildAsync(timeout.Token);
            using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            startTimeout.CancelAfter(StartHangLimit);
            try
            {
                await _app.StartAsync(startTimeout.Token);
            }
            catch (OperationCanceledException) when (attempt == 1 && !timeout.IsCancellationRequested)
            {
                Console.WriteLine($"PlatformFixture: the AppHost did not start within {StartHangLimit.TotalSeconds} s (DCP hang); starting it once more");
                await _app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
                _app = null;
                continue;
            }
            foreach (var name in Servers.Concat(Services))
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }
            return;
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _app.StopAsync(timeout.Token);
            await _app.DisposeAsync();
        }
        _state.Dispose();
    }

    public void Dispose() => _state.Dispose();

    /// <summary>The latest snapshot of a resource once <paramref name="condition"/> holds, bounded.</summary>
    public async Task<ResourceEvent> WaitForAsync(string name, Func<ResourceEvent, bool> condition, TimeSpan budget)
    {
        using var timeout = new CancellationTokenSource(budget);
        try
        {
            return await App.ResourceNotifications.WaitForResourceAsync(name, condition, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"{name} did not reach the expected state within {budget.TotalSeconds} s");
        }
    }

    public async Task<string> ConnectionStringAsync(string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await App.GetConnectionStringAsync(name, timeout.Token) ?? throw new InvalidOperationException($"no connection string for {name}");
    }
}
