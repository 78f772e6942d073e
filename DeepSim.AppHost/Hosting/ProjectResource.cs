using System.Globalization;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// A .NET project of this repository run from its build output (<c>dotnet bin/…/X.dll</c>), given its settings
/// as Aspire would inject them. A project with arguments and no endpoint (the migration step) runs to completion.
/// </summary>
public sealed class ProjectResource : Resource, IResourceWithServiceEndpoint
{
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(3) };
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Enough of a /health body to see which check failed, short enough for a dashboard cell.</summary>
    private const int MaxDetailLength = 300;

    private ChildProcess? _process;

    public ProjectResource(string name, string projectName, bool runsToCompletion = false)
        : base(name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectName);
        ProjectName = projectName;
        RunsToCompletionFlag = runsToCompletion;
    }

    public string ProjectName { get; }
    public List<string> Arguments { get; } = [];

    /// <summary>Extra settings (secrets from parameters, feature switches); values resolved at start.</summary>
    public Dictionary<string, Func<string?>> EnvironmentCallbacks { get; } = new(StringComparer.Ordinal);

    public override string Type => RunsToCompletion ? "executable" : "project";
    public override bool RunsToCompletion => RunsToCompletionFlag;
    private bool RunsToCompletionFlag { get; }
    public int? HttpPort { get; private set; }
    public string? HttpUrl => HttpPort is { } p ? string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{p}") : null;
    public override int? ProcessId => _process is { HasExited: false } p ? p.Pid : null;
    public override IReadOnlyList<string> Endpoints => HttpUrl is { } url ? [url] : [];
    public ChildProcess? Process => _process;

    /// <summary>Why the last /health probe failed, for the dashboard.</summary>
    public string? LastProbeFailure { get; private set; }

    /// <summary>Raised when the process ends by itself (not on a launcher stop).</summary>
    public event Action<ProjectResource, int>? Exited;

    private volatile bool _stopping;

    /// <summary>The build output to run: bin/{Configuration}/net10.0/{Project}.dll under the project folder.</summary>
    public string ResolveAssemblyPath(AppHostOptions options)
        => Path.Combine(options.RepositoryRoot, ProjectName, "bin", options.BuildConfiguration, options.TargetFramework, ProjectName + ".dll");

    internal override async Task StartAsync(LaunchContext context, CancellationToken cancellationToken)
    {
        var assembly = ResolveAssemblyPath(context.Options);
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException(
                $"{ProjectName} is not built: {assembly} not found. Build the solution first (./deepsim up builds it).", assembly);
        }
        AssignEndpoint(context);
        var environment = EnvironmentBuilder.Build(this, context);
        _stopping = false;
        ExitCode = null;
        _process = ChildProcess.Start(
            "dotnet",
            [assembly, .. Arguments],
            Logs,
            environment,
            workingDirectory: Path.Combine(context.Options.RepositoryRoot, ProjectName));
        StartedAt = _process.StartedAt;
        var process = _process;
        _ = process.Exited.ContinueWith(
            t =>
            {
                ExitCode = t.Result;
                if (!_stopping)
                {
                    Exited?.Invoke(this, t.Result);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        await Task.CompletedTask;
    }

    /// <summary>Chooses the HTTP port once (a restart keeps it, so references stay valid).</summary>
    internal void AssignEndpoint(LaunchContext context)
    {
        if (!RunsToCompletion && HttpPort is null)
        {
            HttpPort = context.AssignPort(context.Options.PreferredServicePort(Name));
        }
    }

    /// <summary>GET /health must answer 200; a run-to-completion resource has no probe.</summary>
    internal override async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        if (HttpUrl is not { } url || _process is not { HasExited: false })
        {
            return false;
        }
        try
        {
            using var response = await HealthClient.GetAsync(new Uri(url + "/health"), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                LastProbeFailure = null;
                return true;
            }
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            LastProbeFailure = $"GET /health answered {(int)response.StatusCode}: {(body.Length > MaxDetailLength ? body[..MaxDetailLength] + "…" : body)}";
            return false;
        }
        catch (HttpRequestException ex)
        {
            LastProbeFailure = $"GET /health failed: {ex.Message}";
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LastProbeFailure = $"GET /health did not answer within {HealthClient.Timeout.TotalSeconds:0} s";
            return false;
        }
    }

    /// <summary>SIGTERM (ASP.NET Core shuts down gracefully on it), then kill the process group.</summary>
    internal override async Task StopAsync()
    {
        _stopping = true;
        if (_process is { } process)
        {
            await process.StopAsync(Posix.SigTerm, GracefulStopTimeout);
        }
    }
}

/// <summary>A resource other services reach over HTTP: referencing it injects <c>services__{name}__http__0</c>.</summary>
public interface IResourceWithServiceEndpoint
{
    string Name { get; }
    string? HttpUrl { get; }
}
