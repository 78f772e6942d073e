using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSim.ServiceDefaults;
using Npgsql;

namespace DeepSim.AppHost.Tests;

/// <summary>
/// The AppHost as <c>./deepsim up</c> runs it: a process of its own with the real dashboard, stopped by SIGTERM,
/// started again on the same state folder.
/// </summary>
public sealed class UpTests
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigterm_leaves_no_process_behind_and_the_next_up_reuses_the_data_and_passwords()
    {
        using var state = new TempStateDirectory("deepsim-apphost-up-");
        var postgresPort = Repo.FreePort();
        var redisPort = Repo.FreePort();

        string firstSecrets;
        await using (var first = await AppHostProcess.StartAsync(state.Path, postgresPort, redisPort))
        {
            await first.WaitForOutputAsync("All resources healthy", StartBudget);
            Assert.Contains("/login?t=", first.Output, StringComparison.Ordinal);
            firstSecrets = await File.ReadAllTextAsync(Path.Combine(state.Path, "secrets.json"));
            Assert.Equal("-rw-------", FileMode(Path.Combine(state.Path, "secrets.json")));
            await using var connection = new NpgsqlConnection(OwnerConnectionString(firstSecrets, postgresPort));
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("create table up_marker (written_by text); insert into up_marker values ('first up')", connection);
            await create.ExecuteNonQueryAsync();

            var exitCode = await first.TerminateAsync(StopBudget);
            Assert.Equal(0, exitCode);
            await first.WaitUntilNothingIsLeftAsync(StopBudget);
            Assert.DoesNotContain(firstSecrets.Split('"').Where(value => value.Length == 64), first.Output.Contains);
        }

        await using var second = await AppHostProcess.StartAsync(state.Path, postgresPort, redisPort);
        await second.WaitForOutputAsync("All resources healthy", StartBudget);
        Assert.Equal(firstSecrets, await File.ReadAllTextAsync(Path.Combine(state.Path, "secrets.json")));
        await using (var connection = new NpgsqlConnection(OwnerConnectionString(firstSecrets, postgresPort)))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("select written_by from up_marker", connection);
            Assert.Equal("first up", await read.ExecuteScalarAsync());
        }
        Assert.Equal(0, await second.TerminateAsync(StopBudget));
        await second.WaitUntilNothingIsLeftAsync(StopBudget);
    }

    private static string OwnerConnectionString(string secretsJson, int port)
    {
        using var secrets = JsonDocument.Parse(secretsJson);
        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Database = ResourceNames.Database,
            Username = "deepsim_owner",
            Password = secrets.RootElement.GetProperty($"{ResourceNames.Postgres}-owner-password").GetString(),
            Pooling = false,
        }.ConnectionString;
    }

    private static string FileMode(string path) => "-" + File.GetUnixFileMode(path) switch
    {
        UnixFileMode.UserRead | UnixFileMode.UserWrite => "rw-------",
        var other => other.ToString(),
    };
}

/// <summary>The built AppHost started the way the launch profile starts it, on free ports, its output captured.</summary>
internal sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _marker = Guid.NewGuid().ToString("N");
    private readonly string _stateDirectory;
    private readonly int _redisPort;
    private readonly System.Text.StringBuilder _output = new();

    private AppHostProcess(string stateDirectory, int postgresPort, int redisPort)
    {
        _stateDirectory = stateDirectory;
        _redisPort = redisPort;
        var appHost = Path.Combine(Repo.Root, "DeepSim.AppHost", "bin", Configuration, "net10.0", "DeepSim.AppHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(appHost)!,
        };
        start.ArgumentList.Add(appHost);
        foreach (var argument in Repo.Arguments(stateDirectory,
            $"--DeepSim:Ports:{ResourceNames.Postgres}={postgresPort}", $"--DeepSim:Ports:{ResourceNames.Redis}={redisPort}"))
        {
            start.ArgumentList.Add(argument);
        }
        var invariant = CultureInfo.InvariantCulture;
        // What Properties/launchSettings.json sets, on free ports.
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPNETCORE_URLS"] = string.Create(invariant, $"http://127.0.0.1:{Repo.FreePort()}");
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = string.Create(invariant, $"http://127.0.0.1:{Repo.FreePort()}");
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = string.Create(invariant, $"http://127.0.0.1:{Repo.FreePort()}");
        // Inherited by DCP and what it starts: how the test finds every process this AppHost caused.
        start.Environment["DEEPSIM_TEST_MARKER"] = _marker;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    private static string Configuration => AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<AppHostProcess> StartAsync(string stateDirectory, int postgresPort, int redisPort)
    {
        await Repo.WaitForOtherOrchestratorsToStopAsync();
        var host = new AppHostProcess(stateDirectory, postgresPort, redisPort);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        return host;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' did not appear (exited: {_process.HasExited}); output:\n{Output}");
            }
            await Task.Delay(250);
        }
    }

    public async Task<int> TerminateAsync(TimeSpan budget)
    {
        Posix.Terminate(_process.Id);
        using var timeout = new CancellationTokenSource(budget);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until no process carries this AppHost's marker or names its state folder or Redis port.</summary>
    public async Task WaitUntilNothingIsLeftAsync(TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        List<string> left;
        while ((left = LeftOver()).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"still running {budget.TotalSeconds} s after the AppHost stopped:\n{string.Join('\n', left)}");
            }
            await Task.Delay(250);
        }
    }

    private List<string> LeftOver()
    {
        var left = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                var environment = File.ReadAllText(Path.Combine(folder, "environ"));
                if (environment.Contains(_marker, StringComparison.Ordinal)
                    || commandLine.Contains(_stateDirectory, StringComparison.Ordinal)
                    || commandLine.Contains(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_redisPort}"), StringComparison.Ordinal))
                {
                    left.Add($"{pid}: {commandLine}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // the process ended while being read
            }
        }
        return left;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Posix.Terminate(_process.Id);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        await Task.CompletedTask;
        _process.Dispose();
    }
}

internal static partial class Posix
{
    private const int SigTerm = 15;

    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
