using System.Diagnostics;

namespace DeepSim.TestServers;

/// <summary>
/// A process a test owns: started in its own session and process group (so its whole tree can be signalled), its
/// output kept in a <see cref="LogBuffer"/>, stopped gracefully then by force.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const string SetSidPath = "/usr/bin/setsid";
    private const string SetPrivPath = "/usr/bin/setpriv";

    private readonly Process _process;
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, LogBuffer logs, string displayName)
    {
        _process = process;
        Logs = logs;
        DisplayName = displayName;
    }

    public int Pid { get; private set; }
    public LogBuffer Logs { get; }
    public string DisplayName { get; }
    public DateTimeOffset StartedAt { get; private set; }
    public bool HasExited => _exited.Task.IsCompleted;
    public int? ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : null;

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => _exited.Task;

    /// <param name="runAsUser">When the test runs as root, the process runs as this user (PostgreSQL refuses root).</param>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        LogBuffer logs,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        string? runAsUser = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var args = arguments.ToList();
        var command = new List<string>();
        // Own session and process group: the whole tree can be signalled, and the terminal's Ctrl-C is ours alone.
        if (File.Exists(SetSidPath))
        {
            command.Add(SetSidPath);
        }
        if (runAsUser is not null && Posix.IsRoot)
        {
            // setpriv execs in place (runuser forks), so the PID we track is the server itself.
            command.AddRange([SetPrivPath, $"--reuid={runAsUser}", $"--regid={runAsUser}", "--init-groups"]);
        }
        command.Add(fileName);
        command.AddRange(args);

        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var part in command.Skip(1))
        {
            startInfo.ArgumentList.Add(part);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(key);
                }
                else
                {
                    startInfo.Environment[key] = value;
                }
            }
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(process, logs, Path.GetFileName(fileName));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { logs.Add(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { logs.Add(e.Data); } };
        process.Exited += (_, _) => _ = child.OnExitedAsync();
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}.");
        }
        child.Pid = process.Id;
        child.StartedAt = DateTimeOffset.UtcNow;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    // Exited can be raised before the redirected output has been read to its end; the last lines are often the reason.
    private async Task OnExitedAsync()
    {
        using (var drain = new CancellationTokenSource(OutputDrainTimeout))
        {
            try
            {
                // Returns once the process has exited and both output streams reached their end.
                await _process.WaitForExitAsync(drain.Token);
            }
            catch (OperationCanceledException)
            {
                // a grandchild still holds the pipes open; report the exit with the lines read so far
            }
            catch (InvalidOperationException)
            {
                // the process object was disposed meanwhile
            }
        }
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }
        _exited.TrySetResult(code);
    }

    /// <summary>Runs a command to completion (bounded), returning its exit code; output goes to <paramref name="logs"/>.</summary>
    public static async Task<int> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        LogBuffer logs,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? runAsUser = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var child = Start(fileName, arguments, logs, environment, runAsUser: runAsUser);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            return await child.Exited.WaitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process, waits up to <paramref name="grace"/>, then kills its whole group.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        if (!HasExited)
        {
            Posix.Signal(Pid, signal);
            try
            {
                await Exited.WaitAsync(grace);
            }
            catch (TimeoutException)
            {
                // Graceful stop took too long: fall through to force.
            }
        }
        KillGroup();
    }

    /// <summary>Forcefully ends the process and anything it started in its group.</summary>
    public void KillGroup()
    {
        Posix.SignalGroup(Pid, Posix.SigKill);
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone or not ours to kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            KillGroup();
            try
            {
                await Exited.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // Nothing more we can do for a process that ignores SIGKILL.
            }
        }
        _process.Dispose();
    }
}
