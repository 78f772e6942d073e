using DeepSim.AppHost.Servers;

namespace DeepSim.AppHost.Hosting;

/// <summary>
/// The environment a project receives, exactly the variables Aspire injects: <c>ConnectionStrings__{name}</c>,
/// <c>services__{name}__http__0</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (only when the
/// launcher has one), <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_ENVIRONMENT</c>. A null value removes an inherited variable.
/// </summary>
public static class EnvironmentBuilder
{
    public const string DefaultEnvironmentName = "Development";

    private static readonly string[] RemovedInheritedPrefixes = ["ConnectionStrings__", "services__", "DeepSim__", "OTEL_"];
    private static readonly string[] RemovedInheritedNames = ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS"];
    private static readonly string[] PassedOtelSettings = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS"];

    public static Dictionary<string, string?> Build(ProjectResource project, LaunchContext context)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(context);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        // The launcher's own wiring must not leak: a child sees only what its references say.
        foreach (var key in context.InheritedEnvironment.Keys)
        {
            if (RemovedInheritedNames.Contains(key, StringComparer.OrdinalIgnoreCase)
                || RemovedInheritedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                environment[key] = null;
            }
        }

        foreach (var reference in project.References)
        {
            switch (reference.Resource)
            {
                case IResourceWithConnectionString withConnectionString when reference.Resource.IsConfigured:
                    var connectionString = withConnectionString.GetConnectionString(reference.Role)
                        ?? throw new InvalidOperationException($"{project.Name} references {reference.Resource.Name}, which has no connection string yet (is it started?).");
                    environment[$"ConnectionStrings__{reference.Resource.Name}"] = connectionString;
                    break;
                case IResourceWithServiceEndpoint { HttpUrl: { } url }:
                    environment[$"services__{reference.Resource.Name}__http__0"] = url;
                    break;
                case IResourceWithServiceEndpoint:
                    throw new InvalidOperationException($"{project.Name} references {reference.Resource.Name}, which has no HTTP endpoint yet.");
                default:
                    // An optional resource that is not configured (Kafka) injects nothing: the service switches the feature off.
                    break;
            }
        }

        environment["OTEL_SERVICE_NAME"] = project.Name;
        foreach (var name in PassedOtelSettings)
        {
            if (context.Configuration[name] is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        if (project.HttpUrl is { } httpUrl)
        {
            environment["ASPNETCORE_URLS"] = httpUrl;
        }
        var environmentName = context.Configuration["ASPNETCORE_ENVIRONMENT"] ?? context.Configuration["DOTNET_ENVIRONMENT"] ?? DefaultEnvironmentName;
        environment["ASPNETCORE_ENVIRONMENT"] = environmentName;
        environment["DOTNET_ENVIRONMENT"] = environmentName;

        foreach (var (key, value) in project.EnvironmentCallbacks)
        {
            environment[key] = value();
        }
        return environment;
    }
}
