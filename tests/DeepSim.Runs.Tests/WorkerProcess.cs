using System.Diagnostics;
using System.Globalization;
using DeepSim.TestServers;
using DeepSim.ServiceDefaults;

namespace DeepSim.Runs.Tests;

/// <summary>A real simulation service process (<c>dotnet DeepSim.Simulation.dll</c>) pointed at a test Api.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private static readonly TimeSpan SignalBudget = TimeSpan.FromSeconds(10);
    private readonly ChildProcess process;

    private WorkerProcess(ChildProcess process, string workerId)
    {
        this.process = process;
        WorkerId = workerId;
    }

    public string WorkerId { get; }
    public int Pid => process.Pid;
    public LogBuffer Logs => process.Logs;
    public bool HasExited => process.HasExited;

    public static WorkerProcess Start(Uri api, int concurrency = 2, int minimumRunMilliseconds = 0, string? workerId = null, int shutdownGraceSeconds = 15)
    {
        var id = workerId ?? "w-" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string?>
        {
            [$"services__{ResourceNames.Api}__http__0"] = api.ToString().TrimEnd('/'),
            ["Auth__ServiceToken"] = RunsFixture.ServiceToken,
            ["Worker__Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["Worker__MinimumRunMilliseconds"] = minimumRunMilliseconds.ToString(CultureInfo.InvariantCulture),
            ["Worker__WorkerId"] = id,
            ["Worker__ClaimWaitSeconds"] = "2",
            ["Worker__ShutdownGraceSeconds"] = shutdownGraceSeconds.ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__DeepSim"] = "Information",
        };
        var child = ChildProcess.Start("dotnet", [SimulationDll()], new LogBuffer(), environment);
        return new WorkerProcess(child, id);
    }

    /// <summary>The simulation service's build output, same configuration as this test assembly.</summary>
    public static string SimulationDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Parent!.Name;
        var framework = testBin.Name;
        var root = testBin;
        for (var i = 0; i < 8 && root is not null && !File.Exists(Path.Combine(root.FullName, "DeepSim.sln")); i++)
        {
            root = root.Parent;
        }
        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("repository root (DeepSim.sln) not found"),
            "DeepSim.Simulation", "bin", configuration, framework, "DeepSim.Simulation.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build DeepSim.Simulation first", dll);
    }

    public Task KillAsync() => SignalAsync("KILL");

    public Task PauseAsync() => SignalAsync("STOP");

    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGTERM: the graceful shutdown path.</summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await process.Exited.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        using var timeout = new CancellationTokenSource(SignalBudget);
        await kill.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await SignalAsync("CONT");
            await SignalAsync("KILL");
            await WaitForExitAsync(SignalBudget);
        }
        await process.DisposeAsync();
    }
}
