using System.Globalization;
using DeepSim.AppHost.Hosting;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Tests;

/// <summary>Where the builds are, and what is still running on this machine.</summary>
internal static class TestProcesses
{
    public static string RepositoryRoot { get; } = AppHostOptions.FindRepositoryRoot(AppContext.BaseDirectory);

    public static string BuildConfiguration { get; } = AppHostOptions.DetectBuildConfiguration(AppContext.BaseDirectory);

    public static string BuildOutput(string project)
    {
        var path = Path.Combine(RepositoryRoot, project, "bin", BuildConfiguration, "net10.0", project + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built; ./deepsim test builds the solution first.", path);
    }

    /// <summary>Living processes whose id or process group is one of <paramref name="ids"/>.</summary>
    public static IReadOnlyList<string> LivingIn(IReadOnlyCollection<int> ids)
    {
        var living = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            // Fields after the parenthesised command name: state ppid pgrp …
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var state = fields[0];
            var group = int.Parse(fields[2], CultureInfo.InvariantCulture);
            if (state != "Z" && (ids.Contains(pid) || ids.Contains(group)))
            {
                living.Add($"{pid} ({stat[..stat.LastIndexOf(')')]}), group {group})");
            }
        }
        return living;
    }

    /// <summary>The environment a running process was started with.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentOf(int pid)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                result[entry[..equals]] = entry[(equals + 1)..];
            }
        }
        return result;
    }

    /// <summary>Last-resort cleanup so a failed test leaves nothing running.</summary>
    public static void KillGroups(IEnumerable<int> ids)
    {
        foreach (var id in ids)
        {
            Posix.SignalGroup(id, Posix.SigKill);
            Posix.Signal(id, Posix.SigKill);
        }
    }
}
