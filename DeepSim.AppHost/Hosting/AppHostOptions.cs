using System.Globalization;
using DeepSim.AppHost.Servers;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// The launcher's settings, from configuration (command line, environment): <c>--state-dir</c>
/// (<c>DeepSim:StateDirectory</c>), <c>--dashboard-port</c> (<c>DeepSim:DashboardPort</c>), preferred ports
/// (<c>DeepSim:Ports:{resource}</c>), binaries (<c>DeepSim:Binaries:*</c>).
/// </summary>
public sealed record AppHostOptions
{
    public const int DefaultDashboardPort = 18888;

    public required string StateDirectory { get; init; }
    public required string RepositoryRoot { get; init; }
    public string BuildConfiguration { get; init; } = "Debug";
    public string TargetFramework { get; init; } = "net10.0";
    public int DashboardPort { get; init; } = DefaultDashboardPort;
    public int PostgresPort { get; init; } = 55432;
    public int RedisPort { get; init; } = 56379;
    public int ClickHouseHttpPort { get; init; } = 58123;
    public int ClickHouseTcpPort { get; init; } = 59000;
    public IReadOnlyDictionary<string, int> ServicePorts { get; init; } = new Dictionary<string, int>
    {
        [ResourceNames.Web] = 5050,
        [ResourceNames.Api] = 5051,
        [ResourceNames.Simulation] = 5052,
        [ResourceNames.Analytics] = 5053,
    };
    public string PostgresBinDirectory { get; init; } = PostgresServerOptions.DefaultBinDirectory;
    public string RedisServerBinary { get; init; } = RedisServerOptions.DefaultServerBinary;
    public string ClickHouseServerBinary { get; init; } = ClickHouseServerOptions.DefaultServerBinary;

    /// <summary>Seconds between health probes.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A service that has not answered /health for this long after starting is shown Unhealthy.</summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Everything stops within this budget on Ctrl-C/SIGTERM (issue 2: 20 s).</summary>
    public TimeSpan ShutdownBudget { get; init; } = TimeSpan.FromSeconds(18);

    public int PreferredServicePort(string name) => ServicePorts.TryGetValue(name, out var port) ? port : 0;

    /// <summary>Command-line switches the launcher understands besides <c>--Key=value</c> configuration.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--state-dir"] = "DeepSim:StateDirectory",
        ["--dashboard-port"] = "DeepSim:DashboardPort",
    };

    public static AppHostOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("DeepSim");
        var root = section["RepositoryRoot"] is { Length: > 0 } configuredRoot ? Path.GetFullPath(configuredRoot) : FindRepositoryRoot(AppContext.BaseDirectory);
        var stateDirectory = section["StateDirectory"] is { Length: > 0 } configuredState
            ? Path.GetFullPath(configuredState)
            : Path.Combine(root, ".deepsim");
        var defaults = new AppHostOptions { StateDirectory = stateDirectory, RepositoryRoot = root };
        var servicePorts = new Dictionary<string, int>(defaults.ServicePorts);
        foreach (var child in section.GetSection("Ports").GetChildren())
        {
            servicePorts[child.Key] = ParsePort(child.Value, $"DeepSim:Ports:{child.Key}");
        }
        return defaults with
        {
            BuildConfiguration = section["BuildConfiguration"] ?? DetectBuildConfiguration(AppContext.BaseDirectory),
            DashboardPort = section["DashboardPort"] is { } dashboard ? ParsePort(dashboard, "DeepSim:DashboardPort") : DefaultDashboardPort,
            PostgresPort = section["Ports:postgres"] is { } pg ? ParsePort(pg, "DeepSim:Ports:postgres") : defaults.PostgresPort,
            RedisPort = section["Ports:redis"] is { } redis ? ParsePort(redis, "DeepSim:Ports:redis") : defaults.RedisPort,
            ClickHouseHttpPort = section["Ports:clickhouse"] is { } ch ? ParsePort(ch, "DeepSim:Ports:clickhouse") : defaults.ClickHouseHttpPort,
            ClickHouseTcpPort = section["Ports:clickhouse-tcp"] is { } chTcp ? ParsePort(chTcp, "DeepSim:Ports:clickhouse-tcp") : defaults.ClickHouseTcpPort,
            ServicePorts = servicePorts,
            PostgresBinDirectory = section["Binaries:PostgresBinDirectory"] ?? defaults.PostgresBinDirectory,
            RedisServerBinary = section["Binaries:RedisServer"] ?? defaults.RedisServerBinary,
            ClickHouseServerBinary = section["Binaries:ClickHouseServer"] ?? defaults.ClickHouseServerBinary,
        };
    }

    private static int ParsePort(string? value, string key)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"Configuration '{key}' must be a port number 0-65535 (0 = any free port), not '{value}'.");

    /// <summary>The folder holding DeepSim.sln, searched upwards from the launcher's build output.</summary>
    public static string FindRepositoryRoot(string start)
    {
        const int MaxLevels = 12;
        var directory = new DirectoryInfo(start);
        for (var level = 0; directory is not null && level < MaxLevels; level++, directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DeepSim.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"DeepSim.sln not found above {start}; set DeepSim:RepositoryRoot.");
    }

    /// <summary>Debug or Release, read from our own output path (…/bin/Release/net10.0/) so services run from the same build.</summary>
    public static string DetectBuildConfiguration(string baseDirectory)
    {
        var parts = baseDirectory.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Debug";
    }
}
