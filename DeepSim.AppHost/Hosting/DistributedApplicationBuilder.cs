using Microsoft.Extensions.Configuration;

namespace DeepSim.AppHost.Hosting;

/// <summary>Collects the resource graph (Aspire's <c>IDistributedApplicationBuilder</c>).</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    internal DistributedApplicationBuilder(IConfiguration configuration, AppHostOptions options, IReadOnlyDictionary<string, string> inheritedEnvironment)
    {
        Configuration = configuration;
        Options = options;
        Context = new LaunchContext(options, configuration, inheritedEnvironment);
    }

    public IConfiguration Configuration { get; }
    public AppHostOptions Options { get; }
    public LaunchContext Context { get; }
    public IReadOnlyList<Resource> Resources => _resources;

    public IResourceBuilder<T> AddResource<T>(T resource)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (_resources.Any(r => string.Equals(r.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }
        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    public DistributedApplication Build() => new(Context, [.. _resources]);

    /// <summary>For running a graph inside another process (tests): console output goes to the given writers.</summary>
    internal DistributedApplication Build(TextWriter output, TextWriter error) => new(Context, [.. _resources], output, error);
}
