using DeepSim.AppHost.LocalServers;
using DeepSim.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSim.AppHost.Hosting;

public static class GraphExtensions
{
    /// <summary>Run mode: secrets generated into the state folder, the startup report. Publish mode: nothing.</summary>
    public static IDistributedApplicationBuilder UseDeepSimDefaults(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.UseLocalSecrets(
                $"{ResourceNames.Postgres}-owner-password", $"{ResourceNames.Postgres}-app-password",
                $"{ResourceNames.Redis}-password", $"{ResourceNames.ClickHouse}-password",
                "auth-service-token", "operator-password");
            builder.Services.AddHostedService<StartupReport>();
        }
        return builder;
    }

    /// <summary>
    /// A DeepSim service: one HTTP endpoint (the preferred port, or a free one when it is busy), readiness on
    /// <c>/health</c>, started again after a crash.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddDeepSimService<TProject>(this IDistributedApplicationBuilder builder, string name, int preferredPort)
        where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name);
        service = builder.ExecutionContext.IsRunMode
            ? service.WithHttpEndpoint(port: builder.ChoosePort(name, preferredPort), name: "http")
            : service.WithHttpEndpoint(name: "http").WithExternalHttpEndpoints();
        return service.WithHttpHealthCheck(Extensions.HealthEndpointPath).WithRestartOnCrash();
    }

    /// <summary>Kafka only when a bootstrap server is configured (<c>ConnectionStrings:kafka</c>): no broker runs on this machine kind.</summary>
    public static IResourceBuilder<IResourceWithConnectionString>? AddKafkaIfConfigured(this IDistributedApplicationBuilder builder, string name)
        => string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)) ? null : builder.AddConnectionString(name);

    public static IResourceBuilder<ProjectResource> WithOptionalReference(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<IResourceWithConnectionString>? source)
        => source is null ? builder : builder.WithReference(source);

    /// <summary>
    /// The AppHost's <paramref name="section"/> (user secrets, <c>Stripe__SecretKey</c>-style variables or arguments), given
    /// to the service as it is, setting by setting; nothing when the section is empty. Stripe billing is on exactly when
    /// <c>Stripe:SecretKey</c> is set there, the web's assistant when <c>Assistant:Endpoint</c> is.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSectionIfConfigured(this IResourceBuilder<ProjectResource> builder,
        IConfiguration configuration, string section)
    {
        foreach (var setting in configuration.GetSection(section).GetChildren().Where(s => !string.IsNullOrEmpty(s.Value)))
        {
            builder.WithEnvironment($"{section}__{setting.Key}", setting.Value);
        }
        return builder;
    }
}
