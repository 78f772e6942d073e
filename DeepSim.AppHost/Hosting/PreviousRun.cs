using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// What a previous launcher on the same state folder left behind, read from its state.json: a launcher still
/// running (two would fight over the same data), or processes orphaned by one that was killed outright.
/// </summary>
internal static class PreviousRun
{
    /// <summary>Process names the launcher starts; anything else with a recorded PID is a reused id, not ours.</summary>
    private static readonly string[] OurExecutables = ["dotnet", "postgres", "redis-server", "redis-check-rdb", "clickhouse-server", "clickhouse"];

    public static int? FindRunningLauncher(string stateFile)
    {
        var state = TryRead(stateFile);
        if (state is null || state.AppHostPid == Environment.ProcessId || !Posix.IsAlive(state.AppHostPid))
        {
            return null;
        }
        return CommandLine(state.AppHostPid).Contains("DeepSim.AppHost", StringComparison.Ordinal) ? state.AppHostPid : null;
    }

    public static IReadOnlyList<string> KillLeftovers(string stateFile)
    {
        var killed = new List<string>();
        var killedPids = new List<int>();
        var state = TryRead(stateFile);
        if (state is null)
        {
            return killed;
        }
        foreach (var resource in state.Resources)
        {
            if (resource.Pid is not { } pid || !Posix.IsAlive(pid))
            {
                continue;
            }
            var executable = Executable(pid);
            if (!OurExecutables.Contains(executable, StringComparer.Ordinal))
            {
                continue;
            }
            Posix.SignalGroup(pid, Posix.SigKill);
            Posix.Signal(pid, Posix.SigKill);
            killed.Add($"{resource.Name} (PID {pid})");
            killedPids.Add(pid);
        }
        // SIGKILL is not instant: a postmaster still exiting holds its lock file and shared memory, and the new one
        // started in its place would refuse to run. Wait (bounded) until every killed process and its group is gone.
        var deadline = DateTime.UtcNow + LeftoverExitTimeout;
        while (killedPids.Exists(p => Posix.IsAlive(p) || Posix.SignalGroup(p, 0)) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(LeftoverPollInterval);
        }
        return killed;
    }

    private static readonly TimeSpan LeftoverExitTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LeftoverPollInterval = TimeSpan.FromMilliseconds(50);

    private static StateDocument? TryRead(string stateFile)
    {
        try
        {
            return StateDocument.Read(stateFile);
        }
        catch (IOException)
        {
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static string Executable(int pid)
    {
        try
        {
            return Path.GetFileName(new FileInfo($"/proc/{pid}/exe").LinkTarget ?? string.Empty);
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
