using System.Collections;
using DeepSim.AppHost.Servers;
using Microsoft.Extensions.Configuration;

namespace DeepSim.AppHost.Hosting;

/// <summary>What every resource needs to start: where state lives, where binaries and builds are, the launcher's own settings.</summary>
public sealed class LaunchContext
{
    public LaunchContext(AppHostOptions options, IConfiguration configuration, IReadOnlyDictionary<string, string> inheritedEnvironment)
    {
        Options = options;
        Configuration = configuration;
        InheritedEnvironment = inheritedEnvironment;
        Secrets = new SecretStore(Path.Combine(options.StateDirectory, "secrets.json"));
    }

    public AppHostOptions Options { get; }
    public IConfiguration Configuration { get; }

    /// <summary>The launcher's own environment, which children inherit unless a setting overrides or removes it.</summary>
    public IReadOnlyDictionary<string, string> InheritedEnvironment { get; }

    public SecretStore Secrets { get; }

    /// <summary>Ports already given to a resource in this run, so two resources never get the same one.</summary>
    public ISet<int> AssignedPorts { get; } = new HashSet<int>();

    private readonly Lock _portGate = new();

    public int AssignPort(int preferredPort)
    {
        lock (_portGate)
        {
            var port = PortAllocator.Pick(preferredPort, AssignedPorts);
            AssignedPorts.Add(port);
            return port;
        }
    }

    public static IReadOnlyDictionary<string, string> CurrentEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string ?? string.Empty;
        }
        return result;
    }
}
