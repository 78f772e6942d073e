namespace DeepSim.AppHost.Servers;

/// <summary>
/// A server left running on our data folder by a launcher that was killed (SIGKILL gives it no chance to stop its
/// children). It holds the folder's locks and ports, so it is stopped before a new one starts in its place.
/// </summary>
internal static class OrphanedServer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Stops the process named on the first line of <paramref name="pidFile"/> when it is alive and its command line
    /// shows it is ours: <paramref name="firstSignal"/> first, then SIGKILL, each followed by a bounded wait for exit.
    /// </summary>
    public static async Task StopAsync(string pidFile, Func<string, bool> commandLineIsOurs, int firstSignal, TimeSpan waitPerSignal, LogBuffer logs)
    {
        if (!File.Exists(pidFile)
            || !int.TryParse((await File.ReadAllLinesAsync(pidFile)).FirstOrDefault()?.Trim(), out var pid)
            || !Posix.IsAlive(pid))
        {
            return;
        }
        string commandLine;
        try
        {
            commandLine = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return;
        }
        if (!commandLineIsOurs(commandLine))
        {
            return;
        }
        logs.Add($"Stopping orphaned server process {pid} ({commandLine.Trim()}).");
        int[] signals = firstSignal == Posix.SigKill ? [Posix.SigKill] : [firstSignal, Posix.SigKill];
        foreach (var signal in signals)
        {
            Posix.Signal(pid, signal);
            // Its lock file and ports stay taken until the process is really gone.
            var deadline = DateTime.UtcNow + waitPerSignal;
            while (Posix.IsAlive(pid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(PollInterval);
            }
            if (!Posix.IsAlive(pid))
            {
                return;
            }
        }
    }
}
