using DeepSim.AppHost.Hosting;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Tests;

/// <summary>The launcher as ./deepsim up runs it: <c>dotnet DeepSim.AppHost.dll …</c>, here with a temporary state folder.</summary>
internal sealed class LauncherProcess : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private readonly HashSet<int> _seenPids = [];

    private LauncherProcess(ChildProcess process, string stateDirectory)
    {
        Process = process;
        StateDirectory = stateDirectory;
    }

    public ChildProcess Process { get; }
    public string StateDirectory { get; }
    public string Output => string.Join('\n', Process.Logs.Snapshot());
    public string StateFile => Path.Combine(StateDirectory, "state.json");

    /// <summary>Every process id the launcher reported while the test watched (for the no-leftovers check).</summary>
    public IReadOnlyCollection<int> SeenPids => _seenPids;

    public static LauncherProcess Start(string stateDirectory, params string[] arguments)
    {
        var process = ChildProcess.Start(
            "dotnet",
            [TestProcesses.BuildOutput("DeepSim.AppHost"), "--state-dir", stateDirectory, .. arguments],
            new LogBuffer(2000));
        return new LauncherProcess(process, stateDirectory);
    }

    /// <summary>state.json as this launcher wrote it; null before it has (a previous launcher's file is not its state).</summary>
    public StateDocument? ReadState()
    {
        try
        {
            var state = StateDocument.Read(StateFile);
            if (state is null || state.AppHostPid != Process.Pid)
            {
                return null;
            }
            _seenPids.Add(state.AppHostPid);
            foreach (var pid in state.Resources.Select(r => r.Pid).OfType<int>())
            {
                _seenPids.Add(pid);
            }
            return state;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits (bounded) until state.json says everything is healthy; fails with the launcher's output otherwise.</summary>
    public async Task<StateDocument> WaitUntilAllHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"The launcher exited with {Process.ExitCode}:\n{Output}");
            }
            if (ReadState() is { AllHealthy: true } state)
            {
                return state;
            }
            await Task.Delay(PollInterval);
        }
        var last = File.Exists(StateFile) ? await File.ReadAllTextAsync(StateFile) : "(no state.json)";
        throw new TimeoutException($"Not all resources became healthy within {timeout.TotalSeconds:0} s.\nOutput:\n{Output}\nState:\n{last}");
    }

    /// <summary>Waits (bounded) until the launcher has printed <paramref name="text"/>: its console trails state.json by a moment.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"The launcher did not print '{text}' within {timeout.TotalSeconds:0} s.\nOutput:\n{Output}");
            }
            await Task.Delay(PollInterval);
        }
    }

    public async Task<StateDocument> WaitForStateAsync(Func<StateDocument, bool> condition, TimeSpan timeout, string description)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (ReadState() is { } state && condition(state))
            {
                return state;
            }
            await Task.Delay(PollInterval);
        }
        var last = File.Exists(StateFile) ? await File.ReadAllTextAsync(StateFile) : "(no state.json)";
        throw new TimeoutException($"Timed out waiting for {description}.\nOutput:\n{Output}\nState:\n{last}");
    }

    /// <summary>SIGTERM, as a service manager or `kill` would send; returns the exit code (bounded wait).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Posix.Signal(Process.Pid, Posix.SigTerm);
        return await Process.Exited.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        ReadState();
        TestProcesses.KillGroups(_seenPids);
        await Process.DisposeAsync();
    }
}
