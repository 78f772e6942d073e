namespace DeepSim.AppHost.Hosting;

/// <summary>Fluent handle on one resource of the graph (Aspire's <c>IResourceBuilder&lt;T&gt;</c>).</summary>
public interface IResourceBuilder<out T>
    where T : Resource
{
    T Resource { get; }
    DistributedApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(T resource, DistributedApplicationBuilder applicationBuilder) : IResourceBuilder<T>
    where T : Resource
{
    public T Resource { get; } = resource;
    public DistributedApplicationBuilder ApplicationBuilder { get; } = applicationBuilder;
}

/// <summary>A named value generated once and kept in the state folder (Aspire's secret parameters).</summary>
public sealed class ParameterResource(string name, Func<string> value)
{
    public string Name { get; } = name;
    public string Value => value();
}

/// <summary>The graph-building verbs of an Aspire AppHost.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new PostgresServerResource(name));

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name)
    {
        ArgumentNullException.ThrowIfNull(server);
        var database = new PostgresDatabaseResource(name, server.Resource);
        server.Resource.Databases.Add(database);
        return server.ApplicationBuilder.AddResource(database);
    }

    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new RedisResource(name));

    public static IResourceBuilder<ClickHouseResource> AddClickHouse(this DistributedApplicationBuilder builder, string name)
        => builder.AddResource(new ClickHouseResource(name));

    /// <summary>Kafka when <c>ConnectionStrings:{name}</c> or <c>Kafka:BootstrapServers</c> is configured; NotConfigured otherwise.</summary>
    public static IResourceBuilder<KafkaResource> AddKafka(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var bootstrap = builder.Configuration[$"ConnectionStrings:{name}"] ?? builder.Configuration["Kafka:BootstrapServers"];
        return builder.AddResource(new KafkaResource(name, bootstrap));
    }

    /// <summary>A project of this repository, run from its build output; <paramref name="projectName"/> is its folder and assembly name.</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectName)
        => builder.AddResource(new ProjectResource(name, projectName));

    /// <summary>A project run once with arguments (a migration step); it succeeds when it exits with 0.</summary>
    public static IResourceBuilder<ProjectResource> AddProjectCommand(this DistributedApplicationBuilder builder, string name, string projectName, params string[] arguments)
    {
        var resource = new ProjectResource(name, projectName, runsToCompletion: true);
        resource.Arguments.AddRange(arguments);
        return builder.AddResource(resource);
    }

    /// <summary>A secret generated on first use and kept in the state folder's secrets.json (mode 600).</summary>
    public static ParameterResource AddParameter(this DistributedApplicationBuilder builder, string name, bool secret = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = secret;
        return new ParameterResource(name, () => builder.Context.Secrets.GetOrCreate(name));
    }

    /// <summary>Injects the referenced resource's connection string (<paramref name="role"/> picks PostgreSQL's owner or app credentials).</summary>
    public static IResourceBuilder<ProjectResource> WithReference<TSource>(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<TSource> source, ReferenceRole role = ReferenceRole.Application)
        where TSource : Resource, IResourceWithConnectionString
    {
        ArgumentNullException.ThrowIfNull(source);
        return Change(builder, resource => resource.References.Add(new ResourceReference(source.Resource, role)));
    }

    /// <summary>Injects <c>services__{name}__http__0</c> of the referenced project.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ProjectResource> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Change(builder, resource => resource.References.Add(new ResourceReference(source.Resource, ReferenceRole.Application)));
    }

    /// <summary>Starts this resource only once <paramref name="dependency"/> is Healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(dependency);
        return Change(builder, resource => resource.WaitsFor.Add(dependency.Resource));
    }

    /// <summary>Starts this resource only once <paramref name="dependency"/> has exited with 0.</summary>
    public static IResourceBuilder<T> WaitForCompletion<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(dependency);
        return Change(builder, resource => resource.WaitsForCompletion.Add(dependency.Resource));
    }

    /// <summary>Sets a configuration variable from a parameter (the value never appears on the dashboard or in logs).</summary>
    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, ParameterResource parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return Change(builder, resource => resource.EnvironmentCallbacks[name] = () => parameter.Value);
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, string value)
        => Change(builder, resource => resource.EnvironmentCallbacks[name] = () => value);

    // Every fluent verb: check the builder, change its resource, hand the builder back for the next call.
    private static IResourceBuilder<T> Change<T>(IResourceBuilder<T> builder, Action<T> change)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(builder);
        change(builder.Resource);
        return builder;
    }
}
