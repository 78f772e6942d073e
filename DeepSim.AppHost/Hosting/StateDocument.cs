using System.Text.Json;
using System.Text.Json.Serialization;
using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>One row of the dashboard and of state.json.</summary>
public sealed record ResourceSnapshot(
    string Name,
    string Type,
    ResourceState State,
    string? StateDetail,
    IReadOnlyList<string> Endpoints,
    int? Pid,
    DateTimeOffset? StartedAt,
    double? UptimeSeconds,
    int? ExitCode)
{
    public static ResourceSnapshot Of(Resource resource)
    {
        var running = resource.ProcessId is not null;
        return new ResourceSnapshot(
            resource.Name,
            resource.Type,
            resource.State,
            resource.StateDetail,
            resource.Endpoints,
            resource.ProcessId,
            resource.StartedAt,
            running && resource.StartedAt is { } started ? Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1) : null,
            resource.ExitCode);
    }
}

/// <summary>
/// state.json in the state folder, for tools and tests: dashboard URL, each resource's state, endpoints and PID,
/// and the connection strings (owner and app for PostgreSQL). Written atomically, mode 600 (it holds passwords).
/// </summary>
public sealed record StateDocument(
    string? DashboardUrl,
    int AppHostPid,
    DateTimeOffset UpdatedAt,
    bool AllHealthy,
    IReadOnlyList<ResourceSnapshot> Resources,
    IReadOnlyDictionary<string, string> ConnectionStrings,
    IReadOnlyDictionary<string, string> ServiceUrls)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static StateDocument Of(DistributedApplication application, string? dashboardUrl)
    {
        ArgumentNullException.ThrowIfNull(application);
        var connectionStrings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var serviceUrls = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in application.Resources)
        {
            if (resource is IResourceWithConnectionString withConnectionString && resource.IsConfigured
                && withConnectionString.GetConnectionString(ReferenceRole.Application) is { } app)
            {
                connectionStrings[resource.Name] = app;
                if (resource is PostgresDatabaseResource && withConnectionString.GetConnectionString(ReferenceRole.Owner) is { } owner)
                {
                    connectionStrings[resource.Name + "-owner"] = owner;
                }
            }
            if (resource is ProjectResource { HttpUrl: { } url })
            {
                serviceUrls[resource.Name] = url;
            }
        }
        return new StateDocument(
            dashboardUrl,
            Environment.ProcessId,
            DateTimeOffset.UtcNow,
            application.AllHealthy(),
            [.. application.Resources.Select(ResourceSnapshot.Of)],
            connectionStrings,
            serviceUrls);
    }

    public static void Write(string path, DistributedApplication application, string? dashboardUrl)
        => StateFile.WriteAtomically(path, JsonSerializer.Serialize(Of(application, dashboardUrl), JsonOptions), ownerOnly: true);

    public static StateDocument? Read(string path)
        => File.Exists(path) ? JsonSerializer.Deserialize<StateDocument>(File.ReadAllText(path), JsonOptions) : null;
}
