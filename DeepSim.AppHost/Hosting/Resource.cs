using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>One node of the resource graph: a server or a service, with what it waits for and what it references.</summary>
public abstract class Resource
{
    private readonly Lock _gate = new();

    protected Resource(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }

    /// <summary>postgres, redis, clickhouse, kafka, project or executable.</summary>
    public abstract string Type { get; }

    /// <summary>Must be Healthy before this resource starts.</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Must have exited with 0 before this resource starts.</summary>
    public List<Resource> WaitsForCompletion { get; } = [];

    /// <summary>Resources whose settings this one receives (connection strings, service URLs).</summary>
    public List<ResourceReference> References { get; } = [];

    public ResourceState State { get; private set; } = ResourceState.Waiting;
    public string? StateDetail { get; private set; }
    public DateTimeOffset? StartedAt { get; protected set; }
    public int? ExitCode { get; protected set; }
    public virtual LogBuffer Logs { get; } = new();

    /// <summary>The main process id while it runs.</summary>
    public abstract int? ProcessId { get; }

    /// <summary>Addresses to show as links, e.g. http://127.0.0.1:5051.</summary>
    public abstract IReadOnlyList<string> Endpoints { get; }

    public virtual bool IsConfigured => true;

    /// <summary>True for resources that run once and exit (migrations); they count as done at exit code 0.</summary>
    public virtual bool RunsToCompletion => false;

    /// <summary>All resources this one depends on in any way: what must start before it and stop after it.</summary>
    public IEnumerable<Resource> Dependencies => WaitsFor.Concat(WaitsForCompletion).Concat(References.Select(r => r.Resource)).Concat(ImplicitDependencies).Distinct();

    /// <summary>Dependencies that are not declared, e.g. a database on its server.</summary>
    protected virtual IEnumerable<Resource> ImplicitDependencies => [];

    /// <summary>Raised on every state change (launcher writes state.json, console prints).</summary>
    public event Action<Resource>? StateChanged;

    public void SetState(ResourceState state, string? detail = null)
    {
        bool changed;
        lock (_gate)
        {
            changed = State != state || StateDetail != detail;
            State = state;
            StateDetail = detail;
        }
        if (changed)
        {
            StateChanged?.Invoke(this);
        }
    }

    internal abstract Task StartAsync(LaunchContext context, CancellationToken cancellationToken);

    /// <summary>A real probe: true when the resource answers as it should.</summary>
    internal abstract Task<bool> ProbeAsync(CancellationToken cancellationToken);

    internal abstract Task StopAsync();
}

/// <summary>A resource whose clients receive <c>ConnectionStrings__{ConnectionStringName}</c>.</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    /// <summary>Null while the resource has not started (or is not configured).</summary>
    string? GetConnectionString(ReferenceRole role);
}

/// <summary>Which credentials a reference carries; only PostgreSQL distinguishes them.</summary>
public enum ReferenceRole
{
    /// <summary>The application role: no DDL, no BYPASSRLS.</summary>
    Application,

    /// <summary>The owner role, for migration steps.</summary>
    Owner,
}

public sealed record ResourceReference(Resource Resource, ReferenceRole Role);
